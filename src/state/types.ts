// The state contract both stores implement (docs/operations.md). Times are ms epoch from the caller's clock.
import type { FailureInput, UsageStats } from '../core/types.ts'
import type { TopologyView } from './redis/topology-view.ts'

export type StoreHealth = 'ready' | 'degraded'

export interface StateStore {
  readonly kind: 'memory' | 'redis'
  health(): StoreHealth
  /** Redis only: the topology as the client sees it (admin status); no credentials. */
  topology?(): TopologyView
  /** Usage/cooldown stats of the given profiles of one agent (missing = never used). */
  readStats(agent: string, profileIds: readonly string[]): Promise<Map<string, UsageStats>>
  /** Shared round-robin cursor: 1, 2, 3, … per (agent, provider). */
  nextCursor(agent: string, provider: string): Promise<number>
  recordFailure(agent: string, profileId: string, input: FailureInput): Promise<UsageStats>
  /** Clears cooldowns/disable/error count, sets lastUsed and lastGood[provider]. */
  recordSuccess(agent: string, profileId: string, provider: string, model: string, now: number): Promise<void>
  /**
   * Half-open probe: true for exactly one caller once a cooldown (of the profile, or of
   * the profile for `model`) has run out, until `now + ttlMs`.
   */
  claimProbe(agent: string, profileId: string, model: string, now: number, ttlMs: number): Promise<boolean>
  /** Clears cooldown, billing disable, error counts and model cooldowns of one profile. */
  clearCooldown(agent: string, profileId: string): Promise<void>
  lastGood(agent: string): Promise<Record<string, string>>
  getSessionPin(agent: string, session: string): Promise<string | undefined>
  setSessionPin(agent: string, session: string, profileId: string, ttlMs: number): Promise<void>
  close(): Promise<void>
}
