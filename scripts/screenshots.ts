// Screenshots for the README, taken from the real app on a running preview:
//   npm start            (in another terminal; serves dist/ on port 4173)
//   npx tsx scripts/screenshots.ts [URL]
// Writes, from the built-in pKVM scenario (engine/scenario/builtin/boot-pkvm.json):
//   docs/screenshot.png, docs/screenshot-dark.png  host CMDQ and shadow CMDQ as the hypervisor rejects a command
//   docs/screenshot-strtab.png                      host and shadow stream tables side by side, STE 8 inspected
//   docs/screenshot-walk.png                        the nested walk grid of the first DMA
//   docs/screenshot-memory.png                      the memory map with the donated page picked
import { existsSync } from 'node:fs'
import { chromium, type Page } from '@playwright/test'

const url = process.argv[2] ?? process.env.SMMUSCOPE_URL ?? 'http://localhost:4173/'
const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

async function openPkvm(page: Page, scheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme })
  await page.goto(url)
  await page.getByTestId('reg-CR0').waitFor()
  await page.getByText('Scenario JSON').click()
  await page.getByLabel('Built-in scenario').selectOption('boot-pkvm')
  await page.locator('.scenario-title', { hasText: 'pKVM' }).waitFor()
  await page.getByText('Scenario JSON').click()
}

async function tab(page: Page, name: RegExp): Promise<void> {
  await page.getByRole('tab', { name }).click()
}

async function settle(page: Page): Promise<void> {
  // Views arrive from the worker after each step; give the last one time to paint.
  await page.waitForTimeout(400)
}

async function shoot(page: Page, file: string): Promise<void> {
  await settle(page)
  await page.screenshot({ path: file })
  console.log(`wrote ${file}`)
}

/** Both CMDQs at the moment the hypervisor judges the host's TLBI_S12_VMALL. */
async function queues(page: Page, scheme: 'light' | 'dark', file: string): Promise<void> {
  await openPkvm(page, scheme)
  await tab(page, /Queues/)
  await page.keyboard.press('Alt+Shift+F8')
  await page.getByTestId('cursor').filter({ hasText: /^0 \// }).waitFor()
  await page.getByLabel('Breakpoint on').selectOption({ label: 'hypervisor verdict' })
  await page.getByLabel('Breakpoint value').fill('rejected')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await page.keyboard.press('F8')
  await page.locator('.qactive', { hasText: 'judged' }).waitFor()
  // One record on: the verdict is in, the entry marked with its reason.
  await page.keyboard.press('F11')
  await page.locator('section.hostq tr.v-rejected').waitFor()
  await shoot(page, file)
}

async function streams(page: Page, file: string): Promise<void> {
  await openPkvm(page, 'light')
  await tab(page, /Stream table/)
  await page.getByLabel('Go to SID').fill('8')
  await page.getByRole('button', { name: 'Show' }).click()
  await page.locator('section.strtab [data-sid="8"][data-table="shadow"]').click()
  await page.locator('section.inspector td[data-field="Config"]', { hasText: 'nested' }).waitFor()
  await shoot(page, file)
}

async function walk(page: Page, file: string): Promise<void> {
  await openPkvm(page, 'light')
  await tab(page, /Walk/)
  const w = page.locator('section.walk')
  // At the end the last DMA (the stage-2 fault) is shown; the one before it translates through both stages.
  await w.getByRole('button', { name: 'Previous DMA' }).click()
  await w.locator('g.wcell').first().waitFor()
  await shoot(page, file)
}

async function memory(page: Page, file: string): Promise<void> {
  await openPkvm(page, 'light')
  await tab(page, /Memory/)
  await page.getByLabel('Page at PA').fill('0x4100_0000')
  await page.getByRole('button', { name: 'Show page', exact: true }).click()
  await page.getByTestId('page-owner').waitFor()
  await page.getByRole('button', { name: 'Zoom in' }).click()
  await settle(page)
  await page.getByRole('button', { name: 'Zoom in' }).click()
  await shoot(page, file)
}

const browser = await chromium.launch({
  executablePath: existsSync(exe) ? exe : undefined,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 })
  // The nested grid is six columns wide: a wider window shows it whole.
  const wide = await browser.newPage({ viewport: { width: 1920, height: 1000 }, deviceScaleFactor: 1 })
  await queues(page, 'light', 'docs/screenshot.png')
  await queues(page, 'dark', 'docs/screenshot-dark.png')
  await streams(page, 'docs/screenshot-strtab.png')
  await walk(wide, 'docs/screenshot-walk.png')
  await memory(page, 'docs/screenshot-memory.png')
} finally {
  await browser.close()
}
