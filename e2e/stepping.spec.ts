import { expect, test } from '@playwright/test'

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
