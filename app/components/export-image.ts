/**
 * Export an on-screen SVG (the walk grid, a queue ring) as a standalone
 * .svg or .png file. The theme's colours live in CSS variables, so each
 * element's computed paint and font are written onto the copy: the file
 * looks like the screen without the page.
 */
const PROPS = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'font-family', 'font-size', 'font-weight', 'opacity'] as const

function standalone(svg: SVGSVGElement): string {
  // The background covers the viewBox (a ring's origin is its centre), or the whole drawing when there is none.
  const vb = svg.viewBox.baseVal as SVGRect | null
  const box = vb !== null && vb.width > 0 && vb.height > 0 ? `x="${vb.x}" y="${vb.y}" width="${vb.width}" height="${vb.height}"` : 'width="100%" height="100%"'
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
  copy.insertAdjacentHTML('afterbegin', `<rect ${box} fill="${bg}"/>`)
  return new XMLSerializer().serializeToString(copy)
}

function download(url: string, name: string): void {
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
}

/** Save a Blob as a file (the SVG export, the journal's JSONL). */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  download(url, name)
  // The download has read the URL by the next task; a minute leaves room for a slow disk.
  setTimeout(() => {
    URL.revokeObjectURL(url)
  }, 60_000)
}

/** A file name from a title: lower case, words joined by dashes. */
export function fileStem(title: string, fallback: string): string {
  const s = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60)
  return s === '' ? fallback : s
}

export function exportSvg(svg: SVGSVGElement, name: string): void {
  downloadBlob(new Blob([standalone(svg)], { type: 'image/svg+xml' }), `${name}.svg`)
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
