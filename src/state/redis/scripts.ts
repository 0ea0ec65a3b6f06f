// Every read-modify-write of the redis store, as named Lua scripts defined once per connection
// (ioredis defineCommand: EVALSHA, full EVAL on NOSCRIPT). Each script touches the keys of one
// agent only, so all its KEYS share the `{<agent>}` hash tag (one Cluster slot). Key names come
// in KEYS, values in ARGV; time is the caller's clock (ARGV), never Redis TIME (which only
// seeds a new version counter), so the memory and redis stores compute the same deadlines for
// the same inputs. The math mirrors src/routing/cooldown-policy.ts line by line;
// test/state/contract.ts holds them to it.
//
// Versioning: every stats script has the agent's `ver` key as KEYS[2] and, when it changed
// anything routing reads (any field but lastUsed), INCRs it in the same atomic step. Replicas
// keep a local mirror of the stats and re-read them only when `ver` moved (redis/mirror.ts).
// Stats replies start with a header [version, bumped '1'|'0'] (claimProbe: [claimed, version,
// bumped]) followed by the hash after the change, flat [field, value, …].
import type { Redis, Result } from 'ioredis'

/** Reply of the stats scripts: a header (see above) and the hash after the change, flat. */
export type FlatHash = string[]

/** Reply of readStats: [version, flat hash of each stats key in order]. */
export type VersionedRead = [string, ...string[][]]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** KEYS stats ver · ARGV now reason scope model hintMs windowMs billingBaseMs billingMaxMs retentionMs */
    recordFailure (stats: string, ver: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS stats ver lastgood · ARGV now provider profileId retentionMs model */
    recordSuccess (stats: string, ver: string, lastGood: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS stats ver · ARGV now model ttlMs retentionMs → ['1'|'0', version, bumped, …hash] */
    claimProbe (stats: string, ver: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS stats ver · ARGV now retentionMs → header + hash after clearing (no fields when there was none) */
    clearCooldown (stats: string, ver: string, ...args: string[]): Result<FlatHash, Context>
    /** KEYS cursor · ARGV ttlMs → the new cursor value */
    advanceCursor (cursor: string, ttlMs: string): Result<number, Context>
    /** KEYS stats ver · ARGV see MERGE_STATS → header + hash after the merge */
    mergeStats (stats: string, ver: string, ...args: string[]): Result<FlatHash, Context>
    /** numKeys, then KEYS ver stats… → [version, hash of each stats key], one atomic read */
    readStats (numKeys: number, ver: string, ...stats: string[]): Result<VersionedRead, Context>
    /** KEYS stats · ARGV at retentionMs → lastUsed = max(lastUsed, at) on an existing entry; no version bump */
    touchUsed (stats: string, at: string, retentionMs: string): Result<number, Context>
  }
}

/**
 * Shared head of the stats scripts: loads KEYS[1] into `h`, tracks changed fields, writes
 * them back in one HSET/HDEL, and keeps the key alive until its latest deadline plus a
 * retention (relative PEXPIRE from the caller's clock, only ever extended: expiry is only
 * garbage collection, deadlines are always read from the fields).
 */
const PRELUDE = `
local MINUTE, HOUR = 60000, 3600000
local key = KEYS[1]
local function pos(v)
  local n = tonumber(v)
  if n == nil or n ~= n or n <= 0 or n == math.huge then return 0 end
  return n
end
local function fmt(n) return string.format('%.17g', n) end
local h, changed = {}, {}
do
  local flat = redis.call('HGETALL', key)
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
end
local function set(f, v)
  if h[f] ~= v then h[f] = v; changed[f] = true end
end
local function del(f) if h[f] ~= nil then h[f] = nil; changed[f] = true end end
local function is_fc(f) return string.sub(f, 1, 3) == 'fc:' end
local function is_model(f) return string.sub(f, 1, 2) == 'm:' end
-- cooldownMs(n): 1 min, 5 min, 25 min, then the 1 h cap
local function cooldown(n)
  return math.min(HOUR, MINUTE * 5 ^ math.min(math.max(n, 1) - 1, 3))
end
-- the profile-wide part of withoutCooldowns(): errorCount 0, no cooldown/disable/probe/failureCounts
local function clear_profile()
  set('errorCount', '0')
  del('cooldownUntil'); del('cooldownReason'); del('disabledUntil'); del('disabledReason'); del('probeUntil')
  for f in pairs(h) do
    if is_fc(f) then del(f) end
  end
end
local function del_model(model)
  local p = 'm:' .. model .. ':'
  del(p .. 'until'); del(p .. 'n'); del(p .. 'at'); del(p .. 'probe')
end
-- models that have an entry (an entry exists when its until field does)
local function models()
  local out = {}
  for f in pairs(h) do
    if is_model(f) and string.sub(f, -6) == ':until' then out[#out + 1] = string.sub(f, 3, -7) end
  end
  return out
end
-- withoutCooldowns(): the profile-wide part and every model entry
local function clear_cooldowns()
  clear_profile()
  for _, m in ipairs(models()) do del_model(m) end
end
local function commit(now, floor, retention)
  local hs, hd = {}, {}
  for f in pairs(changed) do
    if h[f] == nil then hd[#hd + 1] = f else hs[#hs + 1] = f; hs[#hs + 1] = h[f] end
  end
  if #hd > 0 then redis.call('HDEL', key, unpack(hd)) end
  if #hs > 0 then redis.call('HSET', key, unpack(hs)) end
  if next(h) == nil then return end
  local deadline = math.max(pos(h.cooldownUntil), pos(h.disabledUntil), pos(h.probeUntil))
  for f, v in pairs(h) do
    if is_model(f) and (string.sub(f, -6) == ':until' or string.sub(f, -6) == ':probe') then
      deadline = math.max(deadline, pos(v))
    end
  end
  local ttl = math.floor(math.max(deadline - now, floor, 0) + retention)
  local cur = redis.call('PTTL', key)
  if cur == -1 or cur < ttl then redis.call('PEXPIRE', key, ttl) end
end
-- the header values first, then the hash
local function reply(...)
  local out = { ... }
  for f, v in pairs(h) do out[#out + 1] = f; out[#out + 1] = v end
  return out
end
local function version()
  return redis.call('GET', KEYS[2]) or '0'
end
-- A version key that is created (first change, or after a flush or data loss) starts at the
-- server's time in microseconds, not at 1, so a re-created counter does not walk back through
-- values a replica may still hold for its mirror.
local function bump()
  if redis.call('EXISTS', KEYS[2]) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', KEYS[2], t[1] .. string.sub('00000' .. t[2], -6))
  end
  return string.format('%.0f', redis.call('INCR', KEYS[2]))
end
-- lastUsed alone does not change routing (round-robin ignores it; LRU may lag, see mirror.ts)
local function finish()
  for f in pairs(changed) do
    if f ~= 'lastUsed' then return bump(), '1' end
  end
  return version(), '0'
end
`

/** applyFailure(): window reset, counters, then the scope's deadline (longer hint wins, max with the old one). */
const RECORD_FAILURE = `${PRELUDE}
local now, reason, scope, model = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local hint, window = pos(ARGV[5]), tonumber(ARGV[6])
local bbase, bmax, retention = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
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
else
  return redis.error_reply('unknown cooldown scope ' .. tostring(scope))
end
commit(now, window, retention)
return reply(finish())
`

/**
 * applySuccess(stats, now, model) (other models' rate limits stay) + lastGood[provider].
 * A success older than a failure already recorded (another replica's clock, or a command
 * resent after a reconnect) does not clear that failure: applySuccessInOrder() in
 * local-state.ts. In time order this is exactly applySuccess.
 */
const RECORD_SUCCESS = `${PRELUDE}
local now, retention, model = tonumber(ARGV[1]), tonumber(ARGV[4]), ARGV[5]
if now >= pos(h.lastFailureAt) then clear_profile() end
if now >= pos(h['m:' .. model .. ':at']) then del_model(model) end
set('lastUsed', fmt(math.max(now, pos(h.lastUsed))))
commit(now, 0, retention)
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
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
if scope == nil then return reply('0', version(), '0') end
local claim = fmt(now + math.max(1, ttl))
if scope == 'profile' then set('probeUntil', claim) else set(p .. 'probe', claim) end
commit(now, 0, retention)
local v, bumped = finish()
return reply('1', v, bumped)
`

/** clearCooldown(); a profile without an entry stays without one. */
const CLEAR_COOLDOWN = `${PRELUDE}
if next(h) == nil then return reply(version(), '0') end
clear_cooldowns()
commit(tonumber(ARGV[1]), 0, tonumber(ARGV[2]))
return reply(finish())
`

const ADVANCE_CURSOR = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
`

/**
 * Resync after an outage: folds what one replica recorded offline into the shared entry
 * (shared-state.md §3). ARGV: now windowMs retentionMs clearedAt lastUsed errors
 * lastFailureAt cooldownUntil cooldownReason disabledUntil disabledReason allModelsClearedAt
 * nModelClears [model clearedAt]* nReasons [reason count]* nModels [model until errors lastFailureAt]*.
 * - A local clear (success or manual) wins over remote failures older than it: the
 *   profile-wide part when clearedAt ≥ the remote lastFailureAt, a model entry when its
 *   clear time ≥ that entry's lastFailureAt. Newer remote failures stay.
 * - Counters: offline increments are added when both sides' failures fall in one window,
 *   else the newer window's count is kept (never a sum of absolute counts).
 * - Deadlines: max(local, remote). Only deadlines set offline are sent, so a stale local
 *   copy cannot resurrect a cooldown another replica cleared.
 */
const MERGE_STATS = `${PRELUDE}
local now, window, retention = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clearedAt, lastUsed, errors, lfa = pos(ARGV[4]), pos(ARGV[5]), tonumber(ARGV[6]), pos(ARGV[7])
local cdUntil, cdReason, disUntil, disReason = pos(ARGV[8]), ARGV[9], pos(ARGV[10]), ARGV[11]
local allCleared = pos(ARGV[12])
local i = 13
local modelCleared = {}
local nc = tonumber(ARGV[i]); i = i + 1
for _ = 1, nc do modelCleared[ARGV[i]] = pos(ARGV[i + 1]); i = i + 2 end
local reasons = {}
local nr = tonumber(ARGV[i]); i = i + 1
for _ = 1, nr do reasons[ARGV[i]] = tonumber(ARGV[i + 1]); i = i + 2 end
local deltas = {}
local nm = tonumber(ARGV[i]); i = i + 1
for _ = 1, nm do
  deltas[#deltas + 1] = { ARGV[i], pos(ARGV[i + 1]), tonumber(ARGV[i + 2]), pos(ARGV[i + 3]) }
  i = i + 4
end
if next(h) ~= nil then
  if clearedAt > 0 and clearedAt >= pos(h.lastFailureAt) then clear_profile() end
  for _, m in ipairs(models()) do
    local c = math.max(allCleared, modelCleared[m] or 0)
    if c > 0 and c >= pos(h['m:' .. m .. ':at']) then del_model(m) end
  end
end
if lastUsed > pos(h.lastUsed) then set('lastUsed', fmt(lastUsed)) end
local function same_window(a, b) return b == 0 or math.abs(a - b) <= window end
if errors > 0 then
  local rl = pos(h.lastFailureAt)
  if same_window(lfa, rl) then
    set('errorCount', fmt((tonumber(h.errorCount) or 0) + errors))
    for r, d in pairs(reasons) do set('fc:' .. r, fmt((tonumber(h['fc:' .. r]) or 0) + d)) end
  elseif lfa > rl then
    set('errorCount', fmt(errors))
    for f in pairs(h) do if is_fc(f) then del(f) end end
    for r, d in pairs(reasons) do set('fc:' .. r, fmt(d)) end
  end
  if lfa > rl then set('lastFailureAt', fmt(lfa)) end
end
if cdUntil > pos(h.cooldownUntil) then set('cooldownUntil', fmt(cdUntil)); set('cooldownReason', cdReason) end
if disUntil > pos(h.disabledUntil) then set('disabledUntil', fmt(disUntil)); set('disabledReason', disReason) end
for _, m in ipairs(deltas) do
  local p = 'm:' .. m[1] .. ':'
  local at, rat = m[4], pos(h[p .. 'at'])
  if h[p .. 'until'] == nil then
    set(p .. 'n', fmt(m[3]))
  elseif same_window(at, rat) then
    set(p .. 'n', fmt((tonumber(h[p .. 'n']) or 0) + m[3]))
  elseif at > rat then
    set(p .. 'n', fmt(m[3]))
  end
  if m[2] > pos(h[p .. 'until']) then set(p .. 'until', fmt(m[2])) end
  if at > rat then set(p .. 'at', fmt(at)) end
end
commit(now, window, retention)
return reply(finish())
`

/** The version and every requested stats hash in one atomic step (no change between them). */
const READ_STATS = `
local out = { redis.call('GET', KEYS[1]) or '0' }
for i = 2, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
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
  recordFailure: { numberOfKeys: 2, lua: RECORD_FAILURE },
  recordSuccess: { numberOfKeys: 3, lua: RECORD_SUCCESS },
  claimProbe: { numberOfKeys: 2, lua: CLAIM_PROBE },
  clearCooldown: { numberOfKeys: 2, lua: CLEAR_COOLDOWN },
  advanceCursor: { numberOfKeys: 1, lua: ADVANCE_CURSOR },
  mergeStats: { numberOfKeys: 2, lua: MERGE_STATS },
  // Variable key count: the caller passes it first.
  readStats: { lua: READ_STATS },
  touchUsed: { numberOfKeys: 1, lua: TOUCH_USED },
} as const

/** Defines every script on a connection (once per client; ioredis loads them lazily). */
export function defineScripts (redis: Redis): void {
  for (const [name, def] of Object.entries(SCRIPTS)) redis.defineCommand(name, def)
}
