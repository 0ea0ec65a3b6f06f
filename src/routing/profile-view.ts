// A profile's live state for every reader (admin status, metrics, CLI): ids, times and
// counters only, never a secret. Pure: stats and `now` in, a view out.
import type { Profile } from '../auth/types.ts'
import { positiveOrZero } from '../core/numbers.ts'
import type { UsageStats } from '../core/types.ts'

export interface Block {
  /** `disabled` (billing), `profile` (whole-profile cooldown) or `model` (rate limit of one model). */
  readonly scope: 'disabled' | 'profile' | 'model'
  readonly until: number
  readonly reason: string
  readonly model?: string
}

export interface ProfileState {
  readonly id: string
  readonly provider: string
  readonly type: Profile['type']
  readonly source: Profile['source']
  readonly usable: boolean
  readonly unusableReason: string | null
  readonly email: string | null
  /** Worst active block: disabled > cooldown > ok. */
  readonly state: 'ok' | 'cooldown' | 'disabled'
  /** Latest end of the active blocks; null when ok. */
  readonly until: number | null
  readonly blocks: readonly Block[]
  /** A block ran out and no success cleared it: the next request probes the profile. */
  readonly halfOpen: boolean
  readonly expires: number | null
  readonly lastUsed: number | null
  readonly errorCount: number
  readonly failureCounts: Readonly<Record<string, number>>
}

/** Active blocks of a stats entry at `now`, longest-lived first. */
export function activeBlocks (s: UsageStats | undefined, now: number): Block[] {
  if (s === undefined) return []
  const out: Block[] = []
  if (positiveOrZero(s.disabledUntil) > now) out.push({ scope: 'disabled', until: positiveOrZero(s.disabledUntil), reason: s.disabledReason ?? 'billing' })
  if (positiveOrZero(s.cooldownUntil) > now) out.push({ scope: 'profile', until: positiveOrZero(s.cooldownUntil), reason: s.cooldownReason ?? 'unknown' })
  for (const [model, e] of Object.entries(s.modelCooldowns ?? {})) {
    if (positiveOrZero(e.until) > now) out.push({ scope: 'model', until: positiveOrZero(e.until), reason: 'rate_limit', model })
  }
  return out.sort((a, b) => b.until - a.until)
}

function halfOpen (s: UsageStats | undefined, now: number): boolean {
  if (s === undefined) return false
  const ended = (t: number | undefined): boolean => positiveOrZero(t) > 0 && positiveOrZero(t) <= now
  return ended(s.disabledUntil) || ended(s.cooldownUntil) || Object.values(s.modelCooldowns ?? {}).some((e) => ended(e.until))
}

/** The state operators see (admin status, metrics): a half-open profile shows as `probe`. */
export function displayState (view: ProfileState): ProfileState['state'] | 'probe' {
  return view.state === 'ok' && view.halfOpen ? 'probe' : view.state
}

export function profileState (p: Profile, s: UsageStats | undefined, now: number): ProfileState {
  const blocks = activeBlocks(s, now)
  const c = p.credential
  const state = blocks.some((b) => b.scope === 'disabled') ? 'disabled' : blocks.length > 0 ? 'cooldown' : 'ok'
  return {
    id: p.id,
    provider: p.provider,
    type: p.type,
    source: p.source,
    usable: p.usable,
    unusableReason: p.unusableReason ?? null,
    email: c !== undefined && typeof c.email === 'string' ? c.email : null,
    state,
    until: blocks.length > 0 ? blocks[0].until : null,
    blocks,
    halfOpen: blocks.length === 0 && halfOpen(s, now),
    expires: c?.type === 'oauth' ? c.expires : c?.type === 'token' ? (c.expires ?? null) : null,
    lastUsed: s?.lastUsed !== undefined && s.lastUsed > 0 ? s.lastUsed : null,
    errorCount: s?.errorCount ?? 0,
    failureCounts: { ...s?.failureCounts },
  }
}

