import { describe, expect, test } from 'vitest'
import {
  commandFromFields,
  commandLayout,
  commandName,
  commandReservedBits,
  decodeCommand,
  describeCommand,
  encodeCommand,
  OPCODES,
  opcodeName,
  type CommandInput,
} from './commands'

describe('opcodes (IHI 0070 4.1.2, SPEC-FACTS A§2)', () => {
  test('names and numbers', () => {
    const expected: Record<string, number> = {
      PREFETCH_CONFIG: 0x01, PREFETCH_ADDR: 0x02, CFGI_STE: 0x03, CFGI_STE_RANGE: 0x04, CFGI_CD: 0x05, CFGI_CD_ALL: 0x06,
      TLBI_NH_ALL: 0x10, TLBI_NH_ASID: 0x11, TLBI_NH_VA: 0x12, TLBI_NH_VAA: 0x13, TLBI_EL3_ALL: 0x18, TLBI_EL3_VA: 0x1a,
      TLBI_EL2_ALL: 0x20, TLBI_EL2_ASID: 0x21, TLBI_EL2_VA: 0x22, TLBI_EL2_VAA: 0x23, TLBI_S12_VMALL: 0x28, TLBI_S2_IPA: 0x2a,
      TLBI_NSNH_ALL: 0x30, ATC_INV: 0x40, PRI_RESP: 0x41, RESUME: 0x44, STALL_TERM: 0x45, SYNC: 0x46,
    }
    expect(Object.fromEntries(OPCODES.map((d) => [d.name, d.opcode]))).toEqual(expected)
    expect(opcodeName(0x46)).toBe('SYNC')
    // QEMU's enum has CFGI_ALL = 0x07 but it is not a command: CERROR_ILL.
    expect(opcodeName(0x07)).toBeUndefined()
    expect(commandLayout(0x07)).toBeUndefined()
  })
})

describe("Linux's command words (SPEC-FACTS B§1)", () => {
  test('CMD_SYNC with SEV completion: cmd0 = 0x0FC02046', () => {
    // CS=2 << 12 | MSH=3 << 22 | MSIATTR=0xF << 24 | 0x46
    expect(encodeCommand({ op: 'SYNC', CS: 'SIG_SEV', MSH: 3, MSIAttr: 0xf })).toEqual([0x0fc0_2046n, 0n])
  })

  test('CMD_SYNC with MSI completion: cmd0 = 0x0FC01046, cmd1 = MSIADDR[51:2]', () => {
    const w = encodeCommand({ op: 'SYNC', CS: 'SIG_IRQ', MSH: 3, MSIAttr: 0xf, MSIAddr: 0x8000_1230 })
    expect(w).toEqual([0x0fc0_1046n, 0x8000_1230n])
  })

  test('CFGI_ALL is CFGI_STE_RANGE with Range 31: cmd0 = 0x04, cmd1 = 0x1f', () => {
    expect(encodeCommand({ op: 'CFGI_ALL' })).toEqual([0x04n, 0x1fn])
    const d = decodeCommand([0x04n, 0x1fn])
    expect(d).toEqual({ op: 'CFGI_STE_RANGE', alias: 'CFGI_ALL', SSec: 0, SID: 0, Range: 31 })
    expect(commandName(d)).toBe('CFGI_ALL')
    expect(commandName(decodeCommand([0x04n, 0x3n]))).toBe('CFGI_STE_RANGE')
  })

  test('CFGI_STE(sid 0x10, leaf): SID in cmd0[63:32], Leaf in cmd1 bit 0', () => {
    expect(encodeCommand({ op: 'CFGI_STE', SID: 0x10, Leaf: 1 })).toEqual([0x0000_0010_0000_0003n, 1n])
  })

  test('CFGI_CD(sid 3, ssid 5, leaf): SSID in cmd0[31:12]', () => {
    expect(encodeCommand({ op: 'CFGI_CD', SID: 3, SSID: 5, Leaf: true })).toEqual([0x0000_0003_0000_5005n, 1n])
  })

  test('TLBI_NH_VA hand-encoded: NUM 3, SCALE 2, ASID 1, VMID 0, Leaf, TTL 3, TG 4K, Address 0x8000_0000', () => {
    // cmd0 = 0x12 | 3 << 12 | 2 << 20 | 1 << 48; cmd1 = Leaf | 3 << 8 | 1 << 10 | 0x8000_0000
    const w = encodeCommand({ op: 'TLBI_NH_VA', NUM: 3, SCALE: 2, ASID: 1, VMID: 0, Leaf: 1, TTL: 3, TG: '4K', Address: 0x8000_0000 })
    expect(w).toEqual([0x0001_0000_0020_3012n, 0x8000_0701n])
  })

  test('TLBI_NH_VA keeps Address[63:12] whole (a TT1 address)', () => {
    const w = encodeCommand({ op: 'TLBI_NH_VA', ASID: 2, Address: 0xffff_8000_0000_0000n })
    expect(w[1]).toBe(0xffff_8000_0000_0000n)
    const d = decodeCommand(w)
    expect(d.op === 'TLBI_NH_VA' && d.Address).toBe(0xffff_8000_0000_0000n)
  })

  test('TLBI_S2_IPA hand-encoded: VMID 5, SCALE 9, NUM 0, TG 64K, TTL 2, Address 0x1_2000_0000', () => {
    // cmd0 = 0x2a | 9 << 20 | 5 << 32; cmd1 = 2 << 8 | 3 << 10 | 0x1_2000_0000
    const w = encodeCommand({ op: 'TLBI_S2_IPA', VMID: 5, SCALE: 9, NUM: 0, TG: '64K', TTL: 2, Address: 0x1_2000_0000 })
    expect(w).toEqual([0x0000_0005_0090_002an, 0x1_2000_0e00n])
    // Linux masks the IPA to [51:12]: bit 52 is not part of the field.
    expect(() => encodeCommand({ op: 'TLBI_S2_IPA', Address: 2 ** 52 })).toThrow(/bits outside \[51:12\]/)
  })

  test('ATC_INV for pages [8..11]: SIZE 2 at 0x8000 (B§1 example)', () => {
    expect(encodeCommand({ op: 'ATC_INV', SID: 1, Size: 2, Address: 0x8000 })).toEqual([0x0000_0001_0000_0040n, 0x8002n])
  })

  test('RESUME: AC bit 12, AB bit 13, STAG in cmd1[15:0]; PRI_RESP: PRGIndex [8:0], Resp [13:12]', () => {
    expect(encodeCommand({ op: 'RESUME', SID: 7, AC: 1, STAG: 0xbeef })).toEqual([0x0000_0007_0000_1044n, 0xbeefn])
    expect(encodeCommand({ op: 'PRI_RESP', SID: 7, PRGIndex: 0x1ff, Resp: 'Success' })).toEqual([0x0000_0007_0000_0041n, 0x21ffn])
  })
})

describe('round trip', () => {
  test('every opcode: all fields at their maximum decode back', () => {
    for (const d of OPCODES) {
      const input: Record<string, number | bigint> = {}
      for (const f of d.layout.order) {
        if (f.name === 'Opcode') continue
        input[f.name] = f.kind === 'address' ? f.mask : 2 ** f.width - 1
      }
      const cmd = { op: d.name, ...input } as unknown as CommandInput
      const words = encodeCommand(cmd)
      const back = decodeCommand(words)
      expect(back.op, d.name).toBe(d.name)
      for (const [k, v] of Object.entries(input)) expect(BigInt((back as unknown as Record<string, number | bigint>)[k]), `${d.name}.${k}`).toBe(BigInt(v))
      expect(encodeCommand(back), d.name).toEqual(words)
    }
  })

  test('an undefined opcode decodes as UNKNOWN and encodes back to its words', () => {
    const d = decodeCommand([0x07n, 0x1234n])
    expect(d).toEqual({ op: 'UNKNOWN', opcode: 7, words: [0x07n, 0x1234n] })
    expect(encodeCommand(d)).toEqual([0x07n, 0x1234n])
    expect(describeCommand([0x07n, 0n]).map((f) => f.name)).toEqual(['Opcode'])
  })
})

describe('describe and reserved bits', () => {
  test('describeCommand names fields and enum values', () => {
    const v = describeCommand([0x0fc0_2046n, 0n])
    expect(v.find((f) => f.name === 'CS')?.display).toBe('SIG_SEV')
    expect(v.map((f) => f.name)).toEqual(['Opcode', 'CS', 'MSH', 'MSIAttr', 'MSIData', 'MSIAddr'])
  })

  test('bits outside a command\'s fields are reported (CFGI_STE has nothing in cmd0[31:11])', () => {
    expect(commandReservedBits([0x0000_0010_0000_0003n | (1n << 20n), 1n | (1n << 5n)])).toEqual([1n << 20n, 1n << 5n])
    expect(commandReservedBits(encodeCommand({ op: 'TLBI_NH_VA', ASID: 1, NUM: 31, Address: 0x1000 }))).toEqual([0n, 0n])
  })
})

describe('commandFromFields (the scenario `cmd` op)', () => {
  test('builds from spec names, hex strings and enum names', () => {
    const c = commandFromFields('TLBI_NH_VA', { ASID: 1, Address: '0x8000_0000', TG: '4K', NUM: 3, SCALE: 2, TTL: 3, Leaf: true })
    expect(encodeCommand(c)).toEqual([0x0001_0000_0020_3012n, 0x8000_0701n])
  })

  test('case-insensitive names, a CMD_ prefix, and spec-prose field spellings', () => {
    const c = commandFromFields('cmd_pri_resp', { StreamID: 2, GRPID: 5, resp: 'InvalidRequest' })
    expect(c).toMatchObject({ op: 'PRI_RESP', SID: 2, PRGIndex: 5, Resp: 1 })
  })

  test('CFGI_ALL is accepted and only with Range 31', () => {
    expect(encodeCommand(commandFromFields('CFGI_ALL', {}))).toEqual([0x04n, 0x1fn])
    expect(() => commandFromFields('CFGI_ALL', { Range: 3 })).toThrow(/CFGI_ALL has Range 31/)
  })

  test('unknown field: says which command and lists its fields', () => {
    expect(() => commandFromFields('TLBI_NH_VA', { Foo: 1 })).toThrow(
      'TLBI_NH_VA has no field Foo; its fields are NUM, SCALE, VMID, ASID, Leaf, TTL, TG, Address',
    )
    expect(() => commandFromFields('TLBI_NSNH_ALL', { VMID: 1 })).toThrow('TLBI_NSNH_ALL has no field VMID; its fields are (none)')
  })

  test('unknown command and values that do not fit', () => {
    expect(() => commandFromFields('TLBI_ALL', {})).toThrow(/unknown command 'TLBI_ALL'; commands are PREFETCH_CONFIG/)
    expect(() => commandFromFields('TLBI_NH_VA', { NUM: 32 })).toThrow('TLBI_NH_VA.NUM: 32 does not fit 5 bits')
    expect(() => commandFromFields('TLBI_NH_VA', { ASID: -1 })).toThrow(/ASID: -1 does not fit 16 bits/)
    expect(() => commandFromFields('TLBI_NH_VA', { TG: '8K' })).toThrow(/'8K' is not one of none, 4K, 16K, 64K/)
    expect(() => commandFromFields('TLBI_NH_VA', { Address: 0x1234 })).toThrow(/bits outside \[63:12\]/)
    expect(() => commandFromFields('CFGI_STE', { SID: 1.5 })).toThrow('CFGI_STE.SID: 1.5 is not an integer')
    expect(() => commandFromFields('SYNC', { Opcode: 0x46 })).toThrow(/SYNC has no field Opcode/)
  })
})
