/**
 * cmdq_emulation (issue 7): the cost of a host command under pKVM against
 * the same command on the SMMU alone.
 *
 * Both machines are built from a scenario and booted by the host driver
 * model (probe, reset, queues enabled). Each round the host does what
 * arm_smmu_cmdq_issue_cmdlist does for a one-command batch: read PROD and
 * CONS, write TLBI_NH_ASID (ASID 1, VMID 0: a command the filter copies)
 * and a CMD_SYNC (CS=SEV: no MSI) into its queue, then publish PROD.
 * - pKVM: the PROD write traps; the hypervisor copies both commands,
 *   judges them (hyp.cmd), appends them to its shadow queue, writes the
 *   real PROD and polls CONS until the SMMU has executed them.
 * - direct: the PROD write reaches the SMMU, which executes both.
 * The ratio is the median of per-round ratios (rounds alternate), with the
 * journal off (the engine's work) and on (what the UI steps through).
 */
import { encodeCommand } from '../engine/arch/commands'
import { queueIndex, queueIncrement } from '../engine/arch/queue'
import { REG } from '../engine/arch/registers'
import { SCENARIO_HOOKS } from '../engine/api'
import { Machine } from '../engine/machine'
import { validateScenario } from '../engine/scenario/validate'
import { median, row, type Row } from './rows'

const ROUNDS = 11

function booted(hypervisor: 'none' | 'pkvm', journal: boolean): Machine {
  const v = validateScenario({
    smmuscope: 1,
    title: 'cmdq bench',
    platform: { smmu: { stages: 'nested', strtab: '2level' }, hypervisor, devices: [{ name: 'nic', sid: 8 }] },
    steps: [{ op: 'boot' }],
  }, SCENARIO_HOOKS)
  if (!v.ok) throw new Error(`cmdq bench scenario: ${v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`)
  const m = new Machine(v.scenario, { journal })
  m.run()
  if (m.stopped) throw new Error(`cmdq bench boot stopped: ${m.stopped.message}`)
  return m
}

const CMDS = [encodeCommand({ op: 'TLBI_NH_ASID', ASID: 1, VMID: 0 }), encodeCommand({ op: 'SYNC', CS: 'SIG_SEV', MSH: 3, MSIAttr: 0xf })]

/** One host batch: the queue registers read, two entries written, PROD published. */
function issuer(m: Machine): () => void {
  const baseReg = m.bus.read('host', REG.CMDQ_BASE.offset, 8)
  const base = REG.CMDQ_BASE.layout.get([baseReg], 'ADDR')
  const log2 = Math.min(REG.CMDQ_BASE.layout.get([baseReg], 'LOG2SIZE'), m.smmu.feat.cmdqLog2)
  return () => {
    let prod = Number(m.bus.read('host', REG.CMDQ_PROD.offset, 4))
    const cons = Number(m.bus.read('host', REG.CMDQ_CONS.offset, 4))
    if (prod !== cons) throw new Error(`the previous batch was not consumed (PROD 0x${prod.toString(16)}, CONS 0x${cons.toString(16)})`)
    for (const words of CMDS) {
      m.mem.writeWords(base + queueIndex(prod, log2) * 16, words, 'host')
      prod = queueIncrement(prod, log2)
    }
    m.bus.write('host', REG.CMDQ_PROD.offset, 4, BigInt(prod))
  }
}

function timed(fn: () => void, n: number): number {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn()
  return ((performance.now() - t0) * 1000) / n
}

export function benchCmdq(): Row[] {
  const rows: Row[] = []
  for (const journal of [false, true]) {
    const pk = booted('pkvm', journal)
    const direct = booted('none', journal)
    if (!pk.pkvm || pk.pkvm.smmu.hwQueue !== 'shadow') throw new Error('the pKVM machine does not run a shadow command queue')
    const trim = (m: Machine) => { if (m.j.records.length > 100_000) m.j.records.length = 0 }
    const a = issuer(pk)
    const b = issuer(direct)
    const one = (m: Machine, f: () => void) => () => { f(); trim(m) }
    const fa = one(pk, a)
    const fb = one(direct, b)
    const n = journal ? 500 : 2000
    timed(fa, n)
    timed(fb, n)
    const us: number[] = []
    const lim: number[] = []
    const ratios: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const l = timed(fb, n)
      const v = timed(fa, n)
      us.push(v)
      lim.push(l)
      ratios.push(v / l)
    }
    // The pKVM run must really have gone through the shadow queue.
    const judged = pk.j.enabled ? pk.j.records.filter((x) => x.kind === 'hyp.cmd').length : 1
    if (judged === 0) throw new Error('no hyp.cmd record: the command did not go through the filter')
    const tag = journal ? 'journal on' : 'journal off'
    rows.push(row({
      name: `cmdq_emulation (${tag})`,
      value: median(us),
      unit: 'us/batch',
      limit: median(lim),
      ratio: median(ratios),
      note: 'TLBI_NH_ASID + CMD_SYNC: trap, copy, filter, shadow CMDQ, SMMU vs the SMMU alone',
    }))
  }
  return rows
}
