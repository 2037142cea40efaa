/**
 * Export an on-screen SVG as a standalone .svg or .png file. The theme's
 * colours live in CSS variables, so each element's computed paint and font
 * are written onto the copy: the file looks like the screen without the page.
 */
const PROPS = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'font-family', 'font-size', 'font-weight', 'opacity'] as const

function standalone(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement
  const src = [svg, ...svg.querySelectorAll('*')]
  const dst = [copy, ...copy.querySelectorAll('*')]
  src.forEach((el, i) => {
    const cs = getComputedStyle(el)
    const style = PROPS.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';')
    dst[i].setAttribute('style', style)
  })
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
  const bg = getComputedStyle(document.body).backgroundColor
  copy.insertAdjacentHTML('afterbegin', `<rect width="100%" height="100%" fill="${bg}"/>`)
  return new XMLSerializer().serializeToString(copy)
}

function download(url: string, name: string): void {
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
}

export function exportSvg(svg: SVGSVGElement, name: string): void {
  const url = URL.createObjectURL(new Blob([standalone(svg)], { type: 'image/svg+xml' }))
  download(url, `${name}.svg`)
  setTimeout(() => {
    URL.revokeObjectURL(url)
  }, 1000)
}

/** PNG at twice the SVG's size (crisp on high-density screens). */
export async function exportPng(svg: SVGSVGElement, name: string): Promise<void> {
  const w = svg.width.baseVal.value
  const h = svg.height.baseVal.value
  const url = URL.createObjectURL(new Blob([standalone(svg)], { type: 'image/svg+xml' }))
  try {
    const img = new Image()
    img.src = url
    await img.decode()
    const canvas = document.createElement('canvas')
    canvas.width = w * 2
    canvas.height = h * 2
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    ctx.scale(2, 2)
    ctx.drawImage(img, 0, 0, w, h)
    download(canvas.toDataURL('image/png'), `${name}.png`)
  } finally {
    URL.revokeObjectURL(url)
  }
}
