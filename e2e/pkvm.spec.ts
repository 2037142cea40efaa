import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Locator, type Page } from '@playwright/test'
import { encodeShareUrl } from '../engine/scenario/url'
import bootPkvm from '../engine/scenario/builtin/boot-pkvm.json' with { type: 'json' }

// engine/scenario/builtin/boot-pkvm.json: SID 8 ("nic") gets a stage-1 domain, which the hypervisor
// shadows as a nested STE (its identity stage 2 attached); IOVA 0x10_0000 maps PA 0x4100_0000; step 5
// donates that page to the hypervisor, so the second DMA faults at stage 2 (F_TRANSLATION); step 8's
// TLBI_S12_VMALL is refused by the command filter (stage 2 is the hypervisor's).

async function openPkvm(page: Page) {
  await page.goto('/')
  await expect(page.getByTestId('cursor')).toHaveText(/^[1-9]\d* \/ [1-9]\d*$/)
  await page.getByText('Scenario JSON').click()
  await page.getByLabel('Built-in scenario').selectOption('boot-pkvm')
  await expect(page.locator('.scenario-title')).toContainText('pKVM')
  await expect(page.getByTestId('reg-CR0')).toBeVisible()
  // The editor closes again so the centre has room.
  await page.getByText('Scenario JSON').click()
}

async function tab(page: Page, name: RegExp) {
  await page.getByRole('tab', { name }).click()
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true')
}

async function addBreakpoint(page: Page, what: string, value?: string) {
  await page.getByLabel('Breakpoint on').selectOption({ label: what })
  if (value !== undefined) await page.getByLabel('Breakpoint value').fill(value)
  await page.getByRole('button', { name: 'Add', exact: true }).click()
}

const cursorOf = async (page: Page) => Number((await page.getByTestId('cursor').innerText()).split('/')[0])

test('the rejected command: judged on the host ring, marked with its reason, never in the shadow ring', async ({ page }) => {
  await openPkvm(page)
  await tab(page, /Queues/)
  await page.keyboard.press('Alt+Shift+F8')
  await expect(page.getByTestId('cursor')).toHaveText(/^0 \//)
  await addBreakpoint(page, 'hypervisor verdict', 'rejected')
  await page.keyboard.press('F8')
  const host = page.locator('section.hostq')
  const shadow = page.locator('section.shadowq')
  // Stopped before the judgement: the entry being judged is highlighted.
  await expect(page.locator('.qactive')).toContainText('judged by the command filter')
  const active = host.locator('[role=row].active')
  await expect(active).toContainText('TLBI_S12_VMALL')
  await page.keyboard.press('F11')
  const row = host.getByRole('row').filter({ hasText: 'TLBI_S12_VMALL' })
  await expect(row).toHaveClass(/v-rejected/)
  await expect(row.locator('.verdict')).toContainText('rejected')
  await expect(row.locator('.verdict')).toContainText('stage 2')
  await expect(shadow.getByRole('row').filter({ hasText: 'TLBI_S12_VMALL' })).toHaveCount(0)
  // Copied commands name the shadow slot they went to; the shadow ring names the host slot.
  await expect(host.locator('[role=row].v-copied').first()).toContainText('→ shadow[')
  // Around the shadow CONS: the hypervisor's own invalidation for the donated page (TLBI_S2_IPA, VMID 0).
  await expect(shadow.getByRole('row').filter({ hasText: 'TLBI_S2_IPA' }).locator('.qnote')).toContainText("hypervisor's own")
})

test('side by side at 1280 px, each CMDQ entry shows its fields and raw words without scrolling sideways', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 })
  await openPkvm(page)
  await tab(page, /Queues/)
  for (const q of [page.locator('section.hostq'), page.locator('section.shadowq')]) {
    const region = q.getByRole('region')
    const entry = q.getByRole('row').filter({ has: page.getByRole('cell', { name: /^SYNC$/ }) }).first()
    await expect(entry.locator('.chip', { hasText: /^CS=/ })).toBeVisible()
    await expect(entry.locator('.raw')).toContainText(/^0x[0-9a-f]{16} 0x[0-9a-f]{16}/)
    // Every cell is inside the queue's box, and the box has nothing to scroll to sideways.
    const box = (await region.boundingBox())!
    for (const cell of await entry.getByRole('cell').all()) {
      const c = (await cell.boundingBox())!
      expect(c.x).toBeGreaterThanOrEqual(box.x)
      expect(c.x + c.width).toBeLessThanOrEqual(box.x + box.width + 0.5)
    }
    expect(await region.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
    // The columns are still named for screen readers.
    await expect(q.getByRole('columnheader', { name: 'Fields' })).toHaveCount(1)
    await expect(q.getByRole('columnheader', { name: 'Raw' })).toHaveCount(1)
  }
})

test('every queue entry and register keeps its separator line: rows are whole pixels high', async ({ page }) => {
  // Rows contain their paint over an opaque background (app/styles.css): one ending a fraction of a pixel
  // down lost its bottom border under the next row's background.
  await page.setViewportSize({ width: 1280, height: 800 })
  await openPkvm(page)
  await tab(page, /Queues/)
  await page.locator('[data-reg="IDR0"] summary').click()
  await expect(page.getByRole('table', { name: 'IDR0 fields' })).toBeVisible()
  const rows = page.locator('section.hostq [role=row], section.shadowq [role=row], .reg')
  expect(await rows.count()).toBeGreaterThan(40)
  const heights = await rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-reg') ?? e.textContent?.slice(0, 20)}: ${e.getBoundingClientRect().height}`))
  expect(heights.filter((h) => !/: \d+$/.test(h))).toEqual([])
  const line = await page.locator('[data-reg="IDR1"]').evaluate((e) => getComputedStyle(e).borderBottomWidth)
  expect(line).toBe('1px')
})

test('a queue pages through its ring and stays on its page as the cursor moves, until sent back around the cursor', async ({ page }) => {
  await page.goto('/' + encodeShareUrl(bootPkvm, 325))
  await expect(page.getByTestId('cursor')).toHaveText(/^325 \//)
  const host = page.locator('section.hostq')
  const slots = host.getByRole('row').filter({ has: page.getByRole('cell') })
  const firstSlot = async () => Number((await slots.first().getByRole('cell').first().innerText()).trim().split(/\s/)[0])
  // Around the cursor: the window starts at slot 0 (the host has issued entries 0-5), nothing earlier.
  await expect(page.getByTestId('hostq-slots')).toHaveText('slots 0–23 of 256')
  await expect(host.getByRole('button', { name: 'Earlier Host CMDQ (emulated) slots' })).toBeDisabled()
  await expect(host.getByRole('button', { name: 'Host CMDQ (emulated) slots around the cursor' })).toBeDisabled()
  // Later: the 32 slots after those shown, empty this early in the boot.
  await host.getByRole('button', { name: 'Later Host CMDQ (emulated) slots' }).click()
  await expect(page.getByTestId('hostq-slots')).toHaveText('slots 24–55 of 256')
  expect(await firstSlot()).toBe(24)
  await expect(slots).toHaveCount(32)
  await expect(slots.first()).toHaveText(/^24\s*empty$/)
  // Stepping keeps the page; the shadow CMDQ beside it still follows the cursor.
  await page.keyboard.press('F11')
  await expect(page.getByTestId('cursor')).toHaveText(/^326 \//)
  await expect(page.getByTestId('hostq-slots')).toHaveText('slots 24–55 of 256')
  // Earlier goes back a page (to 0), and "around the cursor" back to the window about the cursor.
  await host.getByRole('button', { name: 'Earlier Host CMDQ (emulated) slots' }).click()
  await expect(page.getByTestId('hostq-slots')).toHaveText('slots 0–31 of 256')
  await host.getByRole('button', { name: 'Host CMDQ (emulated) slots around the cursor' }).click()
  await expect(page.getByTestId('hostq-slots')).toHaveText('slots 0–23 of 256')
  await expect(host.getByRole('row').filter({ hasText: 'CFGI_STE_RANGE' })).toHaveCount(1)
})

test('the trap log pages with the same controls as the queues', async ({ page }) => {
  await page.goto('/' + encodeShareUrl(bootPkvm, 500))
  await expect(page.getByTestId('cursor')).toHaveText(/^500 \//)
  await tab(page, /MMIO traps/)
  const log = page.locator('section.traplog')
  await expect(log.getByText(/^traps 21–50 of 50$/)).toBeVisible()
  await expect(log.getByRole('button', { name: 'traps around the cursor' })).toBeDisabled()
  await expect(log.getByRole('button', { name: 'Later traps' })).toBeDisabled()
  await log.getByRole('button', { name: 'Earlier traps' }).click()
  await expect(log.getByText(/^traps 1–40 of 50$/)).toBeVisible()
  await expect(log.getByRole('button', { name: 'Earlier traps' })).toBeDisabled()
  await log.getByRole('button', { name: 'traps around the cursor' }).click()
  await expect(log.getByText(/^traps 21–50 of 50$/)).toBeVisible()
})

test('at 1280 px the side-by-side STEs show all eight raw words, and the memory runs fit their column', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 })
  await openPkvm(page)
  await tab(page, /Stream table/)
  for (const who of ['Host', 'Shadow']) {
    const ste = page.getByRole('button', { name: new RegExp(`^${who} STE 0:`) })
    const words = ste.getByLabel('STE 0 raw words').locator('.rawword')
    await expect(words).toHaveCount(8)
    const box = (await ste.boundingBox())!
    for (const w of await words.all()) {
      const b = (await w.boundingBox())!
      expect(b.x + b.width, `${who} STE 0 ${await w.getAttribute('title')}`).toBeLessThanOrEqual(box.x + box.width)
      expect(b.y + b.height).toBeLessThanOrEqual(box.y + box.height)
    }
  }
  await tab(page, /Memory/)
  const runs = page.getByRole('region', { name: 'Ownership runs' })
  await expect(runs.getByText('SHARED_BORROWED').first()).toBeVisible()
  expect(await runs.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
  // Addresses and page counts stay whole.
  await expect(runs.getByRole('button', { name: 'Details of the run at 0x40000000' })).toHaveText('0x40000000')
  const pa = (await runs.getByRole('button', { name: 'Details of the run at 0x40000000' }).boundingBox())!
  expect(pa.height).toBeLessThan(20)
})

test('at 1280 px the journal shows the kind of its deepest records whole (spans nest eleven deep in a pKVM boot)', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 })
  // Record 424 (cfg.invalidate) is at depth 11: an SMMU command consumed from the shadow CMDQ, in a host MMIO write.
  await page.goto('/' + encodeShareUrl(bootPkvm, 424))
  await expect(page.getByTestId('cursor')).toHaveText(/^424 \//)
  const journal = page.getByRole('listbox', { name: /Journal/ })
  const view = (await journal.boundingBox())!
  // The records' rows (the "end of run" row has no kind).
  const rows = await journal.locator('[role=option]:has(.jkind)').evaluateAll((els) =>
    els.map((el) => ({
      id: el.id,
      y: el.getBoundingClientRect().y,
      kind: el.querySelector('.jkind')!.textContent,
      kindRight: el.querySelector('.jkind')!.getBoundingClientRect().right,
      bodyRight: el.querySelector('.jbody')!.getBoundingClientRect().right,
    })),
  )
  const shown = rows.filter((r) => r.y >= view.y && r.y + 20 <= view.y + view.height)
  expect(shown.map((r) => r.id)).toContain('j-424')
  // Every kind on screen ends inside its row, with room after it for the start of the text.
  for (const r of shown) expect(r.kindRight, `${r.id} ${r.kind}`).toBeLessThanOrEqual(r.bodyRight - 24)
})

test('host and shadow STE 8 side by side: s1 for the host, nested for the SMMU, differences named', async ({ page }) => {
  await openPkvm(page)
  await tab(page, /Stream table/)
  await page.getByLabel('Go to SID').fill('8')
  await page.getByRole('button', { name: 'Show' }).click()
  await expect(page.getByTestId('ste-config-8')).toHaveText('Config=s1')
  await expect(page.getByTestId('ste-config-shadow-8')).toHaveText('Config=nested')
  const shadowRow = page.locator('section.strtab [data-sid="8"][data-table="shadow"]')
  await expect(shadowRow).toContainText('differs')
  await expect(shadowRow).toContainText('S2TTB')
  // Both tables are 2-level: each shows its L1 descriptors.
  await expect(page.getByRole('list', { name: 'Host level 1 Stream Table Descriptors in view' })).toContainText('L1STD[0]')
  await expect(page.getByRole('list', { name: 'Shadow level 1 Stream Table Descriptors in view' })).toContainText('L1STD[0]')
  // Inspecting the shadow STE shows its nested config; selecting it lights the host STE too (linked selection).
  await shadowRow.click()
  await expect(page.locator('section.inspector').getByRole('heading')).toContainText('shadow STE 8')
  await expect(page.locator('section.inspector td[data-field="Config"]')).toHaveText('nested')
  await expect(page.locator('section.strtab [data-sid="8"][data-table="host"]')).toHaveClass(/related/)
  // The registers panel shows the host's STRTAB_BASE (emulated) beside the hardware's (the shadow table).
  await expect(page.getByTestId('hostreg-STRTAB_BASE')).toContainText('emulated')
})

test('memory map: the donated page is host-owned before the donation and hyp-owned after', async ({ page }) => {
  await openPkvm(page)
  await tab(page, /Memory/)
  const mem = page.locator('section.memmap')
  await mem.getByLabel('Page at PA').fill('0x4100_0000')
  await mem.getByRole('button', { name: 'Show page', exact: true }).click()
  const detail = page.getByTestId('page-detail')
  await expect(page.getByTestId('page-owner')).toContainText('host NOPAGE, owner hyp; hyp OWNED')
  await expect(page.getByTestId('page-idmap')).toContainText('not mapped')
  await expect(detail).toContainText('__pkvm_host_donate_hyp')
  await expect(mem.locator('tr[data-base="0x41000000"]')).toContainText('owned by hyp')
  // The first change in its history: go there, just before the hypervisor takes the page.
  await detail.getByRole('button', { name: /^Go to record/ }).first().click()
  await expect(page.getByTestId('page-owner')).toContainText('host OWNED, owner host; hyp NOPAGE')
  await expect(page.getByTestId('page-idmap')).toContainText('mapped by a page at level 3')
  await expect(detail).toContainText('dma IOVA 0x100000')
  // Two records on (hyp OWNED, then host NOPAGE), the page is the hypervisor's.
  await page.keyboard.press('F11')
  await page.keyboard.press('F11')
  await expect(page.getByTestId('page-owner')).toContainText('owner hyp')
})

test('breakpoints: "event F_TRANSLATION", F8 stops there, Alt+F8 goes back', async ({ page }) => {
  await openPkvm(page)
  await page.keyboard.press('Alt+Shift+F8')
  await expect(page.getByTestId('cursor')).toHaveText(/^0 \//)
  await addBreakpoint(page, 'event type', 'F_TRANSLATION')
  await expect(page.getByRole('list', { name: 'Breakpoints set' })).toContainText('event F_TRANSLATION')
  await page.keyboard.press('F8')
  const current = page.getByRole('listbox', { name: /Journal/ }).getByRole('option', { selected: true })
  await expect(current.locator('.jkind')).toHaveText('event')
  await expect(current).toContainText('F_TRANSLATION')
  await expect(page.locator('.bplist li.hit')).toContainText('stopped here')
  const at = await cursorOf(page)
  // No later F_TRANSLATION: F8 runs to the end; Alt+F8 comes back to it.
  await page.keyboard.press('F8')
  await expect(page.getByTestId('cursor')).toHaveText(/^(\d+) \/ \1$/)
  await page.keyboard.press('Alt+F8')
  await expect(page.getByTestId('cursor')).toHaveText(new RegExp(`^${at} /`))
  // A bad value is refused with a message.
  await addBreakpoint(page, 'StreamID', 'eight')
  await expect(page.locator('.bpform [role="alert"]')).toContainText('not a StreamID')
})

test('keyboard stepping backwards with Alt, the timeline slider, and collapsing spans', async ({ page }) => {
  await openPkvm(page)
  const end = await cursorOf(page)
  await page.keyboard.press('Alt+F11')
  await expect(page.getByTestId('cursor')).toHaveText(`${end - 1} / ${end}`)
  await page.keyboard.press('Alt+F10')
  expect(await cursorOf(page)).toBeLessThan(end - 1)
  await page.keyboard.press('Alt+Shift+F11')
  expect(await cursorOf(page)).toBeLessThan(end - 1)
  // The timeline is a slider: Home goes to the start, arrows step a record, PageDown to the next op.
  const strip = page.getByRole('slider', { name: 'Timeline' })
  await strip.focus()
  await page.keyboard.press('Home')
  await expect(page.getByTestId('cursor')).toHaveText(`0 / ${end}`)
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('cursor')).toHaveText(`1 / ${end}`)
  await expect(strip).toHaveAttribute('aria-valuenow', '1')
  // PageDown to the start of the next op, and on to the one after; PageUp back to the first of them; the strip names the op.
  await page.keyboard.press('PageDown')
  const c = await cursorOf(page)
  expect(c).toBeGreaterThan(1)
  await expect(strip).toHaveAttribute('aria-valuetext', new RegExp(`^record ${c} of ${end}, in `))
  await page.keyboard.press('PageDown')
  expect(await cursorOf(page)).toBeGreaterThan(c)
  await page.keyboard.press('PageUp')
  await expect(page.getByTestId('cursor')).toHaveText(`${c} / ${end}`)
  // Collapse the span at the cursor from the keyboard: its records leave the list; ArrowDown steps over it.
  const journal = page.getByRole('listbox', { name: /Journal/ })
  await journal.focus()
  await page.keyboard.press('ArrowLeft')
  await expect(journal.getByRole('option', { selected: true })).toContainText('records collapsed')
  await expect(journal.locator(`#j-${c + 1}`)).toHaveCount(0)
  await page.keyboard.press('ArrowDown')
  expect(await cursorOf(page)).toBeGreaterThan(c + 1)
  await page.keyboard.press('ArrowUp')
  await expect(page.getByTestId('cursor')).toHaveText(`${c} / ${end}`)
  await page.keyboard.press('ArrowRight')
  await expect(journal.locator(`#j-${c + 1}`)).toHaveCount(1)
})

/**
 * The columns of `el`'s screenshot where `match` holds for every pixel of its first `lineHeight` rows (a line drawn
 * across the strip, 26 px high; the accent thumb, round, is tested on its middle rows), decoded in the page's own canvas.
 */
async function lineColumns(page: Page, el: Locator, match: 'dark' | 'accent', lineHeight = 26): Promise<number[]> {
  const png = (await el.screenshot()).toString('base64')
  return page.evaluate(
    async ({ png, match, lineHeight }) => {
      // From the bytes, not a data: URL (the app's content security policy allows no such fetch).
      const img = await createImageBitmap(new Blob([Uint8Array.from(atob(png), (ch) => ch.charCodeAt(0))], { type: 'image/png' }))
      const ctx = new OffscreenCanvas(img.width, img.height).getContext('2d')!
      ctx.drawImage(img, 0, 0)
      const { data, width, height } = ctx.getImageData(0, 0, img.width, img.height)
      // Light scheme: --fg is #111827, --accent #1d4ed8. The accent thumb is round: its middle rows only.
      const rows = match === 'dark' ? [0, Math.min(lineHeight, height)] : [Math.floor(height / 2) - 1, Math.floor(height / 2) + 1]
      const hit = (i: number) => (match === 'dark' ? data[i] < 60 && data[i + 1] < 60 && data[i + 2] < 80 : data[i] < 80 && data[i + 1] < 120 && data[i + 2] > 170)
      const cols: number[] = []
      for (let x = 0; x < width; x++) {
        let all = true
        for (let y = rows[0]; y < rows[1] && all; y++) all = hit((y * width + x) * 4)
        if (all) cols.push(x)
      }
      return cols
    },
    { png, match, lineHeight },
  )
}

test('the timeline strip draws its cursor line where the cursor is, and the cursor slider its thumb', async ({ page }) => {
  await openPkvm(page)
  const end = Number((await page.getByTestId('cursor').innerText()).split('/')[1])
  const strip = page.getByRole('slider', { name: 'Timeline' })
  await expect(strip).toHaveAttribute('aria-valuemax', String(end))
  const wrap = page.locator('.timeline-wrap')
  const width = (await wrap.boundingBox())!.width
  // Measured with nothing focused: a focus ring is a line around the strip.
  const blur = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  const line = async () => {
    const cols = await lineColumns(page, wrap, 'dark')
    expect(cols.length, 'a line across the strip').toBeGreaterThan(0)
    expect(cols.length, `one line 2 px wide, found columns ${cols.join(', ')}`).toBeLessThanOrEqual(2)
    return (cols[0] + cols[cols.length - 1]) / 2
  }
  // At the end of the run the line is at the strip's right edge.
  await page.keyboard.press('Shift+F8')
  await expect(page.getByTestId('cursor')).toHaveText(`${end} / ${end}`)
  await blur()
  await expect.poll(line).toBeGreaterThan(width - 3)
  // A press on the strip moves the cursor to the record under the pointer, and the line is drawn there.
  for (const f of [0.25, 0.6]) {
    const before = await cursorOf(page)
    await strip.click({ position: { x: Math.round(width * f), y: 13 } })
    await expect.poll(() => cursorOf(page)).not.toBe(before)
    await blur()
    await expect.poll(line).toBeGreaterThan(width * f - 2.5)
    expect(await line()).toBeLessThan(width * f + 2.5)
  }
  // The slider's thumb sits where the cursor is along its track: its centre travels the track less its 14 px width.
  const scrub = page.getByRole('slider', { name: 'Cursor', exact: true })
  const track = (await scrub.boundingBox())!
  const thumb = async () => {
    const cols = await lineColumns(page, scrub, 'accent')
    expect(cols.length, 'the thumb is drawn on the track').toBeGreaterThan(4)
    return (cols[0] + cols[cols.length - 1]) / 2
  }
  const at = async (c: number) => {
    await expect(page.getByTestId('cursor')).toHaveText(`${c} / ${end}`)
    await blur()
    const expected = 7 + ((track.width - 14) * c) / end
    await expect.poll(thumb).toBeGreaterThan(expected - 2)
    expect(await thumb()).toBeLessThan(expected + 2)
  }
  await page.keyboard.press('Alt+Shift+F8')
  await at(0)
  await page.keyboard.press('Shift+F8')
  await at(end)
  await scrub.fill(String(Math.round(end / 3)))
  await at(Math.round(end / 3))
})

test('stepping keeps the panels still: the queues stay put as the cursor enters and leaves queue work, the entry at the cursor is in view, the journal scrolls by pages', async ({ page }) => {
  await openPkvm(page)
  await tab(page, /Queues/)
  const host = page.locator('section.hostq')
  const top = (await host.boundingBox())!.y
  const journal = page.getByRole('listbox', { name: /Journal/ })
  const line = page.locator('.qactive')
  const states = new Set<string | null>()
  const scrolls = new Set<number>()
  let revealed = 0
  const end = await cursorOf(page)
  for (let k = 1; k <= 40; k++) {
    await page.keyboard.press('Alt+F11')
    await expect(page.getByTestId('cursor')).toHaveText(`${end - k} / ${end}`)
    // The "at the cursor" line is always there and one line high: the queues below it never move.
    expect((await host.boundingBox())!.y).toBe(top)
    states.add(await line.getAttribute('class'))
    scrolls.add(await journal.evaluate((el) => el.scrollTop))
    // The entry at the cursor is scrolled into its queue's view.
    for (const q of [host, page.locator('section.shadowq')]) {
      const active = q.locator('[role=row].active')
      if ((await active.count()) === 0) continue
      const row = (await active.boundingBox())!
      const view = (await q.getByRole('region').boundingBox())!
      expect(row.y).toBeGreaterThanOrEqual(view.y - 1)
      expect(row.y).toBeLessThan(view.y + view.height)
      revealed++
    }
  }
  expect(revealed).toBeGreaterThan(0)
  // The cursor went through queue work and out of it...
  expect([...states].sort()).toEqual(['qactive', 'qactive idle'])
  // ...and forty steps back moved the journal by a page a few times, not a row at every step.
  expect(scrolls.size).toBeGreaterThan(1)
  expect(scrolls.size).toBeLessThanOrEqual(4)
  // After those page moves the rows on screen are the records in order, one per 20 px line, each announcing its
  // place in the whole list (only a window of it is in the document).
  const view = (await journal.boundingBox())!
  const shown = (await journal.getByRole('option').evaluateAll((els) => els.map((el) => ({ i: Number(el.id.slice(2)), y: el.getBoundingClientRect().y, pos: Number(el.getAttribute('aria-posinset')) }))))
    .filter((r) => r.y >= view.y && r.y + 20 <= view.y + view.height)
    .sort((a, b) => a.y - b.y)
  expect(shown.length).toBeGreaterThan(10)
  expect(shown.some((r) => r.i === end - 40)).toBe(true)
  for (const [k, r] of shown.entries()) {
    expect(r.i).toBe(shown[0].i + k)
    expect(r.y).toBeCloseTo(shown[0].y + 20 * k, 0)
    expect(r.pos).toBe(r.i + 1)
  }
})

test('steps taken from answers looked ahead show what opening the link at that cursor shows (registers, both CMDQs)', async ({ page }) => {
  // Each step waits for the view to settle, so the four steps from there are asked for ahead and the next key uses one;
  // the worker leaves out the parts the page holds from the answer before. Both must add up to the state at the cursor.
  // What the panels say: each register's value, the host's view of it and whether the last record changed it (a register
  // away from the view is drawn without its field chips: that depends on where the list was scrolled), and both queues whole.
  const shown = (p: Page) =>
    p.evaluate(() => [
      ...[...document.querySelectorAll('.panel.registers li[data-reg]')].map((li) => [li.getAttribute('data-reg'), li.querySelector('.rval')?.textContent, li.querySelector('.hostval')?.textContent ?? '', li.classList.contains('changed')].join(' ')),
      ...['.panel.queue.hostq', '.panel.queue.shadowq'].map((s) => (document.querySelector(s) as HTMLElement).innerText),
    ])
  await page.goto('/' + encodeShareUrl(bootPkvm, 300))
  await expect(page.getByTestId('cursor')).toHaveText(/^300 \//)
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  for (const [key, times] of [['F11', 12], ['F10', 3], ['Alt+F11', 5], ['Alt+F10', 2]] as const) {
    for (let k = 0; k < times; k++) {
      const before = await page.getByTestId('cursor').innerText()
      await page.keyboard.press(key)
      await expect(page.getByTestId('cursor')).not.toHaveText(before)
      await page.waitForTimeout(120)
    }
    const at = await cursorOf(page)
    const fresh = await page.context().newPage()
    await fresh.goto('/' + encodeShareUrl(bootPkvm, at))
    await expect(fresh.getByTestId('cursor')).toHaveText(new RegExp(`^${at} /`))
    await expect(fresh.getByTestId('reg-CR0')).toBeVisible()
    await expect(fresh.locator('section.shadowq [role=row]').nth(1)).toBeVisible()
    const want = await shown(fresh)
    await fresh.close()
    expect(await shown(page), `after ${key}, at cursor ${at}`).toEqual(want)
  }
})

for (const scheme of ['light', 'dark'] as const) {
  test(`the pKVM panels pass axe (WCAG 2 A/AA) in ${scheme} mode`, async ({ page }) => {
    test.setTimeout(120_000)
    await page.emulateMedia({ colorScheme: scheme })
    await openPkvm(page)
    await addBreakpoint(page, 'event type', 'F_TRANSLATION')
    for (const name of [/Queues/, /Stream table/, /MMIO traps/, /Memory/]) {
      await tab(page, name)
      if (name.source === 'Memory') {
        await page.getByLabel('Page at PA').fill('0x41000000')
        await page.getByRole('button', { name: 'Show page', exact: true }).click()
        await expect(page.getByTestId('page-owner')).toBeVisible()
      }
      if (name.source === 'MMIO traps') await expect(page.locator('table.traps tbody tr').first()).toBeVisible()
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
      expect(results.violations.map((v) => `${name.source} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
    }
  })
}
