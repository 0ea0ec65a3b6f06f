// What a replica recorded while Redis was unreachable, kept as mergeable deltas (not as
// snapshots) so the resync can fold it into whatever the other replicas wrote meanwhile.
import type { UsageStats } from '../../auth/types.ts'
import type { Reason } from '../../routing/types.ts'
import type { FailureInput } from '../types.ts'
import type { Pin } from '../local-state.ts'
import { arg } from './codec.ts'

export interface ModelDelta { until: number, errors: number, lastFailureAt: number }

export interface StatsDelta {
  /** Latest local success/clear of the profile-wide state (0: none); failures below happened after it. */
  clearedAt: number
  /** Latest manual clear, which also removed every model entry (0: none). */
  allModelsClearedAt: number
  /** Model entries removed by a success on that model. */
  modelClears: Map<string, number>
  lastUsed: number
  /** Failures recorded offline (bounded by the local window's count). */
  errors: number
  reasons: Partial<Record<Reason, number>>
  lastFailureAt: number
  windowMs: number
  /** Deadlines set offline (0: none), with their reasons. */
  cooldownUntil: number
  cooldownReason: string
  disabledUntil: number
  disabledReason: string
  models: Map<string, ModelDelta>
}

export interface DirtyBatch {
  /** agent → profileId → delta */
  readonly stats: Map<string, Map<string, StatsDelta>>
  /** agent → provider → profileId */
  readonly lastGood: Map<string, Map<string, string>>
  /** agent → session → pin */
  readonly pins: Map<string, Map<string, Pin>>
}

export interface Dirty {
  failure (agent: string, profileId: string, input: FailureInput, next: UsageStats): void
  /**
   * A success on `model` (lastUsed = at; other models' entries stay) or a manual clear
   * (model undefined: every entry goes) wipes the offline failures it covers.
   */
  cleared (agent: string, profileId: string, at: number, success: { model: string } | undefined): void
  lastGood (agent: string, provider: string, profileId: string): void
  /** A use that changed nothing else (a coalesced lastUsed that did not reach Redis). */
  used (agent: string, profileId: string, at: number): void
  pin (agent: string, session: string, pin: Pin): void
  empty (): boolean
  /** Hands out everything recorded so far and starts afresh. */
  take (): DirtyBatch
  /** Puts back the parts of a batch that did not reach Redis; newer local changes win. */
  restore (batch: DirtyBatch): void
}

function emptyBatch (): DirtyBatch {
  return { stats: new Map(), lastGood: new Map(), pins: new Map() }
}

function freshDelta (): StatsDelta {
  return {
    clearedAt: 0, allModelsClearedAt: 0, modelClears: new Map(), lastUsed: 0, errors: 0, reasons: {}, lastFailureAt: 0, windowMs: 0,
    cooldownUntil: 0, cooldownReason: '', disabledUntil: 0, disabledReason: '', models: new Map(),
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

/** `older` happened before `newer`: a clear in `newer` drops the older failures it covers. */
export function combineDeltas (older: StatsDelta, newer: StatsDelta): StatsDelta {
  const modelClears = new Map(older.modelClears)
  for (const [m, at] of newer.modelClears) modelClears.set(m, Math.max(at, modelClears.get(m) ?? 0))
  const models = new Map<string, ModelDelta>()
  for (const [m, d] of older.models) {
    if (newer.allModelsClearedAt === 0 && !newer.modelClears.has(m)) models.set(m, d)
  }
  for (const [m, d] of newer.models) {
    const o = models.get(m)
    models.set(m, o === undefined ? d : { until: Math.max(o.until, d.until), errors: o.errors + d.errors, lastFailureAt: Math.max(o.lastFailureAt, d.lastFailureAt) })
  }
  const base = {
    lastUsed: Math.max(older.lastUsed, newer.lastUsed),
    allModelsClearedAt: Math.max(older.allModelsClearedAt, newer.allModelsClearedAt),
    modelClears,
    models,
  }
  if (newer.clearedAt > 0 && older.lastFailureAt <= newer.clearedAt) return { ...newer, ...base }
  const reasons: Partial<Record<Reason, number>> = { ...older.reasons }
  for (const [r, n] of Object.entries(newer.reasons) as Array<[Reason, number]>) reasons[r] = (reasons[r] ?? 0) + n
  const newerCools = newer.cooldownUntil >= older.cooldownUntil
  const newerDisables = newer.disabledUntil >= older.disabledUntil
  return {
    ...base,
    clearedAt: Math.max(older.clearedAt, newer.clearedAt),
    errors: older.errors + newer.errors,
    reasons,
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
    failure (agent, profileId, input, next) {
      const d = delta(agent, profileId)
      // next counts every failure of the local window; offline deltas cannot exceed it
      // (a window reset locally drops the deltas of the old window).
      d.errors = Math.min(d.errors + 1, next.errorCount ?? 1)
      for (const r of Object.keys(d.reasons) as Reason[]) d.reasons[r] = Math.min(d.reasons[r] ?? 0, next.failureCounts?.[r] ?? 0)
      d.reasons[input.reason] = Math.min((d.reasons[input.reason] ?? 0) + 1, next.failureCounts?.[input.reason] ?? 1)
      d.lastFailureAt = Math.max(d.lastFailureAt, input.now)
      d.windowMs = input.policy.failureWindowMs
      if (input.scope === 'profile' && (next.cooldownUntil ?? 0) >= d.cooldownUntil) {
        d.cooldownUntil = next.cooldownUntil ?? 0
        d.cooldownReason = next.cooldownReason ?? input.reason
      } else if (input.scope === 'disable' && (next.disabledUntil ?? 0) >= d.disabledUntil) {
        d.disabledUntil = next.disabledUntil ?? 0
        d.disabledReason = next.disabledReason ?? 'billing'
      } else if (input.scope === 'model') {
        const entry = next.modelCooldowns?.[input.model]
        const m = d.models.get(input.model) ?? { until: 0, errors: 0, lastFailureAt: 0 }
        d.models.set(input.model, {
          until: Math.max(m.until, entry?.until ?? 0),
          errors: Math.min(m.errors + 1, entry?.errorCount ?? 1),
          lastFailureAt: Math.max(m.lastFailureAt, input.now),
        })
      }
    },
    cleared (agent, profileId, at, success) {
      const prev = inner(cur.stats, agent).get(profileId)
      // Failures recorded after `at` (a success applied late) are not covered by it.
      const d = prev !== undefined && prev.lastFailureAt > at ? { ...prev, models: new Map(prev.models), modelClears: new Map(prev.modelClears) } : freshDelta()
      if (d !== prev && prev !== undefined) d.windowMs = prev.windowMs
      d.clearedAt = Math.max(prev?.clearedAt ?? 0, at)
      d.lastUsed = Math.max(prev?.lastUsed ?? 0, success === undefined ? 0 : at)
      if (success === undefined) {
        d.allModelsClearedAt = Math.max(d.allModelsClearedAt, at)
        for (const [m, md] of prev?.models ?? []) if (md.lastFailureAt <= at) d.models.delete(m)
      } else {
        d.allModelsClearedAt = prev?.allModelsClearedAt ?? 0
        for (const [m, t] of prev?.modelClears ?? []) d.modelClears.set(m, t)
        d.modelClears.set(success.model, Math.max(at, d.modelClears.get(success.model) ?? 0))
        for (const [m, md] of prev?.models ?? []) {
          // Other models' offline rate limits survive a success on this one.
          if (m !== success.model || md.lastFailureAt > at) d.models.set(m, md)
          else d.models.delete(m)
        }
      }
      inner(cur.stats, agent).set(profileId, d)
    },
    lastGood (agent, provider, profileId) { inner(cur.lastGood, agent).set(provider, profileId) },
    used (agent, profileId, at) {
      const d = delta(agent, profileId)
      d.lastUsed = Math.max(d.lastUsed, at)
    },
    pin (agent, session, pin) { inner(cur.pins, agent).set(session, pin) },
    empty: () => cur.stats.size === 0 && cur.lastGood.size === 0 && cur.pins.size === 0,
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
      for (const [agent, m] of batch.lastGood) {
        const now = inner(cur.lastGood, agent)
        for (const [p, id] of m) if (!now.has(p)) now.set(p, id)
      }
      for (const [agent, m] of batch.pins) {
        const now = inner(cur.pins, agent)
        for (const [s, pin] of m) if (!now.has(s)) now.set(s, pin)
      }
    },
  }
}

/** ARGV of the mergeStats script (scripts.ts MERGE_STATS) for one delta. */
export function mergeArgs (d: StatsDelta, now: number, retentionMs: number): string[] {
  const reasons = Object.entries(d.reasons).filter(([, n]) => n !== undefined && n > 0)
  const out = [
    arg(now), arg(d.windowMs), arg(retentionMs), arg(d.clearedAt), arg(d.lastUsed), arg(d.errors), arg(d.lastFailureAt),
    arg(d.cooldownUntil), d.cooldownReason, arg(d.disabledUntil), d.disabledReason, arg(d.allModelsClearedAt),
    String(d.modelClears.size),
  ]
  for (const [m, at] of d.modelClears) out.push(m, arg(at))
  out.push(String(reasons.length))
  for (const [r, n] of reasons) out.push(r, arg(n ?? 0))
  out.push(String(d.models.size))
  for (const [m, e] of d.models) out.push(m, arg(e.until), arg(e.errors), arg(e.lastFailureAt))
  return out
}
