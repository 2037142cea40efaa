import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Locator, type Page } from '@playwright/test'

// Exports (issue 6): the journal as the CLI's JSONL, the queue rings and the walk grid as SVG and PNG.

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

async function open(page: Page) {
  await page.goto('/')
  await expect(page.getByTestId('cursor')).toHaveText(/^[1-9]\d* \/ [1-9]\d*$/)
  await expect(page.getByTestId('reg-CR0')).toBeVisible()
}

/** Click `button` and return the file it downloads: its suggested name and bytes. */
async function download(page: Page, button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), button.click()])
  const path = await dl.path()
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) }
}

test('the journal downloads as the CLI prints it with --jsonl', async ({ page }) => {
  await open(page)
  const file = await download(page, page.getByRole('button', { name: 'Download JSONL' }))
  expect(file.name).toMatch(/\.jsonl$/)
  const cli = execFileSync('npm', ['run', '--silent', 'cli', '--', 'run', 'engine/scenario/builtin/raw-cmdq.json', '--jsonl'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const lines = file.bytes.toString('utf8').split('\n')
  const cliLines = cli.split('\n')
  // The first records: each a JSON object with i, depth, actor and kind (DESIGN.md "Headless runner"), equal to the CLI's.
  for (let k = 0; k < 5; k++) {
    const rec = JSON.parse(lines[k]) as { i: number; depth: number; actor: string; kind: string }
    expect(rec).toMatchObject({ i: k, depth: expect.any(Number), actor: expect.any(String), kind: expect.any(String) })
    expect(rec).toEqual(JSON.parse(cliLines[k]))
  }
  // raw-cmdq.json's record 0 is the SMMU's reset, record 1 the first scenario op (e2e/stepping.spec.ts).
  expect(JSON.parse(lines[0])).toMatchObject({ kind: 'smmu.reset', actor: 'smmu' })
  expect(JSON.parse(lines[1])).toMatchObject({ kind: 'op', index: 0 })
  // The whole file, summary line included, is the CLI's output byte for byte.
  expect(file.bytes.toString('utf8')).toBe(cli)
})

test('the CMDQ and EVTQ rings export as SVG and PNG', async ({ page }) => {
  await open(page)
  const cmdq = page.locator('section.cmdq')
  const svg = await download(page, cmdq.getByRole('button', { name: /ring as SVG/ }))
  expect(svg.name).toBe('cmdq-ring.svg')
  const text = svg.bytes.toString('utf8')
  expect(text).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  // The ring's own title and PROD / CONS markers, with the theme's colours written in.
  expect(text).toContain('CMDQ ring:')
  expect(text).toContain('>PROD<')
  expect(text).toContain('>CONS<')
  expect(text).toMatch(/fill:rgb\(/)
  const png = await download(page, cmdq.getByRole('button', { name: /ring as PNG/ }))
  expect(png.name).toBe('cmdq-ring.png')
  expect([...png.bytes.subarray(0, 8)]).toEqual(PNG_MAGIC)
  const evtq = page.locator('section.evtq')
  await expect(evtq.getByRole('img', { name: /EVENTQ ring/ })).toBeVisible()
  const esvg = await download(page, evtq.getByRole('button', { name: /ring as SVG/ }))
  expect(esvg.name).toBe('evtq-ring.svg')
  expect(esvg.bytes.toString('utf8')).toContain('EVENTQ ring:')
  const epng = await download(page, evtq.getByRole('button', { name: /ring as PNG/ }))
  expect([...epng.bytes.subarray(0, 8)]).toEqual(PNG_MAGIC)
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  expect(axe.violations).toEqual([])
})

test('under pKVM the host and the shadow CMDQ rings export', async ({ page }) => {
  await open(page)
  await page.getByText('Scenario JSON').click()
  await page.getByLabel('Built-in scenario').selectOption('boot-pkvm')
  await expect(page.locator('.scenario-title')).toContainText('pKVM')
  await page.getByText('Scenario JSON').click()
  const host = await download(page, page.locator('section.hostq').getByRole('button', { name: 'Export Host CMDQ (emulated) ring as SVG' }))
  expect(host.name).toBe('hostq-ring.svg')
  expect(host.bytes.toString('utf8')).toMatch(/^<svg/)
  const shadow = await download(page, page.locator('section.shadowq').getByRole('button', { name: 'Export Shadow CMDQ (hardware) ring as PNG' }))
  expect(shadow.name).toBe('shadowq-ring.png')
  expect([...shadow.bytes.subarray(0, 8)]).toEqual(PNG_MAGIC)
})

test('the walk grid exports through the same path', async ({ page }) => {
  await open(page)
  await page.getByRole('tab', { name: 'Walk' }).click()
  const walk = page.locator('section.walk')
  // The last DMA of raw-cmdq.json faults on its STE (C_BAD_STE): the one before it walks.
  await walk.getByRole('button', { name: 'Previous DMA' }).click()
  await expect(walk.locator('g.wcell').first()).toBeVisible()
  const svg = await download(page, walk.getByRole('button', { name: 'Export SVG' }))
  expect(svg.name).toMatch(/^walk-.*\.svg$/)
  expect(svg.bytes.toString('utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  const png = await download(page, walk.getByRole('button', { name: 'Export PNG' }))
  expect([...png.bytes.subarray(0, 8)]).toEqual(PNG_MAGIC)
})
