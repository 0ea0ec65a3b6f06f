// The only code that builds Redis key names. Layout (prefix defaults to "rotor:"):
//   <prefix>{<agent>}:st:<profileId>   hash   usage stats of one profile (fields: see codec.ts)
//   <prefix>{<agent>}:rr:<provider>    string round-robin cursor (INCR)
//   <prefix>{<agent>}:pin:<session>    string session pin "<expiresMs>:<profileId>", PX ttl
//   <prefix>{<agent>}:lastgood         hash   provider → profileId
//   <prefix>{<agent>}:ver              string stats version: INCRed by every script that changes
//                                      what routing reads (not lastUsed alone); no expiry
//   <prefix>{<agent>}:epoch            string when the agent's state was (re-)created in this Redis;
//                                      no expiry. A replica that sees it vanish or change knows
//                                      Redis lost the agent's state (restart without persistence,
//                                      FLUSHALL) and re-seeds it from its local mirror
//   <prefix>{<agent>}:ev:<profileId>   zset   ids of failure events already counted (score: the
//                                      failure's time), the newest 64, expiring with the stats key:
//                                      a failure re-sent after a timeout counts once
// The `{<agent>}` hash tag puts all keys of one agent in one Redis Cluster slot, so every
// script (each touches the keys of one agent only) is single-slot.
import { ConfigError } from '../../core/errors.ts'

export interface Keys {
  readonly prefix: string
  stats (agent: string, profileId: string): string
  cursor (agent: string, provider: string): string
  pin (agent: string, session: string): string
  lastGood (agent: string): string
  /** The agent's stats version (see scripts.ts); the same string on every call. */
  version (agent: string): string
  /** The agent's state epoch (see above); the same string on every call. */
  epoch (agent: string): string
  /** Failure event ids already counted for one profile. */
  events (agent: string, profileId: string): string
  /** SCAN MATCH pattern covering every key under the prefix. */
  pattern (): string
}

/** Braces would end or start the hash tag early; `%` is escaped so the encoding stays reversible. */
function tagText (agent: string): string {
  return agent.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Escapes glob metacharacters for SCAN MATCH. */
export function globEscape (s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}

export function createKeys (prefix: string): Keys {
  if (/[{}]/.test(prefix)) throw new ConfigError('state.redis.prefix must not contain "{" or "}" (they would change the Redis Cluster hash tag)')
  const base = (agent: string): string => `${prefix}{${tagText(agent)}}:`
  // Read on every request (readStats): built once per agent.
  const versions = new Map<string, string>()
  const epochs = new Map<string, string>()
  const cached = (cache: Map<string, string>, agent: string, suffix: string): string => {
    let key = cache.get(agent)
    if (key === undefined) {
      key = `${base(agent)}${suffix}`
      cache.set(agent, key)
    }
    return key
  }
  return {
    prefix,
    stats: (agent, profileId) => `${base(agent)}st:${profileId}`,
    cursor: (agent, provider) => `${base(agent)}rr:${provider}`,
    pin: (agent, session) => `${base(agent)}pin:${session}`,
    lastGood: (agent) => `${base(agent)}lastgood`,
    version: (agent) => cached(versions, agent, 'ver'),
    epoch: (agent) => cached(epochs, agent, 'epoch'),
    events: (agent, profileId) => `${base(agent)}ev:${profileId}`,
    pattern: () => `${globEscape(prefix)}*`,
  }
}
