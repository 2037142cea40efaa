import { useLayoutEffect, useRef, useState, type RefObject } from 'react'

export interface Viewport {
  readonly top: number
  readonly height: number
}

/**
 * The visible part of a scrolling element, kept in state for virtualized
 * lists (follows scrolling and resizing). `pos` holds the value as last seen,
 * so effects can read it without reading layout (a forced reflow per step).
 * With `same`, a scroll that leaves it true of the viewport in state keeps
 * that state: a list drawn by whole rows is not drawn again for every pixel
 * the wheel scrolls, only when another row comes into view (`same` keeps
 * its identity: a function declared at module level).
 */
export function useScrollViewport(ref: RefObject<HTMLElement | null>, initialHeight: number, same?: (a: Viewport, b: Viewport) => boolean): { viewport: Viewport; pos: RefObject<Viewport> } {
  const [viewport, setViewport] = useState<Viewport>({ top: 0, height: initialHeight })
  const pos = useRef<Viewport>({ top: 0, height: initialHeight })
  useLayoutEffect(() => {
    const el = ref.current
    if (el === null) return
    const update = () => {
      const next = { top: el.scrollTop, height: el.clientHeight }
      pos.current = next
      setViewport((prev) => (prev.height === next.height && same?.(prev, next) === true ? prev : next))
    }
    update()
    const ro = new ResizeObserver(update)
    ro.observe(el)
    el.addEventListener('scroll', update, { passive: true })
    return () => {
      ro.disconnect()
      el.removeEventListener('scroll', update)
    }
  }, [ref, same])
  return { viewport, pos }
}
