// UsageStats ⇄ the fields of a stats hash. One flat hash per (agent, profile), no JSON, so
// the Lua scripts update single fields:
//   lastUsed errorCount lastFailureAt cooldownUntil cooldownReason disabledUntil
//   disabledReason probeUntil          scalars (numbers written with %.17g: exact round trip)
//   fc:<reason>                        failureCounts[reason]
//   m:<model>:until|n|at|probe         modelCooldowns[model].until|errorCount|lastFailureAt|probeUntil
// A model entry exists when its `until` field does (the scripts always write until, n and at).
import type { Reason, ModelCooldown, UsageStats } from '../../core/types.ts'

const NUMERIC = ['lastUsed', 'errorCount', 'lastFailureAt', 'cooldownUntil', 'disabledUntil', 'probeUntil'] as const
const REASONS: ReadonlySet<string> = new Set<Reason>(['rate_limit', 'billing', 'auth', 'timeout', 'format', 'unknown'])
const MODEL_FIELDS: Readonly<Record<string, keyof ModelCooldown>> = { until: 'until', n: 'errorCount', at: 'lastFailureAt', probe: 'probeUntil' }

function num (v: string): number | undefined {
  const n = Number(v)
  return v !== '' && Number.isFinite(n) ? n : undefined
}

function isReason (v: string): v is Reason {
  return REASONS.has(v)
}

/** A script reply (flat [field, value, …]) or an HGETALL record → stats; empty → undefined. */
export function decodeStats (raw: unknown): UsageStats | undefined {
  const fields = new Map<string, string>()
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const f: unknown = raw[i]
      const v: unknown = raw[i + 1]
      if (typeof f === 'string' && typeof v === 'string') fields.set(f, v)
    }
  } else if (typeof raw === 'object' && raw !== null) {
    for (const [f, v] of Object.entries(raw)) if (typeof v === 'string') fields.set(f, v)
  }
  if (fields.size === 0) return undefined

  const out: UsageStats = {}
  const failureCounts: Partial<Record<Reason, number>> = {}
  const models = new Map<string, Partial<ModelCooldown>>()
  for (const [f, v] of fields) {
    if (f.startsWith('fc:')) {
      const r = f.slice(3)
      const n = num(v)
      if (isReason(r) && n !== undefined) failureCounts[r] = n
    } else if (f.startsWith('m:')) {
      const cut = f.lastIndexOf(':')
      const prop = MODEL_FIELDS[f.slice(cut + 1)]
      const n = num(v)
      if (cut <= 2 || prop === undefined || n === undefined) continue
      const model = f.slice(2, cut)
      const entry = models.get(model) ?? {}
      entry[prop] = n
      models.set(model, entry)
    } else if (f === 'cooldownReason') {
      if (isReason(v)) out.cooldownReason = v
    } else if (f === 'disabledReason') {
      out.disabledReason = v
    } else if ((NUMERIC as readonly string[]).includes(f)) {
      const n = num(v)
      if (n !== undefined) out[f as typeof NUMERIC[number]] = n
    }
  }
  if (Object.keys(failureCounts).length > 0) out.failureCounts = failureCounts
  const modelCooldowns: Record<string, ModelCooldown> = {}
  for (const [model, e] of models) {
    if (e.until === undefined) continue
    const entry: ModelCooldown = { until: e.until, errorCount: e.errorCount ?? 0, lastFailureAt: e.lastFailureAt ?? 0 }
    if (e.probeUntil !== undefined) entry.probeUntil = e.probeUntil
    modelCooldowns[model] = entry
  }
  if (Object.keys(modelCooldowns).length > 0) out.modelCooldowns = modelCooldowns
  return out
}

/** A number for ARGV: JS's shortest round-trip form, which Lua's tonumber reads back exactly. */
export function arg (n: number): string {
  return Number.isFinite(n) ? String(n) : '0'
}

/** Session pin value: the absolute expiry (caller's clock) travels with the profile id. */
export function encodePin (profileId: string, expires: number): string {
  return `${arg(expires)}:${profileId}`
}

export function decodePin (raw: unknown): { profileId: string, expires: number } | undefined {
  if (typeof raw !== 'string') return undefined
  const cut = raw.indexOf(':')
  if (cut <= 0) return undefined
  const expires = num(raw.slice(0, cut))
  const profileId = raw.slice(cut + 1)
  if (expires === undefined || profileId === '') return undefined
  return { profileId, expires }
}

/** A `ver` value (GET reply or script header); a missing key is version 0. */
export function decodeVersion (raw: unknown): number {
  if (typeof raw === 'number') return raw
  if (typeof raw !== 'string') return 0
  const n = Number(raw)
  return Number.isFinite(n) ? n : 0
}

/** An `epoch` value (keys.ts); '' when the key does not exist. */
export function decodeEpoch (raw: unknown): string {
  return typeof raw === 'string' ? raw : ''
}

export interface VersionedStats {
  /** The agent's stats version right after the script ran. */
  readonly version: number
  /** The script itself moved the version (it changed something routing reads). */
  readonly bumped: boolean
  /** The agent's epoch ('' when none was created yet). */
  readonly epoch: string
  readonly stats: UsageStats | undefined
}

/** A stats script reply: `skip` leading values (claimProbe's claimed flag), [version, bumped, epoch], the flat hash. */
export function decodeVersioned (raw: unknown, skip = 0): VersionedStats {
  const list: readonly unknown[] = Array.isArray(raw) ? raw : []
  return {
    version: decodeVersion(list[skip]),
    bumped: list[skip + 1] === '1',
    epoch: decodeEpoch(list[skip + 2]),
    stats: decodeStats(list.slice(skip + 3)),
  }
}

/**
 * Stats → the fields of a stats hash, flat [field, value, …] (the inverse of decodeStats),
 * without half-open claims: they are short-lived and belong to the replica that made them.
 */
export function encodeStats (s: UsageStats): string[] {
  const out: string[] = []
  for (const f of NUMERIC) {
    const v = s[f]
    if (f !== 'probeUntil' && v !== undefined && Number.isFinite(v)) out.push(f, arg(v))
  }
  if (s.cooldownReason !== undefined) out.push('cooldownReason', s.cooldownReason)
  if (s.disabledReason !== undefined) out.push('disabledReason', s.disabledReason)
  for (const [r, n] of Object.entries(s.failureCounts ?? {})) if (n !== undefined && Number.isFinite(n)) out.push(`fc:${r}`, arg(n))
  for (const [m, e] of Object.entries(s.modelCooldowns ?? {})) {
    out.push(`m:${m}:until`, arg(e.until), `m:${m}:n`, arg(e.errorCount), `m:${m}:at`, arg(e.lastFailureAt))
  }
  return out
}
