// The scripts a replica's resync runs (redis/push.ts): MERGE_STATS folds what it recorded while
// Redis was unreachable into the shared entry; SEED_STATS puts an entry back from its local
// mirror after Redis lost the agent's state. Both are safe to run more than once.
import { EVENTS, PRELUDE } from './script-prelude.ts'

/**
 * Offline changes of one profile (docs/operations.md). KEYS stats ver epoch events. ARGV: now
 * windowMs retentionMs clearedAt lastUsed cooldownUntil cooldownReason disabledUntil
 * disabledReason allModelsClearedAt nModelClears [model clearedAt]* nModels [model until]*
 * nEvents [id at reason scope profileWide('1'|'0') model('' = none)]*.
 * - A local clear (success or manual) wins over remote failures older than it: the
 *   profile-wide part when clearedAt ≥ the remote lastFailureAt, a model entry when its
 *   clear time ≥ that entry's lastFailureAt. Newer remote failures stay.
 * - Failures are events with ids: only those this Redis has not counted yet count (a batch
 *   re-sent on every resync attempt, or holding a failure whose own command timed out but
 *   ran, adds nothing the second time). Counters: the new events are added when both sides'
 *   failures fall in one window, else the newer window's count is kept.
 * - Deadlines: max(local, remote), and only for a scope that has a new event: a re-sent
 *   batch does not bring back a cooldown cleared since it first landed, and only deadlines
 *   set offline are sent, so a stale local copy cannot resurrect one either.
 */
export const MERGE_STATS = `${PRELUDE}${EVENTS}
local now, window, retention = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clearedAt, lastUsed = pos(ARGV[4]), pos(ARGV[5])
local cdUntil, cdReason, disUntil, disReason = pos(ARGV[6]), ARGV[7], pos(ARGV[8]), ARGV[9]
local allCleared = pos(ARGV[10])
local i = 11
local modelCleared = {}
local nc = tonumber(ARGV[i]); i = i + 1
for _ = 1, nc do modelCleared[ARGV[i]] = pos(ARGV[i + 1]); i = i + 2 end
local modelUntil = {}
local nm = tonumber(ARGV[i]); i = i + 1
for _ = 1, nm do modelUntil[ARGV[i]] = pos(ARGV[i + 1]); i = i + 2 end
local new = { n = 0, at = 0, reasons = {}, scopes = {}, models = {} }
local ne = tonumber(ARGV[i]); i = i + 1
for _ = 1, ne do
  local id, at, reason, scope = ARGV[i], pos(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local wide, model = ARGV[i + 4] == '1', ARGV[i + 5]
  i = i + 6
  if first_time(id, at) then
    if wide then
      new.n = new.n + 1
      new.at = math.max(new.at, at)
      new.reasons[reason] = (new.reasons[reason] or 0) + 1
      new.scopes[scope] = true
    end
    if model ~= '' then
      local m = new.models[model] or { n = 0, at = 0 }
      m.n = m.n + 1
      m.at = math.max(m.at, at)
      new.models[model] = m
    end
  end
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
if new.n > 0 then
  local rl = pos(h.lastFailureAt)
  if same_window(new.at, rl) then
    set('errorCount', fmt((tonumber(h.errorCount) or 0) + new.n))
    for r, d in pairs(new.reasons) do set('fc:' .. r, fmt((tonumber(h['fc:' .. r]) or 0) + d)) end
  elseif new.at > rl then
    set('errorCount', fmt(new.n))
    for f in pairs(h) do if is_fc(f) then del(f) end end
    for r, d in pairs(new.reasons) do set('fc:' .. r, fmt(d)) end
  end
  if new.at > rl then set('lastFailureAt', fmt(new.at)) end
end
if new.scopes.profile and cdUntil > pos(h.cooldownUntil) then set('cooldownUntil', fmt(cdUntil)); set('cooldownReason', cdReason) end
if new.scopes.disable and disUntil > pos(h.disabledUntil) then set('disabledUntil', fmt(disUntil)); set('disabledReason', disReason) end
for m, d in pairs(new.models) do
  local p = 'm:' .. m .. ':'
  local u, rat = modelUntil[m] or 0, pos(h[p .. 'at'])
  if h[p .. 'until'] == nil then
    if u > 0 then set(p .. 'n', fmt(d.n)) end
  elseif same_window(d.at, rat) then
    set(p .. 'n', fmt((tonumber(h[p .. 'n']) or 0) + d.n))
  elseif d.at > rat then
    set(p .. 'n', fmt(d.n))
  end
  if u > pos(h[p .. 'until']) then set(p .. 'until', fmt(u)) end
  if (h[p .. 'until'] ~= nil) and d.at > rat then set(p .. 'at', fmt(d.at)) end
end
commit(now, window, retention)
keep_events(retention)
return reply(finish())
`

/**
 * One entry of a replica's local mirror, put back after Redis lost the agent's state (a
 * restart without persistence, FLUSHALL). KEYS stats ver epoch. ARGV: now windowMs
 * retentionMs, then the entry as hash fields [field value]* (codec.ts encodeStats).
 * What other replicas wrote since the loss is merged, never summed — the mirror's counts are
 * absolute, not deltas: counts by max within one window (else the newer window's), deadlines
 * and times by max. A profile-wide part that a success here has cleared since the mirror's
 * last failure (clean, lastUsed ≥ that failure) stays cleared. Idempotent: any number of
 * replicas may seed the same entry, any number of times.
 */
export const SEED_STATS = `${PRELUDE}
local now, window, retention = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local s = {}
for i = 4, #ARGV - 1, 2 do s[ARGV[i]] = ARGV[i + 1] end
local function raise(f)
  if s[f] ~= nil and (h[f] == nil or pos(s[f]) > pos(h[f])) then set(f, s[f]) end
end
local function same_window(a, b) return a == 0 or b == 0 or math.abs(a - b) <= window end
local la, ra = pos(s.lastFailureAt), pos(h.lastFailureAt)
local healed = next(h) ~= nil and (tonumber(h.errorCount) or 0) == 0 and h.cooldownUntil == nil and
  h.disabledUntil == nil and pos(h.lastUsed) >= la
raise('lastUsed')
if not healed then
  if same_window(la, ra) then
    raise('errorCount')
    for f in pairs(s) do if is_fc(f) then raise(f) end end
  elseif la > ra then
    set('errorCount', s.errorCount or '0')
    for f in pairs(h) do if is_fc(f) then del(f) end end
    for f, v in pairs(s) do if is_fc(f) then set(f, v) end end
  end
  raise('lastFailureAt')
  if pos(s.cooldownUntil) > pos(h.cooldownUntil) then
    set('cooldownUntil', s.cooldownUntil)
    if s.cooldownReason ~= nil then set('cooldownReason', s.cooldownReason) end
  end
  if pos(s.disabledUntil) > pos(h.disabledUntil) then
    set('disabledUntil', s.disabledUntil)
    set('disabledReason', s.disabledReason or 'billing')
  end
end
-- A success heals only its own model, which this entry cannot tell: model entries always merge.
for f, v in pairs(s) do
  if is_model(f) and string.sub(f, -6) == ':until' then
    local p = string.sub(f, 1, -6)
    local a, b = pos(s[p .. 'at']), pos(h[p .. 'at'])
    if h[p .. 'until'] == nil then
      set(p .. 'until', v); set(p .. 'n', s[p .. 'n'] or '1'); set(p .. 'at', s[p .. 'at'] or '0')
    else
      if same_window(a, b) then
        if pos(s[p .. 'n']) > pos(h[p .. 'n']) then set(p .. 'n', s[p .. 'n']) end
      elseif a > b then
        set(p .. 'n', s[p .. 'n'] or '1')
      end
      if pos(v) > pos(h[p .. 'until']) then set(p .. 'until', v) end
      if a > b then set(p .. 'at', s[p .. 'at']) end
    end
  end
end
commit(now, window, retention)
return reply(finish())
`
