import { useLayoutEffect, useRef, useState, type RefObject } from 'react'

export interface Viewport {
  readonly top: number
  readonly height: number
}

/**
 * The visible part of a scrolling element, kept in state for virtualized
 * lists (follows scrolling and resizing). `pos` holds the value as last seen,
 * so effects can read it without reading layout (a forced reflow per step).
 */
export function useScrollViewport(ref: RefObject<HTMLElement | null>, initialHeight: number): { viewport: Viewport; pos: RefObject<Viewport> } {
  const [viewport, setViewport] = useState<Viewport>({ top: 0, height: initialHeight })
  const pos = useRef<Viewport>({ top: 0, height: initialHeight })
  useLayoutEffect(() => {
    const el = ref.current
    if (el === null) return
    const update = () => {
      pos.current = { top: el.scrollTop, height: el.clientHeight }
      setViewport(pos.current)
    }
    update()
    const ro = new ResizeObserver(update)
    ro.observe(el)
    el.addEventListener('scroll', update, { passive: true })
    return () => {
      ro.disconnect()
      el.removeEventListener('scroll', update)
    }
  }, [ref])
  return { viewport, pos }
}
