// Every read-modify-write of the redis store, as named Lua scripts defined once per connection
// (ioredis defineCommand: EVALSHA, full EVAL on NOSCRIPT). Each script touches the keys of one
// agent only, so all its KEYS share the `{<agent>}` hash tag (one Cluster slot). Key names come
// in KEYS, values in ARGV; time is the caller's clock (ARGV), never Redis TIME (which only
// seeds a new version counter), so the memory and redis stores compute the same deadlines for
// the same inputs. The math mirrors src/core/cooldown-policy.ts line by line;
// test/state/contract.ts holds them to it.
//
// Versioning: every stats script has the agent's `ver` key as KEYS[2] and, when it changed
// anything routing reads (any field but lastUsed), INCRs it in the same atomic step. Replicas
// keep a local mirror of the stats and re-read them only when `ver` moved (redis/mirror.ts).
// KEYS[3] is the agent's epoch (keys.ts): every reply carries it, so a replica notices at its
// next call that Redis lost the agent's state. Stats replies start with a header [version,
// bumped '1'|'0', epoch] (claimProbe: [claimed, version, bumped, epoch]) followed by the hash
// after the change, flat [field, value, …].
import type { Cluster, Redis, Result } from 'ioredis'
import { EVENTS, PRELUDE } from './script-prelude.ts'
import { MERGE_STATS, SEED_STATS } from './resync-scripts.ts'

/** Reply of the stats scripts: a header (see above) and the hash after the change, flat. */
export type FlatHash = string[]

/** Reply of readStats: [version, epoch, flat hash of each stats key in order]. */
export type VersionedRead = [string, string, ...string[][]]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** KEYS stats ver epoch events · ARGV now reason scope model hintMs windowMs billingBaseMs billingMaxMs retentionMs eventId */
    recordFailure (stats: string, ver: string, epoch: string, events: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS stats ver epoch lastgood · ARGV now provider profileId retentionMs model */
    recordSuccess (stats: string, ver: string, epoch: string, lastGood: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS stats ver epoch · ARGV now model ttlMs retentionMs → ['1'|'0', version, bumped, epoch, …hash] */
    claimProbe (stats: string, ver: string, epoch: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS stats ver epoch · ARGV now retentionMs → header + hash after clearing (no fields when there was none) */
    clearCooldown (stats: string, ver: string, epoch: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS cursor · ARGV ttlMs → the new cursor value */
    advanceCursor (cursor: string, ttlMs: string): Result<number, Context>
    /** KEYS stats ver epoch events · ARGV see MERGE_STATS → header + hash after the merge */
    mergeStats (stats: string, ver: string, epoch: string, events: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS stats ver epoch · ARGV see SEED_STATS → header + hash after the merge */
    seedStats (stats: string, ver: string, epoch: string, ...args: string[]): Result<FlatHash, Context>
    /** numKeys, then KEYS ver epoch stats… → [version, epoch, hash of each stats key], one atomic read */
    readStats (numKeys: number, ver: string, epoch: string, ...stats: string[]): Result<VersionedRead, Context>
    /** KEYS stats · ARGV at retentionMs → lastUsed = max(lastUsed, at) on an existing entry; no version bump */
    touchUsed (stats: string, at: string, retentionMs: string): Result<number, Context>
  }
}

/** applyFailure(): window reset, counters, then the scope's deadline (longer hint wins, max with the old one). */
const RECORD_FAILURE = `${PRELUDE}${EVENTS}
local now, reason, scope, model = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local hint, window = pos(ARGV[5]), tonumber(ARGV[6])
local bbase, bmax, retention = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local id = ARGV[10] or ''
if scope ~= 'disable' and scope ~= 'profile' and scope ~= 'model' then
  return redis.error_reply('unknown cooldown scope ' .. tostring(scope))
end
-- This very failure again (sent before, timed out on the client, ran here): counted already.
if id ~= '' and not first_time(id, now) then return reply(version(), '0', epoch()) end
local last = pos(h.lastFailureAt)
local expired = last > 0 and now - last > window
local n = (expired and 0 or (tonumber(h.errorCount) or 0)) + 1
if expired then
  for f in pairs(h) do if is_fc(f) then del(f) end end
end
local fc = 'fc:' .. reason
set(fc, fmt((tonumber(h[fc]) or 0) + 1))
set('errorCount', fmt(n))
set('lastFailureAt', fmt(now))
del('probeUntil')
if scope == 'disable' then
  local base = math.max(MINUTE, bbase)
  local cap = math.max(base, bmax)
  local nb = tonumber(h['fc:billing']) or 1
  local ms = math.max(math.min(cap, base * 2 ^ math.min(math.max(nb, 1) - 1, 10)), hint)
  set('disabledUntil', fmt(math.max(pos(h.disabledUntil), now + ms)))
  set('disabledReason', 'billing')
elseif scope == 'profile' then
  set('cooldownUntil', fmt(math.max(pos(h.cooldownUntil), now + math.max(cooldown(n), hint))))
  set('cooldownReason', reason)
elseif scope == 'model' then
  local p = 'm:' .. model .. ':'
  local prevAt = pos(h[p .. 'at'])
  local mexpired = h[p .. 'until'] == nil or (prevAt > 0 and now - prevAt > window)
  local mn = (mexpired and 0 or (tonumber(h[p .. 'n']) or 0)) + 1
  set(p .. 'until', fmt(math.max(pos(h[p .. 'until']), now + math.max(cooldown(mn), hint))))
  set(p .. 'n', fmt(mn))
  set(p .. 'at', fmt(now))
  del(p .. 'probe')
end
commit(now, window, retention)
keep_events(retention)
return reply(finish())
`

/**
 * applySuccess(stats, now, model) (other models' rate limits stay) + lastGood[provider].
 * A success older than a failure already recorded (another replica's clock, or a command
 * resent after a reconnect) does not clear that failure: applySuccessInOrder() in
 * core/cooldown-policy.ts. In time order this is exactly applySuccess.
 */
const RECORD_SUCCESS = `${PRELUDE}
local now, retention, model = tonumber(ARGV[1]), tonumber(ARGV[4]), ARGV[5]
if now >= pos(h.lastFailureAt) then clear_profile() end
if now >= pos(h['m:' .. model .. ':at']) then del_model(model) end
set('lastUsed', fmt(math.max(now, pos(h.lastUsed))))
commit(now, 0, retention)
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
return reply(finish())
`

/** availability() + claimProbe(): one winner per ended cooldown until the claim runs out. */
const CLAIM_PROBE = `${PRELUDE}
local now, model, ttl, retention = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local p = 'm:' .. model .. ':'
local disabled, cooled, mu = pos(h.disabledUntil), pos(h.cooldownUntil), pos(h[p .. 'until'])
local untilAt = math.max(disabled, cooled, mu)
local scope = nil
if untilAt > 0 and untilAt <= now then
  if disabled > 0 or cooled > 0 then
    if pos(h.probeUntil) <= now then scope = 'profile' end
  elseif h[p .. 'until'] ~= nil and pos(h[p .. 'probe']) <= now then
    scope = 'model'
  end
end
if scope == nil then return reply('0', version(), '0', epoch()) end
local claim = fmt(now + math.max(1, ttl))
if scope == 'profile' then set('probeUntil', claim) else set(p .. 'probe', claim) end
commit(now, 0, retention)
local v, bumped, ep = finish()
return reply('1', v, bumped, ep)
`

/** clearCooldown(); a profile without an entry stays without one. */
const CLEAR_COOLDOWN = `${PRELUDE}
if next(h) == nil then return reply(version(), '0', epoch()) end
clear_cooldowns()
commit(tonumber(ARGV[1]), 0, tonumber(ARGV[2]))
return reply(finish())
`

const ADVANCE_CURSOR = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
`

/** The version, the epoch and every requested stats hash in one atomic step (no change between them). */
const READ_STATS = `
local out = { redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2]) or '' }
for i = 3, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return out
`

/**
 * The coalesced lastUsed of successes that changed nothing else (redis-store.ts): only ever
 * moves forward, keeps the entry alive like a success does, and does not bump the version.
 * An entry that is gone (expired, deleted) is not re-created for a timestamp.
 */
const TOUCH_USED = `
local key, at, retention = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('EXISTS', key) == 0 then return 0 end
local cur = tonumber(redis.call('HGET', key, 'lastUsed'))
if cur == nil or cur < at then redis.call('HSET', key, 'lastUsed', string.format('%.17g', at)) end
local ttl = redis.call('PTTL', key)
if ttl == -1 or ttl < retention then redis.call('PEXPIRE', key, math.floor(retention)) end
return 1
`

export const SCRIPTS = {
  recordFailure: { numberOfKeys: 4, lua: RECORD_FAILURE },
  recordSuccess: { numberOfKeys: 4, lua: RECORD_SUCCESS },
  claimProbe: { numberOfKeys: 3, lua: CLAIM_PROBE },
  clearCooldown: { numberOfKeys: 3, lua: CLEAR_COOLDOWN },
  advanceCursor: { numberOfKeys: 1, lua: ADVANCE_CURSOR },
  mergeStats: { numberOfKeys: 4, lua: MERGE_STATS },
  seedStats: { numberOfKeys: 3, lua: SEED_STATS },
  // Variable key count: the caller passes it first.
  readStats: { lua: READ_STATS },
  touchUsed: { numberOfKeys: 1, lua: TOUCH_USED },
} as const

/** Defines every script on a connection (once per client; ioredis loads them lazily). */
export function defineScripts (redis: Redis | Cluster): void {
  for (const [name, def] of Object.entries(SCRIPTS)) redis.defineCommand(name, def)
}
