import { expect, test, type Page } from '@playwright/test'
import { encodeShareUrl } from '../engine/scenario/url'
import bootLinux from '../engine/scenario/builtin/boot-linux.json' with { type: 'json' }

/**
 * Reliability (issue 8): the engine worker dies mid-run and the work comes
 * back at the same cursor; a reload mid-edit gives the edit back; a link
 * never replaces unsaved work without asking; nothing is fetched after load.
 */

async function ready(page: Page) {
  await expect(page.getByTestId('cursor')).toHaveText(/^\d+ \/ [1-9]\d*$/)
  await expect(page.getByTestId('reg-CR0')).toBeVisible()
}

/** Open the editor and put `edit` into the scenario's title (an unsaved draft). */
async function editTitle(page: Page, edit: string) {
  await page.getByText('Scenario JSON').click()
  const box = page.getByLabel('Scenario JSON')
  const text = await box.inputValue()
  const changed = text.replace(/"title": "([^"]*)"/, `"title": "${edit}"`)
  expect(changed).not.toBe(text)
  await box.fill(changed)
  return changed
}

for (const how of ['hangWorker', 'crashWorker'] as const) {
  test(`the engine worker ${how === 'hangWorker' ? 'stops answering' : 'crashes'} mid-run: noticed within 2 s, restarted, same cursor, edit intact`, async ({ page }) => {
    await page.goto('/')
    await ready(page)
    await page.keyboard.press('Alt+F8')
    for (let k = 1; k <= 5; k++) {
      await page.keyboard.press('F11')
      await expect(page.getByTestId('cursor')).toHaveText(new RegExp(`^${k} /`))
    }
    const cursor = await page.getByTestId('cursor').innerText()
    const prod = await page.getByTestId('reg-CMDQ_PROD').innerText()
    const draft = await editTitle(page, 'my unsaved edit')

    const t0 = Date.now()
    await page.evaluate((h) => {
      // app/bridge/worker.ts's test hooks.
      ;(window as unknown as { __smmuscope?: Record<string, () => void> }).__smmuscope?.[h]()
    }, how)
    await expect(page.getByTestId('notice')).toContainText(/restarted and your scenario reloaded at cursor 5/, { timeout: 2500 })
    expect(Date.now() - t0).toBeLessThan(2500)
    await expect(page.getByTestId('cursor')).toHaveText(cursor)
    await expect(page.getByTestId('reg-CMDQ_PROD')).toHaveText(prod)
    await expect(page.getByLabel('Scenario JSON')).toHaveValue(draft)
    // The new worker answers: stepping goes on from where the user was.
    await page.getByRole('button', { name: 'Step into' }).click()
    await expect(page.getByTestId('cursor')).toHaveText(/^6 \//)
  })
}

test('a reload mid-edit offers the edit back', async ({ page }) => {
  await page.goto('/')
  await ready(page)
  const draft = await editTitle(page, 'edited before the reload')
  // The save is debounced (300 ms).
  await page.waitForTimeout(700)
  await page.reload()
  await ready(page)
  await expect(page.getByTestId('notice-restore')).toContainText('You have an unsaved scenario')
  await page.getByRole('button', { name: 'Restore' }).click()
  await expect(page.locator('.scenario-title')).toContainText('edited before the reload')
  await page.getByText('Scenario JSON').click()
  await expect(page.getByLabel('Scenario JSON')).toHaveValue(draft)
})

test('opening a link with unsaved work asks first: keep mine, then open link', async ({ page }) => {
  await page.goto('/')
  await ready(page)
  const draft = await editTitle(page, 'mine, not saved anywhere')
  const link = encodeShareUrl(bootLinux, 4).slice(1)
  await page.evaluate((h) => {
    window.location.hash = h
  }, link)
  await expect(page.getByTestId('notice-link')).toContainText('This link would replace your unsaved scenario')
  await page.getByRole('button', { name: 'Keep mine' }).click()
  await expect(page.getByTestId('notice-link')).toHaveCount(0)
  await expect(page.getByLabel('Scenario JSON')).toHaveValue(draft)
  await expect(page.locator('.scenario-title')).toContainText('Raw SMMU')

  // Asked again (a new hash), the user opens the link this time.
  await page.evaluate((h) => {
    window.location.hash = `${h}&p=queues`
  }, link)
  await page.getByRole('button', { name: 'Open link' }).click()
  await expect(page.locator('.scenario-title')).toContainText('Linux boots the SMMU')
  await expect(page.getByTestId('cursor')).toHaveText(/^4 \//)
})

test('no network request after load: the app works offline', async ({ page, context }) => {
  const after: string[] = []
  await page.goto('/')
  await ready(page)
  page.on('request', (r) => after.push(r.url()))
  await context.setOffline(true)
  await page.keyboard.press('Alt+F8')
  for (let k = 1; k <= 3; k++) {
    await page.keyboard.press('F11')
    await expect(page.getByTestId('cursor')).toHaveText(new RegExp(`^${k} /`))
  }
  await page.getByText('Scenario JSON').click()
  await page.getByLabel('Built-in scenario').selectOption('boot-linux')
  await expect(page.locator('.scenario-title')).toContainText('Linux boots the SMMU')
  await ready(page)
  await page.getByRole('button', { name: 'Share' }).click()
  await page.keyboard.press('F8')
  await page.waitForTimeout(500)
  expect(after).toEqual([])
})

test('the page has a strict Content-Security-Policy', async ({ page }) => {
  await page.goto('/')
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')
  expect(csp).toContain("default-src 'none'")
  expect(csp).toContain("script-src 'self';")
  expect(csp).toContain("connect-src 'none'")
  expect(csp).not.toContain('unsafe-eval')
})
