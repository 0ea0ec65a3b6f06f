// One definition of a "clean" stats entry for both stores (memory: lazy write of a success;
// redis: no success script, no re-seed).
import t from 'tap'
import { isCleanStats } from '../../src/core/clean-stats.ts'

t.test('an entry is clean when a success would change nothing but lastUsed', async (t) => {
  t.ok(isCleanStats(undefined), 'no entry')
  t.ok(isCleanStats({ lastUsed: 1, errorCount: 0 }))
  t.ok(isCleanStats({ lastUsed: 1 }), 'a missing errorCount is 0 (Clawdbot files may omit it)')
  t.ok(isCleanStats({ errorCount: 0, lastFailureAt: 5 }), 'a past failure alone is history, not state')
})

t.test('anything a success would remove makes an entry not clean', async (t) => {
  const dirty = {
    errorCount: { errorCount: 1 },
    cooldownUntil: { errorCount: 0, cooldownUntil: 5 },
    cooldownReason: { errorCount: 0, cooldownReason: 'timeout' as const },
    disabledUntil: { errorCount: 0, disabledUntil: 5 },
    disabledReason: { errorCount: 0, disabledReason: 'billing' },
    probeUntil: { errorCount: 0, probeUntil: 5 },
    failureCounts: { errorCount: 0, failureCounts: {} },
    modelCooldowns: { errorCount: 0, modelCooldowns: { m: { until: 5, errorCount: 1, lastFailureAt: 1 } } },
  }
  for (const [field, entry] of Object.entries(dirty)) t.notOk(isCleanStats(entry), field)
})
