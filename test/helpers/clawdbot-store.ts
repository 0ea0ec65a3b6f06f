// What Clawdbot 2026.1.24 does to auth-profiles.json, transcribed so tests can write files
// exactly as it writes them and read rotor's files the way it reads them. Sources
// (clawdbot/clawdbot, tag v2026.1.24): src/agents/auth-profiles/usage.ts
// (computeNextProfileUsageStats, markAuthProfileUsed, isProfileInCooldown,
// clearAuthProfileCooldown), src/agents/auth-profiles/order.ts (resolveAuthProfileOrder, explicit
// order branch), src/agents/auth-profiles/store.ts (saveAuthProfileStore), src/infra/json-file.ts
// (saveJsonFile).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Static } from 'typebox'
import type { AuthProfileStore, FailureReason, ProfileUsageStats } from './clawdbot-types.ts'

type Stats = Static<typeof ProfileUsageStats> & Record<string, unknown>
type Reason = Static<typeof FailureReason>

const HOUR = 3_600_000

/** computeNextProfileUsageStats with the default auth.cooldowns (5 h, 24 h, 24 h). */
export function markFailure (existing: Stats, reason: Reason, now: number): Stats {
  const windowMs = 24 * HOUR
  const windowExpired = typeof existing.lastFailureAt === 'number' && existing.lastFailureAt > 0 && now - existing.lastFailureAt > windowMs
  const nextErrorCount = (windowExpired ? 0 : (existing.errorCount ?? 0)) + 1
  const failureCounts: Partial<Record<Reason, number>> = windowExpired ? {} : { ...existing.failureCounts }
  failureCounts[reason] = (failureCounts[reason] ?? 0) + 1
  const next: Stats = { ...existing, errorCount: nextErrorCount, failureCounts, lastFailureAt: now }
  if (reason === 'billing') {
    const n = Math.max(1, failureCounts.billing ?? 1)
    const base = Math.max(60_000, 5 * HOUR)
    next.disabledUntil = now + Math.min(Math.max(base, 24 * HOUR), base * 2 ** Math.min(n - 1, 10))
    next.disabledReason = 'billing'
  } else {
    next.cooldownUntil = now + Math.min(HOUR, 60_000 * 5 ** Math.min(nextErrorCount - 1, 3))
  }
  return next
}

/** markAuthProfileUsed's update: the spread keeps fields Clawdbot does not know. */
export function markUsed (existing: Stats, now: number): Stats {
  const next: Stats = { ...existing, lastUsed: now, errorCount: 0 }
  for (const k of ['cooldownUntil', 'disabledUntil', 'disabledReason', 'failureCounts'] as const) delete next[k]
  return next
}

/** clearAuthProfileCooldown's update. */
export function clearCooldown (existing: Stats): Stats {
  const next: Stats = { ...existing, errorCount: 0 }
  delete next.cooldownUntil
  return next
}

/** isProfileInCooldown: now < max(cooldownUntil, disabledUntil). */
export function isProfileInCooldown (store: AuthProfileStore, profileId: string, now: number): boolean {
  const s = store.usageStats?.[profileId]
  if (s === undefined) return false
  const values = [s.cooldownUntil, s.disabledUntil].filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0)
  return values.length > 0 && now < Math.max(...values)
}

/** resolveAuthProfileOrder for an explicit order: usable ones in order, cooling ones last by expiry. */
export function explicitOrder (store: AuthProfileStore, provider: string, now: number): string[] {
  const order = store.order?.[provider] ?? []
  const ids = order.filter((id) => store.profiles[id]?.provider === provider)
  const until = (id: string): number => {
    const s = store.usageStats?.[id]
    return Math.max(s?.cooldownUntil ?? 0, s?.disabledUntil ?? 0)
  }
  const available = ids.filter((id) => !isProfileInCooldown(store, id, now))
  const cooling = ids.filter((id) => isProfileInCooldown(store, id, now)).sort((a, b) => until(a) - until(b))
  return [...available, ...cooling]
}

/** saveAuthProfileStore + saveJsonFile: five keys, JSON with two-space indent and a newline, in place, then 0600. */
export function saveStore (path: string, store: AuthProfileStore): void {
  const payload = { version: 1, profiles: store.profiles, order: store.order, lastGood: store.lastGood, usageStats: store.usageStats }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  writeFileSync(path, `${JSON.stringify(payload, null, 2)}\n`, 'utf8')
  chmodSync(path, 0o600)
}
