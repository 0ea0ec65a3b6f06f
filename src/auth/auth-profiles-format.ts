// auth-profiles.json as it is on disk ⇄ as rotor holds it in memory. The file is shared with
// Clawdbot / OpenClaw, so this is where their fields meet rotor's (docs/operations.md,
// "Sharing the credentials store with Clawdbot"):
// - fields rotor does not know (OpenClaw's keyRef, displayName, metadata …, and unknown
//   top-level keys) are kept as they are and written back;
// - a per-model rate limit (rotor's `modelCooldowns`) is also written as the profile's
//   `cooldownUntil` + `cooldownReason: "rate_limit"` + `cooldownModel`, the fields Clawdbot
//   and OpenClaw read, and that copy is recognised and dropped again when rotor reads its own
//   file, so it never turns into a cooldown of the whole profile;
// - a `cooldownUntil` Clawdbot or OpenClaw wrote is read with its meaning: model-scoped when
//   it names a `cooldownModel`, else profile-wide, with its reason taken from `failureCounts`
//   when Clawdbot wrote none.
import { isRecord } from '../core/json.ts'
import type { ModelCooldown, Reason, UsageStats } from '../core/types.ts'
import type { AuthProfilesFile, Credential } from './types.ts'

const CREDENTIAL_TYPES = new Set(['api_key', 'oauth', 'token'])
const KNOWN_TOP_LEVEL = new Set(['version', 'profiles', 'order', 'lastGood', 'usageStats'])
const NUMERIC_STATS = ['lastUsed', 'errorCount', 'lastFailureAt', 'cooldownUntil', 'disabledUntil', 'probeUntil'] as const
const REASONS: ReadonlySet<string> = new Set<Reason>(['rate_limit', 'billing', 'auth', 'timeout', 'format', 'unknown'])

/** OpenClaw's later reasons, in rotor's words (a reason rotor does not know becomes `unknown`). */
const OPENCLAW_REASONS: Readonly<Record<string, Reason>> = {
  overloaded: 'rate_limit',
  auth_permanent: 'auth',
  session_expired: 'auth',
}

/** Reasons whose `cooldownModel` narrows a cooldown to that model (OpenClaw's model-scoped reasons). */
const MODEL_SCOPED = new Set(['rate_limit', 'overloaded'])

/** Which failure Clawdbot most likely cooled a profile for, when it wrote no reason (OpenClaw's order). */
const INFERENCE_ORDER: readonly string[] = ['rate_limit', 'overloaded', 'timeout', 'auth', 'format', 'unknown']

export function emptyAuthProfiles (): AuthProfilesFile {
  return { version: 1, profiles: {} }
}

function finite (v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

function str (v: unknown): string {
  return typeof v === 'string' ? v : ''
}

const pos = (x: number | undefined): number => x !== undefined && Number.isFinite(x) && x > 0 ? x : 0

/** Every field is kept (rotor reads the ones it knows, the rest goes back to disk untouched). */
function readCredential (raw: unknown): Credential | undefined {
  if (!isRecord(raw)) return undefined
  const provider = raw.provider
  if (typeof provider !== 'string' || provider.trim() === '') return undefined
  if (typeof raw.type !== 'string' || !CREDENTIAL_TYPES.has(raw.type)) return undefined
  const rest: Record<string, unknown> = { ...raw }
  if ('email' in rest && typeof rest.email !== 'string') delete rest.email
  switch (raw.type) {
    case 'api_key':
      return { ...rest, type: 'api_key', provider, key: str(raw.key) }
    case 'token':
      if ('expires' in rest && !finite(rest.expires)) delete rest.expires
      return { ...rest, type: 'token', provider, token: str(raw.token) }
    default:
      return { ...rest, type: 'oauth', provider, access: str(raw.access), refresh: str(raw.refresh), expires: finite(raw.expires) ? raw.expires : 0 }
  }
}

/**
 * An empty secret is what rotor reads for a missing one (an OpenClaw `keyRef` profile has no
 * `key`): it is not written back, so such a profile keeps its shape. Clawdbot and OpenClaw
 * treat a missing secret and an empty one alike.
 */
function writeCredential (c: Credential): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c }
  if (c.type === 'api_key' && c.key === '') delete out.key
  if (c.type === 'token' && c.token === '') delete out.token
  return out
}

/** The Clawdbot fields that stand for rotor's model cooldowns, or undefined when there are none. */
function mirrorOf (models: Readonly<Record<string, ModelCooldown>> | undefined): { until: number, model: string | undefined } | undefined {
  const entries = Object.entries(models ?? {})
  if (entries.length === 0) return undefined
  let until = 0
  for (const [, e] of entries) until = Math.max(until, pos(e.until))
  // One model: OpenClaw lets the others through. Several: Clawdbot's single field cannot say
  // which, so it covers the profile (OpenClaw widens the same way).
  return { until, model: entries.length === 1 ? entries[0][0] : undefined }
}

function rotorReason (raw: unknown): Reason | undefined {
  if (typeof raw !== 'string') return undefined
  if (REASONS.has(raw)) return raw as Reason
  return OPENCLAW_REASONS[raw] ?? 'unknown'
}

function inferReason (counts: UsageStats['failureCounts']): Reason | undefined {
  for (const r of INFERENCE_ORDER) {
    const n = (counts as Record<string, unknown> | undefined)?.[r]
    if (finite(n) && n > 0) return rotorReason(r)
  }
  return undefined
}

/** The file's usageStats entry as rotor holds it; unknown fields and key order are kept. */
export function readUsageStats (raw: unknown): UsageStats | undefined {
  if (!isRecord(raw)) return undefined
  const out: Record<string, unknown> = { ...raw }
  for (const k of NUMERIC_STATS) if (k in out && !finite(out[k])) delete out[k]
  if ('disabledReason' in out && typeof out.disabledReason !== 'string') delete out.disabledReason
  if ('failureCounts' in out) {
    if (!isRecord(out.failureCounts)) delete out.failureCounts
    else out.failureCounts = Object.fromEntries(Object.entries(out.failureCounts).filter(([, n]) => finite(n)))
  }
  let models: Record<string, ModelCooldown> | undefined
  if ('modelCooldowns' in out) {
    if (!isRecord(out.modelCooldowns)) delete out.modelCooldowns
    else {
      models = Object.fromEntries(Object.entries(out.modelCooldowns).filter(([, c]) => isRecord(c) && finite(c.until))) as Record<string, ModelCooldown>
      out.modelCooldowns = models
    }
  }
  const until = out.cooldownUntil as number | undefined
  const reason = out.cooldownReason
  const model = typeof out.cooldownModel === 'string' && out.cooldownModel !== '' ? out.cooldownModel : undefined
  delete out.cooldownModel
  const stats = out as UsageStats
  if (until === undefined) {
    // No cooldownUntil: any reason left is stale (Clawdbot clears only the time). With rotor's
    // model cooldowns still there, Clawdbot cleared the copy rotor wrote of them (a success or
    // a manual clear of the whole profile): they are cleared too.
    delete stats.cooldownReason
    if (models !== undefined && Object.keys(models).length > 0) delete stats.modelCooldowns
    return stats
  }
  const mirror = mirrorOf(models)
  if (mirror !== undefined && mirror.until === until && reason === 'rate_limit' && mirror.model === model) {
    // The copy rotor wrote of its own model cooldowns.
    delete stats.cooldownUntil
    delete stats.cooldownReason
    return stats
  }
  if (model !== undefined && typeof reason === 'string' && MODEL_SCOPED.has(reason)) {
    // OpenClaw's model-scoped rate limit: rotor's per-model cooldown of that model.
    const prev = models?.[model]
    const entry: ModelCooldown = {
      ...prev,
      until: Math.max(until, pos(prev?.until)),
      errorCount: prev?.errorCount ?? stats.errorCount ?? 1,
      lastFailureAt: stats.lastFailureAt ?? prev?.lastFailureAt ?? 0,
    }
    stats.modelCooldowns = { ...models, [model]: entry }
    delete stats.cooldownUntil
    delete stats.cooldownReason
    return stats
  }
  const known = rotorReason(reason) ?? inferReason(stats.failureCounts)
  if (known === undefined) delete stats.cooldownReason
  else stats.cooldownReason = known
  return stats
}

/** Rotor's usageStats entry as written to the file: its model cooldowns also in Clawdbot's fields. */
export function writeUsageStats (s: UsageStats): Record<string, unknown> {
  if (s.cooldownUntil !== undefined) return { ...s }
  const mirror = mirrorOf(s.modelCooldowns)
  if (mirror === undefined) return { ...s }
  const out: Record<string, unknown> = { ...s, cooldownUntil: mirror.until, cooldownReason: 'rate_limit' }
  if (mirror.model !== undefined) out.cooldownModel = mirror.model
  return out
}

/** Narrows parsed JSON to the v1 shape; undefined when `profiles` is not an object. */
export function readAuthProfiles (raw: unknown): AuthProfilesFile | undefined {
  if (!isRecord(raw) || !isRecord(raw.profiles)) return undefined
  const file: AuthProfilesFile = { version: 1, profiles: {} }
  for (const [id, c] of Object.entries(raw.profiles)) {
    const cred = readCredential(c)
    if (cred !== undefined) file.profiles[id] = cred
  }
  if (isRecord(raw.order)) {
    const order: Record<string, string[]> = {}
    for (const [provider, ids] of Object.entries(raw.order)) {
      if (!Array.isArray(ids)) continue
      const list = ids.filter((x): x is string => typeof x === 'string').map(x => x.trim()).filter(x => x !== '')
      if (list.length > 0) order[provider] = list
    }
    file.order = order
  }
  if (isRecord(raw.lastGood)) {
    file.lastGood = Object.fromEntries(Object.entries(raw.lastGood).filter((e): e is [string, string] => typeof e[1] === 'string'))
  }
  if (isRecord(raw.usageStats)) {
    const stats: Record<string, UsageStats> = {}
    for (const [id, s] of Object.entries(raw.usageStats)) {
      const n = readUsageStats(s)
      if (n !== undefined) stats[id] = n
    }
    file.usageStats = stats
  }
  const extras = Object.entries(raw).filter(([k]) => !KNOWN_TOP_LEVEL.has(k))
  if (extras.length > 0) file.extras = Object.fromEntries(extras)
  return file
}

/** The file's text: version 1, the known keys in Clawdbot's order, then the ones rotor does not know. */
export function writeAuthProfiles (file: AuthProfilesFile): string {
  const profiles: Record<string, unknown> = {}
  for (const [id, c] of Object.entries(file.profiles)) profiles[id] = writeCredential(c)
  const out: Record<string, unknown> = { version: 1, profiles }
  if (file.order !== undefined) out.order = file.order
  if (file.lastGood !== undefined) out.lastGood = file.lastGood
  if (file.usageStats !== undefined) {
    const stats: Record<string, unknown> = {}
    for (const [id, s] of Object.entries(file.usageStats)) stats[id] = writeUsageStats(s)
    out.usageStats = stats
  }
  for (const [k, v] of Object.entries(file.extras ?? {})) if (!KNOWN_TOP_LEVEL.has(k)) out[k] = v
  return JSON.stringify(out, null, 2) + '\n'
}
