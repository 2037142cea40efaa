import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'

/** Open the app and wait until the built-in scenario has run and its view arrived. */
async function open(page: Page) {
  await page.goto('/')
  await expect(page.getByTestId('cursor')).toHaveText(/^[1-9]\d* \/ [1-9]\d*$/)
  await expect(page.getByTestId('reg-CR0')).toBeVisible()
}

async function cursorOf(page: Page): Promise<{ at: number; of: number }> {
  const [at, of] = (await page.getByTestId('cursor').innerText()).split('/').map((s) => Number(s.trim()))
  return { at, of }
}

test('loads the built-in scenario: journal and registers at the cursor', async ({ page }) => {
  await open(page)
  await expect(page.locator('.scenario-title')).toContainText('Raw SMMU')
  // The run opens at its end, where the scenario's expectations are the last records.
  const { at, of } = await cursorOf(page)
  expect(at).toBe(of)
  const journal = page.getByRole('listbox', { name: /Journal/ })
  await expect(journal.getByRole('option', { selected: true })).toContainText('end of run')
  await expect(journal.getByRole('option').filter({ hasText: 'expect' }).first()).toBeVisible()
  // raw-cmdq.json ends with CR0 = 0xd (SMMUEN | CMDQEN | EVENTQEN) and two commands
  // issued from index 0, so CMDQ_PROD = 2 (wrap 0).
  await expect(page.getByTestId('reg-CR0')).toHaveText(/^0x0*d$/i)
  await expect(page.getByTestId('reg-CMDQ_PROD')).toHaveText(/^0x0*2$/)
  // Before the first record nothing has run: CR0 and CMDQ_PROD read 0 (reset clears both: SPEC-FACTS "Reset behaviour").
  await page.keyboard.press('Alt+F8')
  await expect(page.getByTestId('cursor')).toHaveText(`0 / ${of}`)
  await expect(journal.getByRole('option').first()).toContainText(/^0/)
  await expect(page.getByTestId('reg-CR0')).toHaveText(/^0x0+$/)
  await expect(page.getByTestId('reg-CMDQ_PROD')).toHaveText(/^0x0+$/)
})

test('F11 and Alt+F11 move the cursor and the register values follow', async ({ page }) => {
  await open(page)
  const end = await cursorOf(page)
  const prodAtEnd = await page.getByTestId('reg-CMDQ_PROD').innerText()
  await page.keyboard.press('Alt+F8')
  await expect(page.getByTestId('cursor')).toHaveText(`0 / ${end.of}`)
  const prodAtStart = await page.getByTestId('reg-CMDQ_PROD').innerText()
  // The scenario writes CMDQ_PROD, so it differs between the start and the end.
  expect(prodAtStart).not.toBe(prodAtEnd)

  await page.keyboard.press('F11')
  await expect(page.getByTestId('cursor')).toHaveText(`1 / ${end.of}`)
  await page.keyboard.press('F11')
  await expect(page.getByTestId('cursor')).toHaveText(`2 / ${end.of}`)
  await page.keyboard.press('Alt+F11')
  await expect(page.getByTestId('cursor')).toHaveText(`1 / ${end.of}`)

  // Step into until CMDQ_PROD changes; the register is then marked as changed by the last record.
  let steps = 0
  while ((await page.getByTestId('reg-CMDQ_PROD').innerText()) === prodAtStart && steps < end.of) {
    const before = (await cursorOf(page)).at
    await page.keyboard.press('F11')
    await expect(page.getByTestId('cursor')).toHaveText(`${before + 1} / ${end.of}`)
    steps++
  }
  await expect(page.getByTestId('reg-CMDQ_PROD')).not.toHaveText(prodAtStart)
  await expect(page.locator('[data-reg="CMDQ_PROD"]')).toHaveClass(/changed/)
  // And one step back undoes it.
  const at = (await cursorOf(page)).at
  await page.keyboard.press('Alt+F11')
  await expect(page.getByTestId('cursor')).toHaveText(`${at - 1} / ${end.of}`)
  await expect(page.getByTestId('reg-CMDQ_PROD')).toHaveText(prodAtStart)
})

test('F10 steps over a whole scenario op; clicking a journal row jumps there', async ({ page }) => {
  await open(page)
  const { of } = await cursorOf(page)
  const journal = page.getByRole('listbox', { name: /Journal/ })
  const current = journal.getByRole('option', { selected: true })
  await page.keyboard.press('Alt+F8')
  // Step into until the next record is a scenario op (a span at depth 0).
  while (!((await current.getAttribute('class')) ?? '').includes('actor-scenario')) {
    const before = (await cursorOf(page)).at
    await page.keyboard.press('F11')
    await expect(page.getByTestId('cursor')).toHaveText(`${before + 1} / ${of}`)
  }
  const start = (await cursorOf(page)).at
  await page.keyboard.press('F10')
  await expect.poll(async () => (await cursorOf(page)).at).toBeGreaterThan(start + 1)
  // Over the whole op, records and all: the next record is the following op.
  await expect(current).toHaveClass(/actor-scenario/)
  await expect(current.locator('.jkind')).toContainText('op')

  const row = journal.getByRole('option').nth(1)
  await row.click()
  await expect(page.getByTestId('cursor')).toHaveText(`1 / ${of}`)
  await expect(row).toHaveAttribute('aria-selected', 'true')
})

test('the CMDQ panel shows the commands and the ring', async ({ page }) => {
  await open(page)
  const cmdq = page.locator('section.cmdq')
  await expect(cmdq.getByRole('heading')).toContainText('CMDQ')
  await expect(cmdq.getByRole('img', { name: /ring/ })).toBeVisible()
  await expect(cmdq.getByText(/^PROD 0x/)).toBeVisible()
  await expect(cmdq.getByText(/^CONS 0x/)).toBeVisible()
  // raw-cmdq.json issues CFGI_STE (SID 1) then CMD_SYNC into slots 0 and 1.
  const rows = cmdq.getByRole('table', { name: 'CMDQ entries' }).getByRole('row').filter({ has: page.getByRole('cell') })
  await expect(rows.nth(0).locator('.opcode')).toHaveText('CFGI_STE')
  await expect(rows.nth(1).locator('.opcode')).toHaveText('SYNC')
  // Slot 2 was never written: "empty" in one line, without its all-zero words.
  await expect(rows.nth(2)).toHaveText(/^2\s*empty$/)
  expect((await rows.nth(2).boundingBox())!.height).toBeLessThan(24)
})

test('an invalid scenario shows its errors and keeps the current run', async ({ page }) => {
  await open(page)
  const before = await page.getByTestId('cursor').innerText()
  await page.getByText('Scenario JSON').click()
  await page.getByLabel('Scenario JSON').fill('{"smmuscope": 1, "steps": "nope"}')
  await page.getByRole('button', { name: 'Run scenario' }).click()
  const alert = page.getByRole('alert')
  await expect(alert).toContainText('not loaded')
  await expect(alert.locator('code').first()).toBeVisible()
  await expect(page.getByTestId('cursor')).toHaveText(before)
  await expect(page.getByLabel('Scenario JSON')).toHaveValue('{"smmuscope": 1, "steps": "nope"}')
  // The text box is in the page only while the editor is open; closing it keeps the edit.
  await page.getByText('Scenario JSON').click()
  await expect(page.getByLabel('Scenario JSON')).toHaveCount(0)
  await page.getByText('Scenario JSON').click()
  await expect(page.getByLabel('Scenario JSON')).toHaveValue('{"smmuscope": 1, "steps": "nope"}')
})

test('no network requests after load', async ({ page }) => {
  await open(page)
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  await page.keyboard.press('Alt+F8')
  await page.keyboard.press('F10')
  await page.keyboard.press('F8')
  await expect(page.getByTestId('reg-CR0')).toBeVisible()
  expect(requests).toEqual([])
})

test('no WCAG 2 A/AA violations on the main screen', async ({ page }) => {
  await open(page)
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
})

test('no WCAG 2 A/AA violations in dark mode', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' })
  await open(page)
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
})
