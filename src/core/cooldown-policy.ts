// Cooldown / disable / half-open probe math (docs/routing.md, "Cooldown math"; Clawdbot's formulas). Pure: stats in, new stats out.
import { positiveOrZero } from './numbers.ts'
import { ownValue } from './own.ts'
import type { Reason, ModelCooldown, UsageStats, FailureInput } from './types.ts'

const MINUTE = 60_000
const HOUR = 3_600_000

export type Availability =
  | { readonly state: 'available' }
  /** A cooldown ran out and no success cleared it yet: one request may probe (half-open). `reason`: what the block was for. */
  | { readonly state: 'probe', readonly until: number, readonly scope: ProbeScope, readonly reason: Reason }
  | { readonly state: 'cooling', readonly until: number, readonly reason: Reason }

/** Where the half-open claim lives: the profile (cooldown/disable) or its model entry. */
export type ProbeScope = 'profile' | 'model'

/** 1 min, 5 min, 25 min, then 60 min cap (Clawdbot: min(1h, 1m·5^min(n−1,3))). */
export function cooldownMs (n: number): number {
  return Math.min(HOUR, MINUTE * 5 ** Math.min(Math.max(n, 1) - 1, 3))
}

/** base·2^min(n−1,10) capped at max; base ≥ 1 min (per-provider override wins), max ≥ base. */
export function billingDisableMs (n: number, provider: string, policy: FailureInput['policy']): number {
  const base = Math.max(MINUTE, ownValue(policy.billingBackoffMsByProvider, provider) ?? policy.billingBackoffMs)
  const max = Math.max(base, policy.billingMaxMs)
  return Math.min(max, base * 2 ** Math.min(Math.max(n, 1) - 1, 10))
}

/**
 * Records one failure. Counts reset when the previous failure is older than the window.
 * A longer upstream retry hint wins over the computed backoff in every scope. A model-scope
 * failure (rate limit) cools only that model's entry: other models on the profile stay usable,
 * though the profile's errorCount/failureCounts still count it.
 */
export function applyFailure (stats: UsageStats, input: FailureInput): UsageStats {
  const { now, reason, policy } = input
  const hint = positiveOrZero(input.retryAfterMs)
  const lastFailureAt = positiveOrZero(stats.lastFailureAt)
  const windowExpired = lastFailureAt > 0 && now - lastFailureAt > policy.failureWindowMs
  const errorCount = (windowExpired ? 0 : stats.errorCount ?? 0) + 1
  const failureCounts: Partial<Record<Reason, number>> = windowExpired ? {} : { ...stats.failureCounts }
  failureCounts[reason] = (failureCounts[reason] ?? 0) + 1

  const next: UsageStats = { ...stats, errorCount, failureCounts, lastFailureAt: now }
  // The failed probe's claim is spent; the new cooldown blocks from here.
  delete next.probeUntil

  switch (input.scope) {
    case 'disable': {
      const ms = Math.max(billingDisableMs(failureCounts.billing ?? 1, input.provider, policy), hint)
      next.disabledUntil = Math.max(positiveOrZero(stats.disabledUntil), now + ms)
      next.disabledReason = 'billing'
      break
    }
    case 'profile': {
      next.cooldownUntil = Math.max(positiveOrZero(stats.cooldownUntil), now + Math.max(cooldownMs(errorCount), hint))
      next.cooldownReason = reason
      break
    }
    case 'model': {
      const prev = stats.modelCooldowns?.[input.model]
      const prevAt = positiveOrZero(prev?.lastFailureAt)
      const expired = prev === undefined || (prevAt > 0 && now - prevAt > policy.failureWindowMs)
      const n = (expired ? 0 : prev.errorCount) + 1
      const entryNext: ModelCooldown = {
        until: Math.max(positiveOrZero(prev?.until), now + Math.max(cooldownMs(n), hint)),
        errorCount: n,
        lastFailureAt: now
      }
      next.modelCooldowns = { ...stats.modelCooldowns, [input.model]: entryNext }
      break
    }
    default: {
      const never: never = input.scope
      throw new Error(`unknown cooldown scope ${String(never)}`)
    }
  }
  return next
}

const CLEARED = ['cooldownUntil', 'cooldownReason', 'disabledUntil', 'disabledReason', 'failureCounts', 'probeUntil', 'modelCooldowns'] as const

function withoutCooldowns (stats: UsageStats): UsageStats {
  const next: UsageStats = { ...stats, errorCount: 0 }
  for (const k of CLEARED) delete next[k]
  return next
}

/**
 * Success clears the profile-wide cooldown and disable, the error count and this model's
 * rate-limit entry; other models' rate limits stay (a 429 on opus is not healed by a
 * success on sonnet). Without a model every entry goes. Keeps lastFailureAt.
 */
export function applySuccess (stats: UsageStats, now: number, model?: string): UsageStats {
  const kept = model === undefined ? undefined : stats.modelCooldowns
  const next: UsageStats = { ...withoutCooldowns(stats), lastUsed: now }
  if (kept !== undefined && model !== undefined) {
    const rest = { ...kept }
    delete rest[model]
    if (Object.keys(rest).length > 0) next.modelCooldowns = rest
  }
  return next
}

/**
 * applySuccess() for a success that may arrive after failures it did not see (a Redis call
 * that failed late is applied locally with its original time): it clears only what is not
 * newer than itself — the profile-wide part when now ≥ lastFailureAt, the model's entry
 * when now ≥ that entry's lastFailureAt. In order (now ≥ every failure) it is applySuccess.
 */
export function applySuccessInOrder (stats: UsageStats, now: number, model: string | undefined): UsageStats {
  const entry = model === undefined ? undefined : stats.modelCooldowns?.[model]
  const profileOk = now >= (stats.lastFailureAt ?? 0)
  const modelOk = entry === undefined || now >= entry.lastFailureAt
  if (profileOk && modelOk) return applySuccess(stats, now, model)
  if (profileOk && model !== undefined && entry !== undefined) {
    const next = applySuccess(stats, now, model)
    next.modelCooldowns = { ...next.modelCooldowns, [model]: entry }
    return next
  }
  const next: UsageStats = { ...stats, lastUsed: Math.max(stats.lastUsed ?? 0, now) }
  if (modelOk && model !== undefined && entry !== undefined) {
    const rest = { ...stats.modelCooldowns }
    delete rest[model]
    if (Object.keys(rest).length > 0) next.modelCooldowns = rest
    else delete next.modelCooldowns
  }
  return next
}

/** Manual clear: unlike Clawdbot's, it also lifts the billing disable and model cooldowns. */
export function clearCooldown (stats: UsageStats): UsageStats {
  return withoutCooldowns(stats)
}

interface Blocking {
  readonly disabledUntil: number
  readonly cooldownUntil: number
  readonly modelUntil: number
  readonly model: ModelCooldown | undefined
}

function blocking (stats: UsageStats, model: string): Blocking {
  const entry = ownValue(stats.modelCooldowns, model)
  return {
    disabledUntil: positiveOrZero(stats.disabledUntil),
    cooldownUntil: positiveOrZero(stats.cooldownUntil),
    modelUntil: positiveOrZero(entry?.until),
    model: entry
  }
}

function profileReason (stats: UsageStats, b: Blocking): Reason {
  // Legacy Clawdbot entries carry no cooldownReason.
  return b.disabledUntil > 0 ? 'billing' : stats.cooldownReason ?? 'rate_limit'
}

/**
 * Whether a profile may serve `model` now. Blocked until the latest of disabledUntil,
 * cooldownUntil and the model's own cooldown. Once that ran out without a success
 * clearing it, the profile is half-open: 'probe', or 'cooling' until an unexpired claim ends.
 */
export function availability (stats: UsageStats | undefined, model: string, now: number): Availability {
  if (stats === undefined) return { state: 'available' }
  const b = blocking(stats, model)
  const until = Math.max(b.disabledUntil, b.cooldownUntil, b.modelUntil)
  if (until === 0) return { state: 'available' }
  if (until > now) {
    const reason: Reason = b.disabledUntil > now
      ? 'billing'
      : b.cooldownUntil > now ? stats.cooldownReason ?? 'rate_limit' : 'rate_limit'
    return { state: 'cooling', until, reason }
  }
  if (b.disabledUntil > 0 || b.cooldownUntil > 0) {
    const claim = positiveOrZero(stats.probeUntil)
    if (claim > now) return { state: 'cooling', until: claim, reason: profileReason(stats, b) }
    return { state: 'probe', until, scope: 'profile', reason: profileReason(stats, b) }
  }
  const claim = positiveOrZero(b.model?.probeUntil)
  if (claim > now) return { state: 'cooling', until: claim, reason: 'rate_limit' }
  return { state: 'probe', until, scope: 'model', reason: 'rate_limit' }
}

/**
 * Claims the half-open probe for `now + ttlMs`: on the profile when the ended block was
 * profile-wide (cooldown or disable), else on the model's entry. Not claimed when the
 * profile is available, still cooling, or someone else holds an unexpired claim.
 */
export function claimProbe (stats: UsageStats, model: string, now: number, ttlMs: number): { claimed: boolean, stats: UsageStats } {
  const a = availability(stats, model, now)
  if (a.state !== 'probe') return { claimed: false, stats }
  const probeUntil = now + Math.max(1, ttlMs)
  if (a.scope === 'profile') return { claimed: true, stats: { ...stats, probeUntil } }
  const entry = ownValue(stats.modelCooldowns, model)
  // availability() only answers 'probe' with scope 'model' when the entry exists.
  if (entry === undefined) return { claimed: false, stats }
  return { claimed: true, stats: { ...stats, modelCooldowns: { ...stats.modelCooldowns, [model]: { ...entry, probeUntil } } } }
}
