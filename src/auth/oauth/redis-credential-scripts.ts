// Keys and Lua of the Redis refresh coordinator (redis-coordinator.ts). One hash tag per
// credential, so every script is single-slot in Redis Cluster:
//   <prefix>{cred:<profileId>}:tok      hash   access refresh expires gen extra(JSON) updatedAt lastError lastErrorAt
//   <prefix>{cred:<profileId>}:lock     string random owner token, PX 60 s
//   <prefix>{cred:<profileId>}:ch       pub/sub channel, the new gen after each commit
// and the same three as `:cop`, `:cop-lock`, `:cop-ch` for the Copilot session token.
import type { Result } from 'ioredis'
import type { TokenSlot } from './types.ts'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** KEYS record · ARGV expectedGen access refresh expires extra updatedAt retentionMs channel → [committed 0|1, gen] */
    rotorCredCommit (record: string, ...args: string[]): Result<[number, number], Context>
    /** KEYS lock · ARGV owner ttlMs → 1 when the caller holds the lock now */
    rotorCredAcquire (lock: string, owner: string, ttlMs: string): Result<number, Context>
    /** KEYS lock · ARGV owner → 1 when deleted */
    rotorCredRelease (lock: string, owner: string): Result<number, Context>
  }
}

/**
 * Gen-fenced CAS. Idempotent: a commit sent again (its reply was lost in a failover, or it sits
 * in the retry queue) that finds its own tokens one generation up reports success instead of a
 * fence miss. The PUBLISH is classic pub/sub (a Cluster forwards it to every node); nothing in
 * rotor depends on it (waiters poll `gen`), it is a hint for tools that watch refreshes.
 */
const COMMIT = `
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0') or 0
local want = tonumber(ARGV[1])
if gen == want + 1 and redis.call('HGET', KEYS[1], 'access') == ARGV[2] and redis.call('HGET', KEYS[1], 'refresh') == ARGV[3] then
  return {1, gen}
end
if gen ~= want then return {0, gen} end
gen = gen + 1
redis.call('HSET', KEYS[1], 'access', ARGV[2], 'refresh', ARGV[3], 'expires', ARGV[4], 'extra', ARGV[5], 'gen', tostring(gen), 'updatedAt', ARGV[6])
redis.call('HDEL', KEYS[1], 'lastError', 'lastErrorAt')
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PUBLISH', ARGV[8], tostring(gen))
return {1, gen}
`

/** SET NX PX, re-entrant: an owner whose reply was lost (failover) finds its own lock and keeps it. */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

export const CREDENTIAL_SCRIPTS = {
  rotorCredCommit: { numberOfKeys: 1, lua: COMMIT },
  rotorCredAcquire: { numberOfKeys: 1, lua: ACQUIRE },
  rotorCredRelease: { numberOfKeys: 1, lua: RELEASE },
} as const

export interface CredentialKeys {
  record (slot: TokenSlot, profileId: string): string
  lock (slot: TokenSlot, profileId: string): string
  channel (slot: TokenSlot, profileId: string): string
}

/** Braces would end the hash tag early; `%` is escaped so the encoding stays reversible. */
function tagText (id: string): string {
  return id.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export function credentialKeys (prefix: string): CredentialKeys {
  const base = (id: string): string => `${prefix}{cred:${tagText(id)}}:`
  return {
    record: (slot, id) => base(id) + slot,
    lock: (slot, id) => base(id) + (slot === 'tok' ? 'lock' : `${slot}-lock`),
    channel: (slot, id) => base(id) + (slot === 'tok' ? 'ch' : `${slot}-ch`),
  }
}
