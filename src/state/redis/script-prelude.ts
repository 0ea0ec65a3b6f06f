// The Lua shared by the stats scripts (scripts.ts, resync-scripts.ts): loading and writing back
// one stats hash, the cooldown formula, the version/epoch header, and the failure event ids
// that make a re-sent failure count once.

/**
 * Shared head of the stats scripts (KEYS[1] stats, KEYS[2] ver, KEYS[3] epoch): loads KEYS[1]
 * into `h`, tracks changed fields, writes them back in one HSET/HDEL, and keeps the key alive
 * until its latest deadline plus a retention (relative PEXPIRE from the caller's clock, only
 * ever extended: expiry is only garbage collection, deadlines are always read from the fields).
 */
export const PRELUDE = `
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
local function epoch()
  return redis.call('GET', KEYS[3]) or ''
end
-- the server's time in microseconds, as a decimal string
local function stamp()
  local t = redis.call('TIME')
  return t[1] .. string.sub('00000' .. t[2], -6)
end
-- A version key that is created (first change, or after a flush or data loss) starts at the
-- server's time in microseconds, not at 1, so a re-created counter does not walk back through
-- values a replica may still hold for its mirror. A missing epoch is created the same way: a
-- replica that knew another one learns that Redis lost the agent's state (redis/reseed.ts).
-- (A version written before epochs existed gets its epoch with its next change.)
local function bump()
  if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], stamp()) end
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], stamp()) end
  return string.format('%.0f', redis.call('INCR', KEYS[2]))
end
-- the header [version, bumped, epoch]; lastUsed alone does not change routing (round-robin
-- ignores it; LRU may lag, see mirror.ts)
local function finish()
  for f in pairs(changed) do
    if f ~= 'lastUsed' then
      local v = bump()
      return v, '1', epoch()
    end
  end
  return version(), '0', epoch()
end
`

/**
 * Failure event ids (KEYS[4], a zset scored by the failure's time): every failure carries an
 * id, and a script counts it only the first time it sees that id. A failure can reach Redis
 * twice — a command that timed out on the client but ran on the server, then went out again
 * with the resync; a resync batch re-sent on every attempt while Redis stalls — and must count
 * once. The newest 64 ids are kept, for as long as the stats entry lives (a few KB at most):
 * an id is forgotten only after 64 newer failures of the same profile, and by then the count
 * of the window is past every backoff's cap (cooldowns cap at the 4th failure, billing at the
 * 11th) or the window has moved on — a recount no longer changes a deadline (unless a clear
 * reset the count in between).
 */
export const EVENTS = `
local EVENTS_KEPT = 64
local function first_time(id, at)
  return redis.call('ZADD', KEYS[4], 'NX', at, id) == 1
end
local function keep_events(retention)
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(EVENTS_KEPT + 1))
  local ttl = redis.call('PTTL', key)
  if ttl <= 0 then ttl = math.floor(retention) end
  redis.call('PEXPIRE', KEYS[4], ttl)
end
`
