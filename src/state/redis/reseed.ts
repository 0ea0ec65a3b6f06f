// Redis losing an agent's state (a restart without persistence, FLUSHALL, a failover to an
// empty replica) must not silently drop every cooldown. Every stats script and every full
// read returns the agent's epoch (keys.ts): set when the agent's keys are (re-)created, never
// changed otherwise. A replica that sees the epoch it knew vanish or change knows Redis lost
// the agent's state since it last looked — even when another replica, which never knew the
// old epoch, has already written to the empty Redis — and puts back its local mirror (seeds,
// merged by max in resync-scripts.ts SEED_STATS).
import type { LocalAgentState } from '../local-state.ts'
import { decodeEpoch } from './codec.ts'
import { execBySlot, type StateClient } from './connection.ts'
import type { Dirty } from './dirty.ts'
import type { Keys } from './keys.ts'

export interface EpochWatch {
  /** Notes the epoch a reply carried; true when it shows that Redis lost the agent's state. */
  lost (agent: string, epoch: string): boolean
  /** Every agent with a known epoch, to check them all after a reconnect. */
  known (): string[]
}

export function createEpochWatch (): EpochWatch {
  const epochs = new Map<string, string>()
  return {
    lost (agent, epoch) {
      const prev = epochs.get(agent)
      epochs.set(agent, epoch)
      // '' is "no epoch yet" (no change since epochs exist): nothing known to lose.
      return prev !== undefined && prev !== '' && prev !== epoch
    },
    known: () => [...epochs].filter(([, e]) => e !== '').map(([agent]) => agent),
  }
}

/**
 * Queues one agent's local state to be put back: every stats entry (a clean one still holds
 * the lastUsed that orders least-recently-used profiles), lastGood, live session pins.
 * Returns the number of stats entries queued.
 */
export function queueSeeds (agent: string, state: LocalAgentState, dirty: Dirty, now: number): number {
  for (const [id, stats] of state.stats) dirty.seed(agent, id, stats)
  for (const [provider, id] of state.lastGood) dirty.seedLastGood(agent, provider, id)
  for (const [session, pin] of state.pins) if (pin.expires > now) dirty.pin(agent, session, pin)
  return state.stats.size
}

/** The current epoch of each agent ('' when gone), pipelined (per slot on a Cluster); throws when any GET failed. */
export async function readEpochs (client: StateClient, keys: Keys, agents: readonly string[]): Promise<Array<[string, string]>> {
  if (agents.length === 0) return []
  const res = await execBySlot(client, agents.map((agent) => {
    const key = keys.epoch(agent)
    return { key, add: (pipe) => { pipe.get(key) } }
  }))
  return agents.map((agent, i) => {
    const [err, value] = res[i] ?? [new Error('no reply'), null]
    if (err !== null) throw err
    return [agent, decodeEpoch(value)]
  })
}
