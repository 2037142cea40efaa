/**
 * Rows of a scrolled list drawn in full only near the view. Of the 51
 * registers about 16 are on screen; the others, with their field chips,
 * cost every step's frame their share of paint, layerize and layout all the
 * same. A row away from the view keeps the text that names it (register,
 * offset, values: what a search or a screen reader finds) at the height it
 * had when drawn in full, so nothing around it moves.
 *
 * Nearness comes from IntersectionObservers on the scroller: no layout is
 * read during a step, and the height is the one the observer reports as a
 * row leaves (measured at the next scroll for a row a step moved away). The
 * observers report after the frame, so a row that comes near is drawn in
 * the next one: right for a list that moves only when scrolled (the
 * registers), wrong for one the app scrolls at a step (the queues reveal
 * the entry at the cursor): there every such step would take two frames
 * (measured: CPU per press up 1–3 ms), so the queues do not use it.
 *
 * A row comes near within NEAR_MARGIN of the view and goes away beyond
 * AWAY_MARGIN, and keeps its state in between (rows start drawn in full, so
 * those within AWAY_MARGIN stay so). With one margin for both, a step that
 * changed the height of a register above (a badge, a host value) moved a
 * row across it, and the row drawn the other way moved the next one: a step
 * took two or three frames more (the default scenario's long step back: 39
 * ms for three frames). A row that a step moves out beyond AWAY_MARGIN goes
 * away at the next scroll, keeping its height.
 */
import { createContext, useCallback, useContext, useState } from 'react'

/** Pixels beyond the scroller's edges within which a row is drawn in full (a wheel notch or two)... */
const NEAR_MARGIN = 240
/** ...and beyond which it is drawn away. */
const AWAY_MARGIN = 480
/** How soon after a scroll the observers report the crossings it caused (they report after the frame). */
const SCROLL_REPORT_MS = 200

/** The rows of one scroller the observers watch, each with what to do when it comes near or goes away. */
export class NearView {
  /** One observer reports rows coming within NEAR_MARGIN, the other rows leaving AWAY_MARGIN. */
  private readonly near: IntersectionObserver
  private readonly away: IntersectionObserver
  private readonly calls = new Map<Element, (near: boolean, height: number) => void>()
  /** Rows the away observer has reported (its first report of a row applies at once). */
  private readonly reported = new WeakSet<Element>()
  /**
   * Rows moved beyond AWAY_MARGIN by something other than a scroll (a step
   * changed the height of a register above): drawn away at the next scroll.
   * Going away only saves work later, and drawing them now would cost the
   * step a frame.
   */
  private readonly leaving = new Set<Element>()
  /** When the scroller last scrolled: a crossing reported soon after was the scroll's. */
  private scrolledAt = -Infinity
  private readonly onScroll = () => {
    this.scrolledAt = performance.now()
    for (const el of this.leaving) this.calls.get(el)?.(false, el.getBoundingClientRect().height)
    this.leaving.clear()
  }

  constructor(private readonly root: Element) {
    this.near = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue
          this.leaving.delete(e.target)
          this.calls.get(e.target)?.(true, e.boundingClientRect.height)
        }
      },
      { root, rootMargin: `${NEAR_MARGIN}px 0px` },
    )
    this.away = new IntersectionObserver(
      (entries) => {
        const scrolled = performance.now() - this.scrolledAt < SCROLL_REPORT_MS
        for (const e of entries) {
          const first = !this.reported.has(e.target)
          this.reported.add(e.target)
          if (e.isIntersecting) this.leaving.delete(e.target)
          else if (first || scrolled) this.calls.get(e.target)?.(false, e.boundingClientRect.height)
          else this.leaving.add(e.target)
        }
      },
      { root, rootMargin: `${AWAY_MARGIN}px 0px` },
    )
    root.addEventListener('scroll', this.onScroll, { passive: true })
  }

  /** Watch `el`; the observers report it once at once, then at every crossing of either margin. Returns the unwatch. */
  watch(el: Element, call: (near: boolean, height: number) => void): () => void {
    this.calls.set(el, call)
    this.near.observe(el)
    this.away.observe(el)
    return () => {
      this.calls.delete(el)
      this.leaving.delete(el)
      this.near.unobserve(el)
      this.away.unobserve(el)
    }
  }

  disconnect(): void {
    this.near.disconnect()
    this.away.disconnect()
    this.root.removeEventListener('scroll', this.onScroll)
    this.calls.clear()
    this.leaving.clear()
  }
}

export const NearViewContext = createContext<NearView | null>(null)

/**
 * The scroller's side: a ref callback for the scrolling element, and the
 * watcher its rows get through NearViewContext (null until the element is
 * there: rows are drawn in full meanwhile).
 */
export function useNearViewRoot(): [ref: (el: HTMLElement | null) => (() => void) | undefined, watcher: NearView | null] {
  const [watcher, setWatcher] = useState<NearView | null>(null)
  const ref = useCallback((el: HTMLElement | null) => {
    if (el === null) return undefined
    const nv = new NearView(el)
    setWatcher(nv)
    return () => {
      nv.disconnect()
      setWatcher(null)
    }
  }, [])
  return [ref, watcher]
}

interface Nearness {
  readonly near: boolean
  /** The row's height when it was last drawn in full (while it is away). */
  readonly height?: number
}

const NEAR: Nearness = { near: true }

/**
 * A row's side: a ref callback for its outer element, whether to draw it in
 * full, and the height to keep while it is away. Rows start drawn in full
 * (so the height is known), and `pinned` ones stay so (an open register,
 * the entry at the cursor).
 */
export function useNearView(pinned = false): { ref: (el: HTMLElement | null) => (() => void) | undefined; near: boolean; height: number | undefined } {
  const watcher = useContext(NearViewContext)
  const [s, setS] = useState<Nearness>(NEAR)
  const ref = useCallback(
    (el: HTMLElement | null) => {
      if (el === null || watcher === null) return undefined
      // The height is taken as the row goes away, drawn in full: a row that stays away keeps it.
      return watcher.watch(el, (near, height) => setS((p) => (p.near === near ? p : near ? NEAR : { near: false, height })))
    },
    [watcher],
  )
  const near = pinned || s.near || watcher === null
  return { ref, near, height: near ? undefined : s.height }
}
