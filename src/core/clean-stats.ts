// What a "clean" usage-stats entry is, for both stores: nothing a success would clear.
import type { UsageStats } from './types.ts'

/**
 * True when a success would change nothing but lastUsed (and lastGood): no error count, no
 * cooldown, disable, half-open claim, failure counts or model cooldown — and no leftover
 * reason either, since a success removes those too. A missing errorCount counts as 0 (files
 * written by Clawdbot may omit it; every reader treats it as 0). No entry at all is clean.
 *
 * The memory store writes a success on a clean profile lazily; the redis store skips the
 * success script for it; the redis store's re-seed after Redis lost its data skips clean
 * entries (there is nothing in them to restore).
 */
export function isCleanStats (s: UsageStats | undefined): boolean {
  return s === undefined || (
    (s.errorCount ?? 0) === 0 &&
    s.cooldownUntil === undefined && s.cooldownReason === undefined &&
    s.disabledUntil === undefined && s.disabledReason === undefined &&
    s.probeUntil === undefined && s.failureCounts === undefined && s.modelCooldowns === undefined
  )
}
