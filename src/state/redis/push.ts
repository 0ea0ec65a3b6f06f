// The resync's write side: one pipeline (one per hash slot on a Cluster) that folds what a replica recorded offline into Redis
// through merge scripts, then puts back mirror entries after Redis lost an agent's state
// (redis-store.ts). Parts that fail go back into `dirty` for the next try; sending a part
// twice is harmless (resync-scripts.ts).
import type { UsageStats } from '../../core/types.ts'
import { decodeVersioned, encodePin, type VersionedStats } from './codec.ts'
import { execBySlot, type SlotCommand, type StateClient } from './connection.ts'
import { emptyBatch, inner, mergeArgs, seedArgs, type Dirty, type DirtyBatch } from './dirty.ts'
import type { Keys } from './keys.ts'

export interface PushDeps {
  readonly client: StateClient
  readonly keys: Keys
  readonly dirty: Dirty
  readonly retention: number
  readonly clock: () => number
  /** The failure window seeds are merged with (the latest policy seen). */
  readonly windowMs: () => number
  /** A merge script's reply into the mirror. */
  readonly wrote: (agent: string, id: string, r: VersionedStats) => UsageStats | undefined
}

/** Sends one batch of offline changes (nothing when there are none); throws when any part failed. */
export async function pushDirty (deps: PushDeps): Promise<void> {
  const { client, keys, dirty, retention, clock, wrote } = deps
  if (dirty.empty()) return
  const batch = dirty.take()
  const now = clock()
  const cmds: SlotCommand[] = []
  const undo: Array<(failed: DirtyBatch) => void> = []
  const onOk: Array<(reply: unknown) => void> = []
  for (const [agent, m] of batch.stats) {
    for (const [id, d] of m) {
      const key = keys.stats(agent, id)
      cmds.push({ key, add: (pipe) => { pipe.mergeStats(key, keys.version(agent), keys.epoch(agent), keys.events(agent, id), ...mergeArgs(d, now, retention)) } })
      undo.push((f) => { inner(f.stats, agent).set(id, d) })
      onOk.push((reply) => { wrote(agent, id, decodeVersioned(reply)) })
    }
  }
  for (const [agent, m] of batch.lastGood) {
    for (const [provider, id] of m) {
      const key = keys.lastGood(agent)
      cmds.push({ key, add: (pipe) => { pipe.hset(key, provider, id) } })
      undo.push((f) => { inner(f.lastGood, agent).set(provider, id) })
      onOk.push(() => {})
    }
  }
  for (const [agent, m] of batch.pins) {
    for (const [session, pin] of m) {
      const left = Math.ceil(pin.expires - now)
      if (left <= 0) continue
      // Remote wins: a session that moved elsewhere during the outage stays there.
      const key = keys.pin(agent, session)
      cmds.push({ key, add: (pipe) => { pipe.set(key, encodePin(pin.profileId, pin.expires), 'PX', left, 'NX') } })
      undo.push((f) => { inner(f.pins, agent).set(session, pin) })
      onOk.push(() => {})
    }
  }
  // After the deltas: a seed is the mirror's absolute entry, which already holds them.
  for (const [agent, m] of batch.seeds) {
    for (const [id, stats] of m) {
      const key = keys.stats(agent, id)
      cmds.push({ key, add: (pipe) => { pipe.seedStats(key, keys.version(agent), keys.epoch(agent), ...seedArgs(stats, now, deps.windowMs(), retention)) } })
      undo.push((f) => { inner(f.seeds, agent).set(id, stats) })
      onOk.push((reply) => { wrote(agent, id, decodeVersioned(reply)) })
    }
  }
  for (const [agent, m] of batch.seedLastGood) {
    for (const [provider, id] of m) {
      const key = keys.lastGood(agent)
      cmds.push({ key, add: (pipe) => { pipe.hsetnx(key, provider, id) } })
      undo.push((f) => { inner(f.seedLastGood, agent).set(provider, id) })
      onOk.push(() => {})
    }
  }
  let results: Array<[Error | null, unknown]>
  try {
    results = await execBySlot(client, cmds)
  } catch (err) {
    // Some slots' pipelines may have landed: sending them again is harmless (see above).
    dirty.restore(batch)
    throw err
  }
  const failed = emptyBatch()
  let firstError: Error | undefined
  results.forEach(([err, reply], i) => {
    if (err !== null) {
      firstError ??= err
      undo[i]?.(failed)
    } else {
      onOk[i]?.(reply)
    }
  })
  if (firstError !== undefined) {
    dirty.restore(failed)
    throw firstError
  }
}

