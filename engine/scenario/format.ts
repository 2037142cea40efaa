/**
 * Scenario format, version 1 (DESIGN.md "Scenario format, version 1"): the
 * types of a scenario AFTER validation. Validation fills every default and
 * normalises numbers: addresses and sizes are numbers (≤ 52 bits), 64-bit
 * values (mmio/write values, raw command words, a command's Address, an
 * expected register value) are bigints. What people write is looser (numbers
 * as strings, most platform keys optional): that is `unknown` until
 * `validateScenario` accepts it.
 */

/** The format version this build reads and writes. */
import type { SmmuParams } from '../arch/idregs'

export const FORMAT_VERSION = 1

export type GranuleName = '4K' | '16K' | '64K'
export const GRANULES: readonly GranuleName[] = ['4K', '16K', '64K']
/** log2 of each granule's size. */
export const GRANULE_SHIFT: Readonly<Record<GranuleName, 12 | 14 | 16>> = { '4K': 12, '16K': 14, '64K': 16 }

export type Stages = SmmuParams['stages']
/** IDR5.OAS encodings 0..6 (IHI 0070 6.3.6). */
export type Oas = SmmuParams['oas']
export const OAS_VALUES: readonly Oas[] = [32, 36, 40, 42, 44, 48, 52]

export type IidrProduct = SmmuParams['iidr']['product']

/** platform.smmu: the ID-register parameters (arch/idregs.ts) plus the IOTLB's organisation. */
export interface SmmuPlatform extends SmmuParams {
  readonly coherent: boolean
  /**
   * IOTLB organisation: 'combined' caches one entry per nested translation
   * (QEMU's design), 'split' caches stage 1 and stage 2 separately.
   * `entries`: capacity (1..65536).
   */
  readonly tlb: { readonly model: 'combined' | 'split'; readonly entries: number }
}

/** How much of the pKVM trap-and-emulate series is in effect. */
export type Emulation = 'mmio' | 'cmdq' | 'ste' | 'nested'

export interface PkvmOptions {
  /** Which posting of the series to model (GBPA reads, L2 sharing and other differences). */
  readonly version: 'v4' | 'v6'
  /** What the hypervisor does on a host access it refuses: WARN and carry on, or panic (a WARN at EL2 is fatal in production). */
  readonly onRefused: 'warn' | 'panic'
  /**
   * Where the posted code looks wrong (the CMD_SYNC rewrite applied to a
   * local copy; v4's inverted `initialized` flag): 'series' does what the
   * code does, 'architectural' what it evidently meant.
   */
  readonly fidelity: 'series' | 'architectural'
}

export interface Device {
  readonly name: string
  readonly sid: number
  /** Number of substreams (PASIDs) the device issues: SSIDs 0..ssids-1. Absent: no SubstreamID. */
  readonly ssids?: number
}

export interface Guest {
  readonly name: string
  /** Guest memory in bytes (a multiple of pageSize). */
  readonly memory: number
}

export interface Platform {
  readonly smmu: SmmuPlatform
  /** The only physical memory: 64K-aligned, below 2^oas. */
  readonly ram: { readonly base: number; readonly size: number }
  /** The kernel's PAGE_SIZE. */
  readonly pageSize: GranuleName
  readonly hypervisor: 'none' | 'pkvm'
  /** Present exactly when hypervisor is 'pkvm'. */
  readonly emulation?: Emulation
  /** pKVM options; always filled (used only when hypervisor is 'pkvm'). */
  readonly pkvm: PkvmOptions
  /** Reproduce QEMU's known deviations from the architecture (SPEC-FACTS), to compare. */
  readonly qemuCompat: boolean
  readonly devices: readonly Device[]
  readonly guests: readonly Guest[]
}

/** Linux IOMMU_READ / IOMMU_WRITE. */
export type Prot = 'r' | 'w' | 'rw'
/** pKVM share-with-guest permissions (a subset of RWX). */
export type GuestProt = 'r' | 'w' | 'x' | 'rw' | 'rx' | 'wx' | 'rwx'

export type DomainType = 'abort' | 'bypass' | 's1' | 's2' | 'identity'

export interface Domain {
  readonly type: DomainType
  /** Optional name, so `map`/`unmap` can address the domain rather than a device. */
  readonly name?: string
  /** s1 only. */
  readonly asid?: number
  /** s2 only. */
  readonly vmid?: number
  /** Input address size in bits (s1, s2, identity). */
  readonly ias?: number
  /** Page-table granule (s1, s2, identity); defaults to pageSize as Linux prefers PAGE_SIZE. */
  readonly granule?: GranuleName
}

/** A command given by name and spec-named fields, or as its two 64-bit words (Linux's cmd[0], cmd[1]). */
export type CommandSpec =
  | {
      readonly opcode: string
      /** Field values as numbers; `Address` always a bigint; a string is a named value (CS: "SEV"). */
      readonly fields: Readonly<Record<string, number | bigint | string>>
    }
  | { readonly raw: readonly [bigint, bigint] }

/** Every step may carry a `note` that the UI shows beside it. */
interface StepBase {
  readonly note?: string
}

/** `map`/`unmap` target: a device's current domain, or a named domain. */
export type MapTarget = { readonly device: string; readonly domain?: undefined } | { readonly domain: string; readonly device?: undefined }

export type Step = StepBase &
  (
    | { readonly op: 'boot' }
    | { readonly op: 'attach'; readonly device: string; readonly domain: Domain }
    | (MapTarget & { readonly op: 'map'; readonly iova: number; readonly pa: number; readonly size: number; readonly prot: Prot })
    | (MapTarget & { readonly op: 'unmap'; readonly iova: number; readonly size: number })
    | {
        readonly op: 'dma'
        readonly device: string
        readonly ssid?: number
        /** An IOVA may have its top bits set (TT1, TBI): a bigint when ≥ 2^53. */
        readonly iova: number | bigint
        readonly size: number
        readonly access: 'read' | 'write'
      }
    | { readonly op: 'donate'; readonly pa: number; readonly size: number; readonly to: string }
    | { readonly op: 'share' | 'unshare'; readonly pa: number; readonly size: number; readonly with: 'hyp' }
    | { readonly op: 'guestMap'; readonly guest: string; readonly ipa: number; readonly pa: number; readonly prot: GuestProt }
    | {
        readonly op: 'guestUnmap'
        readonly guest: string
        readonly ipa: number
        /** What the caller believes is mapped there; the hypercall itself takes only the IPA. */
        readonly pa?: number
        readonly prot?: GuestProt
      }
    | {
        readonly op: 'mmio'
        readonly access: 'read' | 'write'
        /** A register name without the SMMU_ prefix, or a byte offset in the MMIO window (0x0-0x1FFFF). */
        readonly reg: string | number
        readonly value?: bigint
        /** Access size in bytes; absent: the register's own width. Sizes other than 4 and 8 are for experiments (the SMMU and pKVM refuse them). */
        readonly size?: 1 | 2 | 4 | 8
      }
    | { readonly op: 'cmd'; readonly command: CommandSpec; readonly noProd: boolean }
    | { readonly op: 'cmds'; readonly commands: readonly CommandSpec[]; readonly noProd: boolean }
    | { readonly op: 'write'; readonly pa: number; readonly value: bigint; readonly size: 1 | 2 | 4 | 8 }
    | {
        readonly op: 'expect'
        readonly dma?: 'ok' | 'fault'
        readonly pa?: number
        readonly event?: string
        readonly stage?: 1 | 2
        readonly reg?: string
        readonly field?: string
        readonly value?: bigint
        readonly rejected?: string
      }
  )

export type OpName = Step['op']
export const OPS: readonly OpName[] = [
  'boot', 'attach', 'map', 'unmap', 'dma', 'donate', 'share', 'unshare', 'guestMap', 'guestUnmap',
  'mmio', 'cmd', 'cmds', 'write', 'expect',
]

export interface Scenario {
  readonly smmuscope: 1
  readonly title: string
  readonly notes: string
  readonly platform: Platform
  readonly steps: readonly Step[]
}

/**
 * Defaults for every platform key a scenario leaves out.
 *
 * The SMMU is QEMU's `arm-smmuv3` as the `virt` machine builds it since 9.2
 * (SPEC-FACTS A§1: IDR0 0x0D44101B), with both stages: that is what real
 * MMU-600/700 parts implement, and pKVM needs it (it hides stage 2 from the
 * host and attaches its own to every STE, so a host stage-1 STE becomes a
 * nested one). The QEMU device's own default (stage 1 only) cannot host
 * pKVM. Everything else is QEMU's: OAS 44, all granules, 16-bit StreamIDs,
 * no substreams, 2-level stream table, RIL, no ATS, no MSI, 2^19-entry
 * queues, a 256-entry IOTLB. RAM is the virt machine's: 128 MiB at 1 GiB.
 */
export const DEFAULT_PLATFORM: Platform = {
  smmu: {
    stages: 'nested',
    oas: 44,
    granules: ['4K', '16K', '64K'],
    sidBits: 16,
    ssidBits: 0,
    strtab: '2level',
    ril: true,
    ats: false,
    msi: false,
    coherent: true,
    cmdqLog2: 19,
    evtqLog2: 19,
    iidr: { product: 'generic', variant: 0, revision: 0 },
    tlb: { model: 'combined', entries: 256 },
  },
  ram: { base: 0x4000_0000, size: 0x800_0000 },
  pageSize: '4K',
  hypervisor: 'none',
  pkvm: { version: 'v6', onRefused: 'warn', fidelity: 'architectural' },
  qemuCompat: false,
  devices: [],
  guests: [],
}

/** Emulation level when hypervisor is 'pkvm' and none is given: the whole series. */
export const DEFAULT_EMULATION: Emulation = 'nested'
