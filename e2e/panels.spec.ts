import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'

// Expected values come from engine/scenario/builtin/raw-cmdq.json's bytes: STE 1 word 0 =
// 0xd (V=1, Config=0b110 = s2); its stage 2 (4K, S2SL0=1, S2TTB 0x4002_0000) walks IPA
// 0x1000_0000 through L1 index 0 (0x4002_0000), L2 index 0x80 (0x4002_1400) and L3
// index 0 (0x4002_2000) to the page 0x4100_0000 (Arm ARM D8.2: 9 index bits per level).

async function open(page: Page) {
  await page.goto('/')
  await expect(page.getByTestId('cursor')).toHaveText(/^[1-9]\d* \/ [1-9]\d*$/)
  await expect(page.getByTestId('reg-CR0')).toBeVisible()
}

async function tab(page: Page, name: RegExp) {
  await page.getByRole('tab', { name }).click()
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true')
}

test('stream table: go to SID 1, see Config=s2, inspect its fields', async ({ page }) => {
  await open(page)
  await tab(page, /Stream table/)
  const st = page.locator('section.strtab')
  await expect(st.getByText(/STRTAB_BASE_CFG 0x00000008 → linear, 256 STEs/)).toBeVisible()
  await st.getByLabel('Go to SID').fill('1')
  await st.getByRole('button', { name: 'Show' }).click()
  await expect(page.getByTestId('ste-config-1')).toHaveText('Config=s2')
  const row = st.locator('[data-sid="1"]')
  await expect(row).toContainText('0x40000040')
  await expect(row).toContainText('0x000000000000000d')
  // The inspector shows STE 1 field by field, with bits and section.
  const insp = page.locator('section.inspector')
  await expect(insp.getByRole('heading')).toContainText('STE 1')
  await expect(insp.locator('td[data-field="Config"]')).toHaveText('s2')
  await expect(insp.locator('td[data-field="S2TTB"]')).toHaveText('0x40020000')
  // Focusing a field in the bit strip explains it (keyboard reachable, announced politely).
  await insp.getByRole('button', { name: /^Config w0\[3:1\]/ }).focus()
  await expect(page.getByTestId('inspector-explain')).toContainText('Stream configuration')
  await expect(page.getByTestId('inspector-explain')).toContainText('IHI 0070 5.2')
  // Stage 1 is off for an s2 stream: no CD table.
  await expect(page.locator('section.cdpanel')).toContainText('stage 1 is not enabled')
})

test('the stream table scrolls through its SIDs a window at a time', async ({ page }) => {
  await open(page)
  await tab(page, /Stream table/)
  const list = page.getByRole('region', { name: 'Stream table entries' })
  await list.evaluate((el) => {
    el.scrollTop = 200 * 54
  })
  await expect(page.locator('section.strtab [data-sid="200"]')).toBeVisible()
  await expect(page.locator('section.strtab [data-sid="1"]')).toHaveCount(0)
})

test('walk grid: the first DMA is three stage-2 reads L1/L2/L3 with their addresses', async ({ page }) => {
  await open(page)
  await tab(page, /Walk/)
  const walk = page.locator('section.walk')
  // At the end of the run the last DMA (gpu, C_BAD_STE) is shown; step back to the first.
  await expect(walk).toContainText('C_BAD_STE')
  await walk.getByRole('button', { name: 'Previous DMA' }).click()
  await expect(walk).toContainText('F_TRANSLATION')
  await walk.getByRole('button', { name: 'Previous DMA' }).click()
  await expect(walk.getByTestId('walk-iova')).toHaveText('0x10000000')
  await expect(walk).toContainText('PA 0x41000000')
  const cells = walk.locator('g.wcell')
  await expect(cells).toHaveCount(3)
  await expect(walk.getByTestId('walk-cell-s2-l1')).toContainText('0x40020000')
  await expect(walk.getByTestId('walk-cell-s2-l2')).toContainText('0x40021400')
  await expect(walk.getByTestId('walk-cell-s2-l3')).toContainText('0x40022000')
  await expect(walk.getByTestId('walk-cell-s2-l3')).toContainText('0x00000000410007ff')
  await expect(walk.getByRole('button', { name: 'Previous DMA' })).toBeDisabled()
  // A cell opens its descriptor in the inspector, from the keyboard too.
  await walk.getByTestId('walk-cell-s2-l3').focus()
  await page.keyboard.press('Enter')
  await expect(page.locator('section.inspector td[data-field="OA"]')).toHaveText('0x41000000')
  // The second DMA faults at L3 index 1: that cell is marked.
  await walk.getByRole('button', { name: 'Next DMA' }).click()
  await expect(walk.locator('g.wcell.fault')).toHaveCount(1)
  await expect(walk.locator('g.wcell.fault')).toContainText('0x40022008')
  // Both exports are offered.
  const download = page.waitForEvent('download')
  await walk.getByRole('button', { name: 'Export SVG' }).click()
  expect((await download).suggestedFilename()).toMatch(/^walk-nic-.*\.svg$/)
})

test('IOTLB: the entry the first walk inserted, marked at the step that inserts it', async ({ page }) => {
  await open(page)
  await tab(page, /IOTLB/)
  const tlb = page.locator('section.iotlb')
  const row = tlb.locator('tbody tr[data-seq="0"]')
  // At the end: VMID 1 (STE.S2VMID), stage 2, 4K page IPA 0x1000_0000 -> PA 0x4100_0000, RW.
  await expect(row).toContainText('0x10000000')
  await expect(row).toContainText('0x41000000')
  await expect(row).toContainText('RW')
  await expect(row.locator('td').nth(2)).toHaveText('1')
  // Walk back to the record that inserted it: the row is marked "inserted" there.
  await page.keyboard.press('Alt+F8')
  await expect(tlb).toContainText('Empty.')
  for (let i = 0; i < 200 && (await tlb.locator('tbody tr').count()) === 0; i++) {
    const before = await page.getByTestId('cursor').innerText()
    await page.keyboard.press('F11')
    await expect(page.getByTestId('cursor')).not.toHaveText(before)
  }
  await expect(row.locator('.badge')).toHaveText('inserted')
  await expect(row).toHaveClass(/mark-inserted/)
  // The config cache holds SID 1's s2 configuration.
  await expect(page.locator('section.cfgcache tbody tr').first()).toContainText('s2')
})

test('linked selection: selecting the IOVA highlights its STE, descriptors and TLB entry', async ({ page }) => {
  await open(page)
  await tab(page, /Walk/)
  const walk = page.locator('section.walk')
  await walk.getByRole('button', { name: 'Previous DMA' }).click()
  await walk.getByRole('button', { name: 'Previous DMA' }).click()
  await walk.getByTestId('walk-iova').click()
  await expect(walk.getByTestId('walk-iova')).toHaveAttribute('aria-pressed', 'true')
  await expect(walk.locator('g.wcell.related')).toHaveCount(3)
  await tab(page, /Stream table/)
  await expect(page.locator('section.strtab [data-sid="1"]')).toHaveClass(/related/)
  await expect(page.locator('section.strtab [data-sid="2"]')).not.toHaveClass(/related/)
  await tab(page, /IOTLB/)
  await expect(page.locator('section.iotlb tbody tr[data-seq="0"]')).toHaveClass(/related/)
})

test('tabs are keyboard reachable (WAI-ARIA tabs: arrows move and select)', async ({ page }) => {
  await open(page)
  await page.getByRole('tab', { name: /Queues/ }).focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByRole('tab', { name: /Stream table/ })).toBeFocused()
  await expect(page.getByRole('tab', { name: /Stream table/ })).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('ArrowLeft')
  await expect(page.getByRole('tab', { name: /Queues/ })).toHaveAttribute('aria-selected', 'true')
})

for (const scheme of ['light', 'dark'] as const) {
  test(`the structure panels pass axe (WCAG 2 A/AA) in ${scheme} mode`, async ({ page }) => {
    test.setTimeout(90_000)
    await page.emulateMedia({ colorScheme: scheme })
    await open(page)
    for (const name of [/Stream table/, /Walk/, /IOTLB/]) {
      await tab(page, name)
      if (name.source === 'Stream table') {
        await page.getByLabel('Go to SID').fill('1')
        await page.getByRole('button', { name: 'Show' }).click()
        await expect(page.getByTestId('ste-config-1')).toBeVisible()
      }
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
      expect(results.violations.map((v) => `${name.source} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
    }
  })
}

test('a register comes near within 240 px of the view and goes away beyond 480 px, keeping its form in between (a step that moves it a little redraws nothing)', async ({ page }) => {
  await open(page)
  const list = page.getByRole('region', { name: 'Register values' })
  const reg = list.locator('[data-reg="IDR0"]')
  // Scroll so the register's bottom edge is `above` px over the view's top edge.
  const place = async (above: number) => {
    const at = await reg.evaluate((el, a) => {
      const box = el.closest('[role=region]') as HTMLElement
      box.scrollTop += el.getBoundingClientRect().bottom - (box.getBoundingClientRect().top - a)
      return box.getBoundingClientRect().top - el.getBoundingClientRect().bottom
    }, above)
    expect(at).toBeCloseTo(above, 0)
    // Two frames: the observers report after the frame that moved the list.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
  }
  const whole = () => expect(reg.locator('.chip').first()).toBeAttached()
  const away = () => expect(reg.locator('.chip')).toHaveCount(0)
  await whole()
  await place(360)
  await whole()
  await place(700)
  await away()
  await place(360)
  await away()
  await place(120)
  await whole()
})

test('registers away from the view keep their name and value, are drawn whole as they come near, and an open one stays open', async ({ page }) => {
  await open(page)
  const list = page.getByRole('region', { name: 'Register values' })
  const reg = (name: string) => list.locator(`[data-reg="${name}"]`)
  // CIDR3 is the last register, far below the view: its value is there (a search finds it), its field chips are not.
  await expect(page.getByTestId('reg-CIDR3')).toHaveText('0x000000b1')
  await expect(reg('CIDR3').locator('.chip')).toHaveCount(0)
  await expect(reg('CR0').locator('.chip').first()).toBeVisible()
  const height = await list.evaluate((el) => el.scrollHeight)
  // Open CR0, scroll to the end: CIDR3 is drawn whole (its field PRMBL_3); nothing moved as registers changed form.
  await reg('CR0').locator('summary').click()
  await expect(reg('CR0').getByRole('table', { name: 'CR0 fields' })).toBeVisible()
  await list.evaluate((el) => el.scrollTo(0, el.scrollHeight))
  await expect(reg('CIDR3').locator('.chip', { hasText: 'PRMBL_3' })).toBeVisible()
  await expect(reg('CR0').locator('.chip')).not.toHaveCount(0)
  // Back at the top: CR0 is still open, and the list has the height it had.
  await list.evaluate((el) => el.scrollTo(0, 0))
  await expect(reg('CR0').getByRole('table', { name: 'CR0 fields' })).toBeVisible()
  await expect(reg('CIDR3').locator('.chip')).toHaveCount(0)
  await reg('CR0').locator('summary').click()
  await expect(reg('CR0').getByRole('table', { name: 'CR0 fields' })).toHaveCount(0)
  expect(await list.evaluate((el) => el.scrollHeight)).toBe(height)
})
