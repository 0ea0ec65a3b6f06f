// What a replica recorded while Redis was unreachable, kept as mergeable deltas (not as
// snapshots) so the resync can fold it into whatever the other replicas wrote meanwhile —
// and, after Redis lost an agent's state, the entries of the local mirror to put back (seeds).
import type { Reason, UsageStats, FailureInput } from '../../core/types.ts'
import type { Pin } from '../local-state.ts'
import { arg, encodeStats } from './codec.ts'

/** One failure, with the id the merge script counts it by (at most once). */
export interface FailureEvent {
  readonly id: string
  readonly at: number
  readonly reason: Reason
  readonly scope: FailureInput['scope']
  /** It still counts for the profile (errorCount, failureCounts): no local success or clear since. */
  readonly profileWide: boolean
  /** The model whose entry it still counts for (scope 'model'); '' when none does. */
  readonly model: string
}

export interface StatsDelta {
  /** Latest local success/clear of the profile-wide state (0: none); failures below happened after it. */
  clearedAt: number
  /** Latest manual clear, which also removed every model entry (0: none). */
  allModelsClearedAt: number
  /** Model entries removed by a success on that model. */
  modelClears: Map<string, number>
  lastUsed: number
  /** Failures recorded offline, oldest first; as many as the local window counts, at most MAX_EVENTS. */
  events: FailureEvent[]
  lastFailureAt: number
  windowMs: number
  /** Deadlines set offline (0: none), with their reasons. */
  cooldownUntil: number
  cooldownReason: string
  disabledUntil: number
  disabledReason: string
  /** Model deadlines set offline. */
  modelUntil: Map<string, number>
}

export interface DirtyBatch {
  /** agent → profileId → delta */
  readonly stats: Map<string, Map<string, StatsDelta>>
  /** agent → provider → profileId */
  readonly lastGood: Map<string, Map<string, string>>
  /** agent → session → pin */
  readonly pins: Map<string, Map<string, Pin>>
  /** agent → profileId → a mirror entry to put back after Redis lost the agent's state */
  readonly seeds: Map<string, Map<string, UsageStats>>
  /** agent → provider → profileId, put back unless set meanwhile */
  readonly seedLastGood: Map<string, Map<string, string>>
}

export interface Dirty {
  /** A failure recorded locally; `eventId` is the id its own (failed) Redis call carried. */
  failure (agent: string, profileId: string, input: FailureInput, next: UsageStats, eventId: string): void
  /**
   * A success on `model` (lastUsed = at; other models' entries stay) or a manual clear
   * (model undefined: every entry goes) wipes the offline failures it covers.
   */
  cleared (agent: string, profileId: string, at: number, success: { model: string } | undefined): void
  lastGood (agent: string, provider: string, profileId: string): void
  /** A use that changed nothing else (a coalesced lastUsed that did not reach Redis). */
  used (agent: string, profileId: string, at: number): void
  pin (agent: string, session: string, pin: Pin): void
  /** An entry of the local mirror to put back (absolute values, merged by max). */
  seed (agent: string, profileId: string, stats: UsageStats): void
  seedLastGood (agent: string, provider: string, profileId: string): void
  /** Drops a queued seed (the profile was cleared since it was queued). */
  unseed (agent: string, profileId: string): void
  /** Seeds of `agent` are waiting to be sent. */
  seeding (agent: string): boolean
  empty (): boolean
  /** Hands out everything recorded so far and starts afresh. */
  take (): DirtyBatch
  /** Puts back the parts of a batch that did not reach Redis; newer local changes win. */
  restore (batch: DirtyBatch): void
}

/** Same bound as the ids Redis keeps per profile (script-prelude.ts EVENTS). */
const MAX_EVENTS = 64

export function emptyBatch (): DirtyBatch {
  return { stats: new Map(), lastGood: new Map(), pins: new Map(), seeds: new Map(), seedLastGood: new Map() }
}

function freshDelta (): StatsDelta {
  return {
    clearedAt: 0, allModelsClearedAt: 0, modelClears: new Map(), lastUsed: 0, events: [], lastFailureAt: 0, windowMs: 0,
    cooldownUntil: 0, cooldownReason: '', disabledUntil: 0, disabledReason: '', modelUntil: new Map(),
  }
}

/** The per-agent map inside `outer`, created on first use. */
export function inner<V> (outer: Map<string, Map<string, V>>, agent: string): Map<string, V> {
  let m = outer.get(agent)
  if (m === undefined) {
    m = new Map()
    outer.set(agent, m)
  }
  return m
}

/** Events that still count for something. */
function live (events: FailureEvent[]): FailureEvent[] {
  return events.filter((e) => e.profileWide || e.model !== '')
}

/** The events of `model` for which `drop` holds no longer count for its entry (cleared, or its window reset). */
function untagModel (events: FailureEvent[], model: string, drop: (e: FailureEvent) => boolean = () => true): FailureEvent[] {
  return live(events.map((e) => e.model === model && drop(e) ? { ...e, model: '' } : e))
}

/** After the profile-wide part was cleared: only the model entries in `kept` still count them. */
function modelOnly (events: FailureEvent[], kept: ReadonlyMap<string, number>): FailureEvent[] {
  return live(events.map((e) => ({ ...e, profileWide: false, model: kept.has(e.model) ? e.model : '' })))
}

/** `older` happened before `newer`: a clear in `newer` drops the older failures it covers. */
export function combineDeltas (older: StatsDelta, newer: StatsDelta): StatsDelta {
  const modelClears = new Map(older.modelClears)
  for (const [m, at] of newer.modelClears) modelClears.set(m, Math.max(at, modelClears.get(m) ?? 0))
  const modelUntil = new Map<string, number>()
  for (const [m, u] of older.modelUntil) {
    if (newer.allModelsClearedAt === 0 && !newer.modelClears.has(m)) modelUntil.set(m, u)
  }
  for (const [m, u] of newer.modelUntil) modelUntil.set(m, Math.max(u, modelUntil.get(m) ?? 0))
  const base = {
    lastUsed: Math.max(older.lastUsed, newer.lastUsed),
    allModelsClearedAt: Math.max(older.allModelsClearedAt, newer.allModelsClearedAt),
    modelClears,
    modelUntil,
  }
  const seen = new Set(newer.events.map((e) => e.id))
  if (newer.clearedAt > 0 && older.lastFailureAt <= newer.clearedAt) {
    // The older failures' profile-wide part is cleared; their model entries may survive.
    const events = [...modelOnly(older.events, modelUntil).filter((e) => !seen.has(e.id)), ...newer.events].slice(-MAX_EVENTS)
    return { ...newer, ...base, events }
  }
  let olderEvents = older.events
  for (const m of older.modelUntil.keys()) {
    if (!modelUntil.has(m)) olderEvents = untagModel(olderEvents, m)
  }
  const events = [...olderEvents.filter((e) => !seen.has(e.id)), ...newer.events].slice(-MAX_EVENTS)
  const newerCools = newer.cooldownUntil >= older.cooldownUntil
  const newerDisables = newer.disabledUntil >= older.disabledUntil
  return {
    ...base,
    clearedAt: Math.max(older.clearedAt, newer.clearedAt),
    events,
    lastFailureAt: Math.max(older.lastFailureAt, newer.lastFailureAt),
    windowMs: newer.windowMs || older.windowMs,
    cooldownUntil: newerCools ? newer.cooldownUntil : older.cooldownUntil,
    cooldownReason: newerCools ? newer.cooldownReason : older.cooldownReason,
    disabledUntil: newerDisables ? newer.disabledUntil : older.disabledUntil,
    disabledReason: newerDisables ? newer.disabledReason : older.disabledReason,
  }
}

export function createDirty (): Dirty {
  let cur = emptyBatch()

  function delta (agent: string, profileId: string): StatsDelta {
    const m = inner(cur.stats, agent)
    let d = m.get(profileId)
    if (d === undefined) {
      d = freshDelta()
      m.set(profileId, d)
    }
    return d
  }

  return {
    failure (agent, profileId, input, next, eventId) {
      const d = delta(agent, profileId)
      const model = input.scope === 'model' ? input.model : ''
      d.events.push({ id: eventId, at: input.now, reason: input.reason, scope: input.scope, profileWide: true, model })
      // next counts every failure of the local window: older events belong to a window that
      // reset locally and no longer count for the profile.
      const wide = d.events.filter((e) => e.profileWide)
      const stale = new Set(wide.slice(0, Math.max(0, wide.length - (next.errorCount ?? 1))).map((e) => e.id))
      if (stale.size > 0) d.events = live(d.events.map((e) => stale.has(e.id) ? { ...e, profileWide: false } : e))
      if (d.events.length > MAX_EVENTS) d.events = d.events.slice(-MAX_EVENTS)
      d.lastFailureAt = Math.max(d.lastFailureAt, input.now)
      d.windowMs = input.policy.failureWindowMs
      if (input.scope === 'profile' && (next.cooldownUntil ?? 0) >= d.cooldownUntil) {
        d.cooldownUntil = next.cooldownUntil ?? 0
        d.cooldownReason = next.cooldownReason ?? input.reason
      } else if (input.scope === 'disable' && (next.disabledUntil ?? 0) >= d.disabledUntil) {
        d.disabledUntil = next.disabledUntil ?? 0
        d.disabledReason = next.disabledReason ?? 'billing'
      } else if (input.scope === 'model') {
        const entry = next.modelCooldowns?.[model]
        d.modelUntil.set(model, Math.max(d.modelUntil.get(model) ?? 0, entry?.until ?? 0))
        // The model's own window may have reset locally while the profile's did not.
        const counted = d.events.filter((e) => e.model === model)
        const extra = counted.length - (entry?.errorCount ?? 1)
        if (extra > 0) {
          const older = new Set(counted.slice(0, extra).map((e) => e.id))
          d.events = untagModel(d.events, model, (e) => older.has(e.id))
        }
      }
    },
    cleared (agent, profileId, at, success) {
      const prev = inner(cur.stats, agent).get(profileId)
      // Failures recorded after `at` (a success applied late) are not covered by it.
      const covered = prev === undefined || prev.lastFailureAt <= at
      const d = covered ? freshDelta() : { ...prev, modelUntil: new Map(prev.modelUntil), modelClears: new Map(prev.modelClears) }
      if (prev !== undefined) d.windowMs = prev.windowMs
      d.clearedAt = Math.max(prev?.clearedAt ?? 0, at)
      d.lastUsed = Math.max(prev?.lastUsed ?? 0, success === undefined ? 0 : at)
      const lastAt = (m: string): number => Math.max(0, ...(prev?.events ?? []).filter((e) => e.model === m).map((e) => e.at))
      if (success === undefined) {
        d.allModelsClearedAt = Math.max(d.allModelsClearedAt, at)
        for (const m of prev?.modelUntil.keys() ?? []) {
          if (lastAt(m) > at) continue
          d.modelUntil.delete(m)
          d.events = untagModel(d.events, m)
        }
      } else {
        d.allModelsClearedAt = prev?.allModelsClearedAt ?? 0
        for (const [m, t] of prev?.modelClears ?? []) d.modelClears.set(m, t)
        d.modelClears.set(success.model, Math.max(at, d.modelClears.get(success.model) ?? 0))
        for (const [m, u] of prev?.modelUntil ?? []) {
          // Other models' offline rate limits survive a success on this one.
          if (m !== success.model || lastAt(m) > at) d.modelUntil.set(m, u)
          else {
            d.modelUntil.delete(m)
            d.events = untagModel(d.events, m)
          }
        }
        // The success covers every failure; the other models' entries still count theirs.
        if (covered && prev !== undefined) d.events = modelOnly(prev.events, d.modelUntil)
      }
      inner(cur.stats, agent).set(profileId, d)
    },
    lastGood (agent, provider, profileId) { inner(cur.lastGood, agent).set(provider, profileId) },
    used (agent, profileId, at) {
      const d = delta(agent, profileId)
      d.lastUsed = Math.max(d.lastUsed, at)
    },
    pin (agent, session, pin) { inner(cur.pins, agent).set(session, pin) },
    seed (agent, profileId, stats) { inner(cur.seeds, agent).set(profileId, stats) },
    seedLastGood (agent, provider, profileId) { inner(cur.seedLastGood, agent).set(provider, profileId) },
    unseed (agent, profileId) {
      const m = cur.seeds.get(agent)
      m?.delete(profileId)
      if (m?.size === 0) cur.seeds.delete(agent)
    },
    seeding: (agent) => (cur.seeds.get(agent)?.size ?? 0) > 0 || (cur.seedLastGood.get(agent)?.size ?? 0) > 0,
    empty: () => cur.stats.size === 0 && cur.lastGood.size === 0 && cur.pins.size === 0 && cur.seeds.size === 0 && cur.seedLastGood.size === 0,
    take () {
      const out = cur
      cur = emptyBatch()
      return out
    },
    restore (batch) {
      for (const [agent, m] of batch.stats) {
        const now = inner(cur.stats, agent)
        for (const [id, d] of m) {
          const newer = now.get(id)
          now.set(id, newer === undefined ? d : combineDeltas(d, newer))
        }
      }
      const putBack = <V>(from: Map<string, Map<string, V>>, into: Map<string, Map<string, V>>): void => {
        for (const [agent, m] of from) {
          const now = inner(into, agent)
          for (const [k, v] of m) if (!now.has(k)) now.set(k, v)
        }
      }
      putBack(batch.lastGood, cur.lastGood)
      putBack(batch.pins, cur.pins)
      putBack(batch.seeds, cur.seeds)
      putBack(batch.seedLastGood, cur.seedLastGood)
    },
  }
}

/** ARGV of the mergeStats script (resync-scripts.ts MERGE_STATS) for one delta. */
export function mergeArgs (d: StatsDelta, now: number, retentionMs: number): string[] {
  const out = [
    arg(now), arg(d.windowMs), arg(retentionMs), arg(d.clearedAt), arg(d.lastUsed),
    arg(d.cooldownUntil), d.cooldownReason, arg(d.disabledUntil), d.disabledReason, arg(d.allModelsClearedAt),
    String(d.modelClears.size),
  ]
  for (const [m, at] of d.modelClears) out.push(m, arg(at))
  out.push(String(d.modelUntil.size))
  for (const [m, u] of d.modelUntil) out.push(m, arg(u))
  out.push(String(d.events.length))
  for (const e of d.events) out.push(e.id, arg(e.at), e.reason, e.scope, e.profileWide ? '1' : '0', e.model)
  return out
}

/** ARGV of the seedStats script (resync-scripts.ts SEED_STATS) for one mirror entry. */
export function seedArgs (s: UsageStats, now: number, windowMs: number, retentionMs: number): string[] {
  return [arg(now), arg(windowMs), arg(retentionMs), ...encodeStats(s)]
}
