/**
 * smmu_filter_command: the hypervisor's judgement of one copied host command
 * (SPEC-FACTS B§8 "The filter"). Each judgement is a `hyp.cmd` span (opcode,
 * raw, verdict, reason) holding whatever the judgement did (a re-shadowed STE
 * and the hypervisor's own CFGI_STE + CMD_SYNC).
 */
import { COMMANDS, commandName, decodeCommand, type Command } from '../arch/commands'
import { hex64 } from '../arch/u64'
import type { PkvmSmmu } from './pkvm'
import { reshadowSte } from './shadow-ste'

export type CmdVerdict = 'copied' | 'rejected' | 'rewritten'

export interface Judgement {
  readonly opcode: string
  readonly verdict: CmdVerdict
  readonly reason: string
  /** What goes to the shadow queue (the copy, or its rewrite). */
  readonly words: readonly [bigint, bigint]
}

const SYNC = COMMANDS.SYNC.layout

/** Judge a copied command; records the `hyp.cmd` span. */
export function filterCommand(p: PkvmSmmu, words: readonly [bigint, bigint]): Judgement {
  const cmd = decodeCommand(words)
  const opcode = commandName(cmd)
  return p.j.span('hyp.cmd', 'hyp', { opcode, raw: words.map(hex64) }, () => {
    const v = judge(p, cmd, words)
    const extra: Record<string, unknown> = { verdict: v.verdict, reason: v.reason }
    if (v.verdict === 'rewritten') extra.rewritten = v.words.map(hex64)
    if (v.localCopy) extra.localCopy = v.localCopy.map(hex64)
    p.j.annotate(extra)
    return { opcode, verdict: v.verdict, reason: v.reason, words: v.words }
  })
}

interface Raw {
  readonly verdict: CmdVerdict
  readonly reason: string
  readonly words: readonly [bigint, bigint]
  /** The series' discarded local rewrite (v5/v6 CMD_SYNC). */
  readonly localCopy?: readonly bigint[]
}

function judge(p: PkvmSmmu, cmd: Command, words: readonly [bigint, bigint]): Raw {
  const copied = (reason: string): Raw => ({ verdict: 'copied', reason, words })
  const rejected = (reason: string): Raw => ({ verdict: 'rejected', reason, words })
  switch (cmd.op) {
    case 'CFGI_STE': {
      if (!p.has('ste')) return copied('passed: at this emulation level the hardware reads the host stream table itself')
      const r = reshadowSte(p, cmd.SID, cmd.Leaf === 1)
      if (r.ret !== 0) return rejected(`re-shadowing STE ${cmd.SID} failed (${r.ret}): ${r.why}`)
      return copied(`STE ${cmd.SID} re-shadowed with the hypervisor stage 2`)
    }
    case 'CFGI_STE_RANGE':
      // Linux uses the range form only as CFGI_ALL, at reset; a partial range would need re-shadowing every SID in it.
      if (cmd.Range === 31) return copied('CFGI_ALL (Range 31)')
      return rejected(`CFGI_STE_RANGE with Range=${cmd.Range}: only Range 31 (CFGI_ALL) is accepted`)
    case 'TLBI_NH_ASID':
    case 'TLBI_NH_VA':
    case 'TLBI_NH_VAA':
      // The host's stage-1 entries live under the identity stage 2's VMID 0; other VMIDs are not the host's.
      if (cmd.VMID === 0) return copied('VMID 0')
      return rejected(`${cmd.op} with VMID ${cmd.VMID}: the host may only invalidate VMID 0`)
    case 'TLBI_NH_ALL':
      return rejected('TLBI_NH_ALL is refused (not used by Linux)')
    case 'TLBI_EL2_ALL':
    case 'TLBI_EL2_ASID':
    case 'TLBI_EL2_VA':
    case 'TLBI_EL2_VAA':
      return rejected(`${cmd.op}: EL2 is the hypervisor's (IDR0.HYP is hidden from the host)`)
    case 'TLBI_S12_VMALL':
    case 'TLBI_S2_IPA':
      return rejected(`${cmd.op}: stage 2 is the hypervisor's (IDR0.S2P is hidden from the host)`)
    case 'SYNC':
      return sync(p, cmd, words)
    case 'UNKNOWN':
      // The series' switch has no default case: an opcode it does not name
      // is queued as it is, and the hardware raises CERROR_ILL for it.
      return copied(`passed through: opcode 0x${cmd.opcode.toString(16)} is not defined, and the filter queues what it does not name (the SMMU will raise CERROR_ILL)`)
    default:
      return copied('passed through: the filter queues what it does not name')
  }
}

/**
 * A CMD_SYNC with CS=SIG_IRQ would make the SMMU write MSIData to MSIAddr, a
 * PA the stage 2 does not check. The series means to turn it into SEV
 * without an MSI address ("let the host time out"). v4 edits the command in
 * place; v5/v6 edit a local copy and queue the original, which looks like a
 * bug: 'series' fidelity reproduces that, 'architectural' applies the rewrite.
 */
function sync(p: PkvmSmmu, cmd: Extract<Command, { op: 'SYNC' }>, words: readonly [bigint, bigint]): Raw {
  if (cmd.CS !== 1) return { verdict: 'copied', reason: 'CMD_SYNC without MSI', words }
  const w = SYNC.with(words, { CS: 'SIG_SEV', MSIAddr: 0 })
  const rewritten: readonly [bigint, bigint] = [w[0], w[1]]
  if (p.opts.version === 'v4') return { verdict: 'rewritten', reason: 'CS=SIG_IRQ rewritten to SIG_SEV without MSIAddr (v4 edits the command in place)', words: rewritten }
  if (p.fidelity === 'architectural') {
    return { verdict: 'rewritten', reason: 'CS=SIG_IRQ rewritten to SIG_SEV without MSIAddr (architectural: the rewrite v6 intends)', words: rewritten }
  }
  return {
    verdict: 'copied',
    reason: 'series: v6 rewrites CS=SIG_IRQ to SIG_SEV only in a local copy; the original, with its MSIAddr, is queued',
    words,
    localCopy: rewritten,
  }
}
