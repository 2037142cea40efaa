import { describe, expect, test } from 'vitest'
import { AP_NO_WRITE, BLOCK_LAYOUT_LEVELS, blockAllowed, classify, D, DESC_ADDR, descAddress, descLayout, decodeDesc, getHalf, levelShift } from './descriptors'

// Bit positions from the Arm ARM (DDI 0487) D8.3 descriptor figures and
// Linux io-pgtable-arm's ARM_LPAE_PTE_* (SPEC-FACTS B§7).

describe('VMSAv8-64 descriptor layouts', () => {
  test('io-pgtable stage-1 4K page, RW, IOMMU_CACHE: PA | 0xF47', () => {
    // Type page 0b11 | AttrIndx 1 << 2 | AP[1] unpriv 1 << 6 | SH IS 3 << 8 | AF 1 << 10 | nG 1 << 11 = 0xF47
    const w = descLayout(1, 12, 'page', 3).encode({ Valid: 1, Type: 'page', AttrIndx: 1, AP: 'rwAll', SH: 'inner', AF: 1, nG: 1, OA: 0x8000_0000 })
    expect(w[0]).toBe(0x8000_0f47n)
  })

  test('io-pgtable stage-2 4K page, RW, cacheable: PA | 0x7FF', () => {
    // Type 0b11 | MemAttr 0xF << 2 (0x3C) | S2AP 0b11 << 6 (0xC0) | SH IS 0x300 | AF 0x400 = 0x7FF
    const w = descLayout(2, 12, 'page', 3).encode({ Valid: 1, Type: 'page', MemAttr: 0xf, S2AP: 'readWrite', SH: 'inner', AF: 1, OA: 0x4567_8000 })
    expect(w[0]).toBe(0x4567_87ffn)
  })

  test('stage-1 table attributes sit in bits 63:59', () => {
    const l = descLayout(1, 12, 'table', 0)
    expect(l.encode({ APTable: 'readOnly' })[0]).toBe(1n << 62n)
    expect(l.encode({ NSTable: 1 })[0]).toBe(1n << 63n)
    expect(l.encode({ XNTable: 1, PXNTable: 1 })[0]).toBe(3n << 59n)
    // stage-2 table descriptors have no hierarchical attributes (RES0 there)
    expect(Object.keys(descLayout(2, 12, 'table', 0).fields).sort()).toEqual(['NLTA', 'Type', 'Valid'])
  })

  test('stage-2 XN is the 2-bit field [54:53]', () => {
    expect(descLayout(2, 16, 'page', 3).encode({ XN: 3 })[0]).toBe(0x0060_0000_0000_0000n)
  })

  test('the address field starts at the granule (pages) or the block size (blocks)', () => {
    expect(descLayout(1, 12, 'page', 3).field('OA').lo).toBe(12)
    expect(descLayout(1, 14, 'page', 3).field('OA').lo).toBe(14)
    expect(descLayout(2, 16, 'page', 3).field('OA').lo).toBe(16)
    expect(descLayout(1, 12, 'block', 1).field('OA').lo).toBe(30)
    expect(descLayout(1, 12, 'block', 2).field('OA').lo).toBe(21)
    expect(descLayout(1, 14, 'block', 2).field('OA').lo).toBe(25)
    expect(descLayout(2, 16, 'block', 1).field('OA').lo).toBe(42)
    expect(() => descLayout(1, 12, 'block', 1).encode({ OA: 0x4000_1000 })).toThrow(/bits outside \[47:30\]/)
    expect(() => descLayout(1, 12, 'block', 0)).toThrow(/no block descriptor at level 0/)
    expect(() => descLayout(1, 14, 'block', 1)).toThrow(/no block descriptor at level 1/)
  })

  test('64K with a 52-bit OA: PA[51:48] in bits [15:12]', () => {
    // PA 0xF_0000_1234_0000: OA[47:16] in place is 0x1234_0000, OA[51:48] = 0xF -> 0xF000
    const w = descLayout(1, 16, 'page', 3).encode({ Valid: 1, Type: 'page', AF: 1, OA: 0x1234_0000, OAHi: 0xf })
    expect(w[0]).toBe(0x1234_f403n)
    const lo = Number(w[0] & 0xffff_ffffn)
    const hi = Number(w[0] >> 32n)
    expect(descAddress(DESC_ADDR[0][16].page, lo, hi)).toBe(0xf_0000_1234_0000)
    expect('OAHi' in descLayout(1, 12, 'page', 3).fields).toBe(false)
  })

  test('address masks follow the layouts', () => {
    // 4K table address [47:12]: low half 0xFFFFF000, high half bits 15:0
    expect(DESC_ADDR[0][12].table).toMatchObject({ lo: 0xffff_f000, hi: 0xffff, top: null })
    // 16K page OA [47:14]
    expect(DESC_ADDR[1][14].page).toMatchObject({ lo: 0xffff_c000, hi: 0xffff })
    // 4K L1 block OA [47:30]
    expect(DESC_ADDR[0][12].block[1]).toMatchObject({ lo: 0xc000_0000, hi: 0xffff })
    // 64K L1 block OA [47:42]: high-half bits 15:10
    expect(DESC_ADDR[0][16].block[1]).toMatchObject({ lo: 0, hi: 0xfc00 })
    expect(DESC_ADDR[0][12].block[0]).toBeNull()
    // a 4K L2 block with RES0 bits 20:12 set still gives the 2M-aligned OA
    expect(descAddress(DESC_ADDR[0][12].block[2]!, 0x4060_1401, 0)).toBe(0x4060_0000)
  })

  test('hot-path accessors read the architected bits', () => {
    expect(D.Valid).toMatchObject({ half: 0, shift: 0, mask: 1 })
    expect(D.Type).toMatchObject({ half: 0, shift: 1, mask: 1 })
    expect(D.AF).toMatchObject({ half: 0, shift: 10, mask: 1 })
    expect(D.AP).toMatchObject({ half: 0, shift: 6, mask: 3 })
    expect(D.S2AP).toMatchObject({ half: 0, shift: 6, mask: 3 })
    expect(D.APTable).toMatchObject({ half: 1, shift: 29, mask: 3 })
    // APTable = 0b10 (bit 62) removes write; AP = 0b10 (bit 7) is read-only
    expect(getHalf(D.APTable, 0, 0x4000_0000) & AP_NO_WRITE).toBe(AP_NO_WRITE)
    expect(getHalf(D.AP, 0x80, 0) & AP_NO_WRITE).toBe(AP_NO_WRITE)
  })
})

describe('classify', () => {
  test('Valid/Type by level (Arm ARM D8.3)', () => {
    expect(classify(12, 0, 0x0, false)).toBe('invalid')
    expect(classify(12, 2, 0x2, false)).toBe('invalid')
    expect(classify(12, 0, 0x3, false)).toBe('table')
    expect(classify(12, 3, 0x3, false)).toBe('page')
    expect(classify(12, 3, 0x1, false)).toBe('reserved')
    expect(classify(12, 2, 0x1, false)).toBe('block')
    expect(classify(12, 1, 0x1, false)).toBe('block')
    expect(classify(12, 0, 0x1, false)).toBe('reserved')
    expect(classify(14, 1, 0x1, true)).toBe('reserved')
    expect(classify(16, 1, 0x1, false)).toBe('reserved')
    expect(classify(16, 1, 0x1, true)).toBe('block')
  })

  test('block levels per granule', () => {
    expect(BLOCK_LAYOUT_LEVELS).toEqual({ 12: [1, 2], 14: [2], 16: [1, 2] })
    expect(blockAllowed(16, 2, false)).toBe(true)
    expect(blockAllowed(16, 1, false)).toBe(false)
    expect(levelShift(16, 1)).toBe(42)
  })

  test('decodeDesc picks the layout for the inspector', () => {
    const d = decodeDesc(1, 12, 2, 0x4060_0401n)
    expect(d.cls).toBe('block')
    expect(d.layout?.name).toBe('S1_BLOCK_4K_L2')
    expect(d.layout?.get([0x4060_0401n], 'OA')).toBe(0x4060_0000)
    expect(decodeDesc(2, 12, 3, 0x1n)).toEqual({ cls: 'reserved', layout: null })
  })
})
