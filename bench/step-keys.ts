/**
 * The debugger keys the `ui_step` figure presses in each scenario (bench/ui.ts), in order: steps into and back, then
 * over and back (the last Alt+F10s include a long step back). The e2e test that every press is drawn in one frame
 * (e2e/stepping.spec.ts) presses the same ones.
 */
export const STEP_KEYS: readonly string[] = [...Array<string>(30).fill('F11'), ...Array<string>(15).fill('Alt+F11'), ...Array<string>(10).fill('F10'), ...Array<string>(10).fill('Alt+F10')]
