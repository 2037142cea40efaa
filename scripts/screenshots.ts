// Screenshots for the README, taken from a running preview:
//   npm start            (in another terminal; serves dist/ on port 4173)
//   npx tsx scripts/screenshots.ts [URL]
// Writes docs/screenshot.png (light) and docs/screenshot-dark.png.
import { existsSync } from 'node:fs'
import { chromium, type Page } from '@playwright/test'

const url = process.argv[2] ?? process.env.SMMUSCOPE_URL ?? 'http://localhost:4173/'
const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

async function shoot(page: Page, scheme: 'light' | 'dark', file: string): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme })
  await page.goto(url)
  await page.getByTestId('reg-CR0').waitFor()
  // Stop part-way through the run, where commands are pending in the CMDQ (or at the end if never).
  await page.keyboard.press('Alt+F8')
  await page.getByTestId('cursor').filter({ hasText: /^0 \// }).waitFor()
  for (;;) {
    if ((await page.locator('section.cmdq tr.pending').count()) > 0) break
    const [at, of] = (await page.getByTestId('cursor').innerText()).split('/').map((s) => Number(s.trim()))
    if (at >= of) break
    await page.keyboard.press('F11')
    await page.getByTestId('cursor').filter({ hasText: `${at + 1} / ${of}` }).waitFor()
  }
  await page.screenshot({ path: file })
  console.log(`wrote ${file}`)
}

const browser = await chromium.launch({
  executablePath: existsSync(exe) ? exe : undefined,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 })
  await shoot(page, 'light', 'docs/screenshot.png')
  await shoot(page, 'dark', 'docs/screenshot-dark.png')
} finally {
  await browser.close()
}
