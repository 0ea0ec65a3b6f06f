// Importing another store into a rotor agent's never puts an older credential over a newer one.
import t from 'tap'
import { importChanges, importStore } from '../../src/auth/store-import.ts'
import type { AuthProfilesFile } from '../../src/auth/types.ts'

const HOUR = 3_600_000
const T = Date.UTC(2026, 0, 27)
const oauth = (access: string, expires: number): AuthProfilesFile['profiles'][string] => ({ type: 'oauth', provider: 'anthropic', access, refresh: `r-${access}`, expires })

t.test('a rotor profile with a later expiry stays; an older one is replaced; one that differs without a time stays', async (t) => {
  const target: AuthProfilesFile = {
    version: 1,
    profiles: {
      'anthropic:fresh': oauth('rotor-newer', T + 2 * HOUR),
      'anthropic:stale': oauth('rotor-older', T - HOUR),
      'openai:default': { type: 'api_key', provider: 'openai', key: 'sk-rotor' },
    },
    usageStats: { 'anthropic:stale': { lastUsed: T - HOUR } },
  }
  const source: AuthProfilesFile = {
    version: 1,
    profiles: {
      'anthropic:fresh': oauth('clawdbot-older', T + HOUR),
      'anthropic:stale': oauth('clawdbot-newer', T + HOUR),
      'openai:default': { type: 'api_key', provider: 'openai', key: 'sk-clawdbot' },
      'anthropic:new': { type: 'token', provider: 'anthropic', token: 't', expires: T + HOUR },
    },
    usageStats: { 'anthropic:stale': { cooldownUntil: T + 60_000, cooldownReason: 'rate_limit' }, 'anthropic:new': { lastUsed: T } },
    order: { anthropic: ['anthropic:new', 'anthropic:ghost'] },
  }
  const r = importStore(target, source)
  t.strictSame(r.profiles.map((a) => [a.id, a.kind]), [['anthropic:fresh', 'keep'], ['anthropic:stale', 'update'], ['openai:default', 'keep'], ['anthropic:new', 'add']])
  t.equal((target.profiles['anthropic:fresh'] as { access: string }).access, 'rotor-newer')
  t.equal((target.profiles['anthropic:stale'] as { access: string }).access, 'clawdbot-newer')
  t.equal((target.profiles['openai:default'] as { key: string }).key, 'sk-rotor')
  t.strictSame(target.usageStats?.['anthropic:stale'], { lastUsed: T - HOUR }, 'rotor\'s own stats are not overwritten')
  t.strictSame(target.usageStats?.['anthropic:new'], { lastUsed: T })
  t.strictSame(target.order, { anthropic: ['anthropic:new'] }, 'only ids that exist')
  t.ok(importChanges(r))
  t.notOk(importChanges(importStore(target, source)), 'a second import changes nothing')
})
