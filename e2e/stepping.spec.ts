import { expect, test, type Page } from '@playwright/test'
import { STEP_KEYS } from '../bench/step-keys'
import { encodeShareUrl } from '../engine/scenario/url'
import bootPkvm from '../engine/scenario/builtin/boot-pkvm.json' with { type: 'json' }
import rawCmdq from '../engine/scenario/builtin/raw-cmdq.json' with { type: 'json' }

test('step by scenario op, and continue to a breakpoint and back', async ({ page }) => {
  await page.goto('/')
  await expect(page.getByTestId('cursor')).toHaveText(/^[1-9]\d* \/ [1-9]\d*$/)
  const journal = page.getByRole('listbox', { name: /Journal/ })
  const current = journal.getByRole('option', { selected: true })
  await page.keyboard.press('Alt+F8')
  await expect(page.getByTestId('cursor')).toHaveText(/^0 \//)

  // By op: every step lands before a scenario op (raw-cmdq.json's record 0 is the reset, record 1 the first op).
  await page.getByLabel('Step granularity').selectOption('op')
  await page.keyboard.press('F11')
  await expect(page.getByTestId('cursor')).toHaveText(/^1 \//)
  await expect(current.locator('.jkind')).toContainText('op')
  await page.keyboard.press('F11')
  await expect(current.locator('.jkind')).toContainText('op')

  // Continue stops before the first event record (raw-cmdq.json writes F_TRANSLATION, then C_BAD_STE).
  await page.getByText(/^Breakpoints/).click()
  await page.getByLabel('event record (EVTQ)').check()
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  await expect(current.locator('.jkind')).toContainText('event')
  await expect(page.getByRole('status').filter({ hasText: 'Stopped at a breakpoint' })).toBeVisible()
  const first = await page.getByTestId('cursor').innerText()
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  await expect(page.getByTestId('cursor')).not.toHaveText(first)
  await expect(current.locator('.jkind')).toContainText('event')
  // And back to the first one.
  await page.getByRole('button', { name: 'Continue back' }).click()
  await expect(page.getByTestId('cursor')).toHaveText(first)
})

test('the cursor slider follows every step and seek, and moving it moves the cursor', async ({ page }) => {
  await page.goto('/')
  const cursor = page.getByTestId('cursor')
  await expect(cursor).toHaveText(/^[1-9]\d* \/ [1-9]\d*$/)
  const slider = page.getByRole('slider', { name: 'Cursor', exact: true })
  const end = Number((await cursor.innerText()).split('/')[1])
  await expect(slider).toHaveValue(String(end))
  await expect(slider).toHaveAttribute('max', String(end))
  await page.keyboard.press('Alt+F11')
  await expect(cursor).toHaveText(`${end - 1} / ${end}`)
  await expect(slider).toHaveValue(String(end - 1))
  await page.keyboard.press('Alt+F8')
  await expect(cursor).toHaveText(`0 / ${end}`)
  await expect(slider).toHaveValue('0')
  // The keyboard on the slider itself seeks.
  await slider.focus()
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowRight')
  await expect(cursor).toHaveText(`2 / ${end}`)
  await expect(slider).toHaveValue('2')
  await slider.fill(String(end - 3))
  await expect(cursor).toHaveText(`${end - 3} / ${end}`)
})

/** Press `keys` one at a time, each once the view has settled; return the presses whose changes reached the page in more than one frame. */
async function lateChanges(page: Page, keys: readonly string[]): Promise<string[]> {
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  // Every batch of changes is stamped with the number of animation frames since the key went down.
  await page.evaluate(() => {
    const w = window as unknown as { __bursts: number[]; __frame: number }
    w.__bursts = []
    w.__frame = 0
    addEventListener(
      'keydown',
      (e) => {
        if (e.key === 'Alt') return
        w.__bursts = []
        w.__frame = 0
        const tick = () => {
          w.__frame++
          if (w.__frame < 30) requestAnimationFrame(tick)
        }
        requestAnimationFrame(tick)
      },
      { capture: true },
    )
    new MutationObserver(() => w.__bursts.push(w.__frame)).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
  })
  const late: string[] = []
  for (const key of keys) {
    const before = await page.getByTestId('cursor').innerText()
    await page.keyboard.press(key)
    await page.waitForTimeout(250)
    const bursts = await page.evaluate(() => (window as unknown as { __bursts: number[] }).__bursts)
    // One batch, or several within the frame the first is drawn in (an answer from the worker came meanwhile).
    if (bursts.length > 0 && bursts.at(-1)! > bursts[0]) late.push(`${key} from ${before}: changes in frames ${bursts.join(', ')}`)
  }
  return late
}

for (const [name, scenario, at] of [['raw-cmdq (the default)', rawCmdq, 40], ['boot-pkvm', bootPkvm, 300]] as const) {
  test(`${name}: each step is drawn in one go, nothing on the page changing again in a later frame (registers a step moves stay as they are until the list scrolls)`, async ({ page }) => {
    await page.goto('/' + encodeShareUrl(scenario, at))
    await expect(page.getByTestId('cursor')).toHaveText(new RegExp(`^${at} /`))
    // The bench's presses (bench/ui.ts), which once took up to three frames here.
    expect(await lateChanges(page, STEP_KEYS)).toEqual([])
  })
}
