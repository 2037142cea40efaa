import { expect, test, type Page } from '@playwright/test'

/** Wait until a scenario has run and its view arrived. */
async function ready(page: Page) {
  await expect(page.getByTestId('cursor')).toHaveText(/^\d+ \/ [1-9]\d*$/)
  await expect(page.getByTestId('reg-CR0')).toBeVisible()
}

test('a link made by the share button opens the same scenario at the same cursor in a fresh browser', async ({ page, browser }) => {
  await page.goto('/')
  await ready(page)
  // Another built-in scenario than the default, so the link has to carry it.
  await page.getByText('Scenario JSON').click()
  await page.getByLabel('Built-in scenario').selectOption('boot-linux')
  await expect(page.locator('.scenario-title')).toContainText('Linux boots the SMMU')
  await ready(page)
  // Somewhere in the middle: back to the start, then three ops forward.
  await page.keyboard.press('Alt+F8')
  await page.getByLabel('Step granularity').selectOption('op')
  for (let k = 0; k < 3; k++) await page.getByRole('button', { name: 'Step into' }).click()
  await expect(page.getByTestId('cursor')).not.toHaveText(/^0 \//)
  const cursor = await page.getByTestId('cursor').innerText()
  const prod = await page.getByTestId('reg-CMDQ_PROD').innerText()

  await page.getByRole('button', { name: 'Share' }).click()
  const url = await page.getByTestId('share-url').inputValue()
  expect(url).toMatch(/#s=1\.[A-Za-z0-9_-]+&c=\d+&p=\w+$/)
  expect(url).toContain(`&c=${cursor.split('/')[0].trim()}&`)

  const fresh = await browser.newContext()
  const other = await fresh.newPage()
  await other.goto(url)
  await expect(other.locator('.scenario-title')).toContainText('Linux boots the SMMU')
  await expect(other.getByTestId('cursor')).toHaveText(cursor)
  await expect(other.getByTestId('reg-CMDQ_PROD')).toHaveText(prod)
  await expect(other.getByRole('alert')).toHaveCount(0)
  await fresh.close()
})

test('a broken link shows why and the default scenario opens', async ({ page }) => {
  await page.goto('/#s=1.not*base64&c=3')
  await ready(page)
  await expect(page.getByRole('alert')).toContainText('This link cannot be opened: bad base64url')
  await expect(page.locator('.scenario-title')).toContainText('Raw SMMU')
})

test('a broken link opened later leaves the current work as it was', async ({ page }) => {
  await page.goto('/')
  await ready(page)
  await page.keyboard.press('Alt+F8')
  await page.keyboard.press('F11')
  await expect(page.getByTestId('cursor')).toHaveText(/^1 \//)
  const before = await page.getByTestId('cursor').innerText()
  await page.evaluate(() => {
    window.location.hash = 's=9.whatever'
  })
  await expect(page.getByRole('alert')).toContainText('share format 9')
  await expect(page.getByTestId('cursor')).toHaveText(before)
  await expect(page.locator('.scenario-title')).toContainText('Raw SMMU')
})
