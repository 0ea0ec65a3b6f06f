// Exactly-once refresh across replicas (docs/operations.md): a SET NX PX lock per credential,
// a re-read after acquiring it, a gen-fenced CAS commit, compare-and-delete release; waiters
// poll the record with backoff until a usable generation appears. Key layout (one hash tag per
// credential, so each script is single-slot in Redis Cluster):
//   <prefix>{cred:<profileId>}:tok      hash   access refresh expires gen extra(JSON) updatedAt lastError lastErrorAt
//   <prefix>{cred:<profileId>}:lock     string random owner token, PX 60 s
//   <prefix>{cred:<profileId>}:ch       pub/sub channel, the new gen after each commit
// and the same three as `:cop`, `:cop-lock`, `:cop-ch` for the Copilot session token.
// The lock is an efficiency lock; correctness comes from the gen fence and from re-reading.
// Without Redis the file coordinator (host-local lock) takes over.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis, type Result } from 'ioredis'
import { refreshUnderLock, underStoreLock } from './file-coordinator.ts'
import { preferUsable, type OAuthLog, type RefreshCoordinator, type RefreshTask, type StoredToken, type TokenSlot } from './types.ts'
import { RefreshError } from '../../core/errors.ts'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** KEYS record · ARGV expectedGen access refresh expires extra updatedAt retentionMs channel → [committed 0|1, gen] */
    rotorCredCommit (record: string, ...args: string[]): Result<[number, number], Context>
    /** KEYS lock · ARGV owner → 1 when deleted */
    rotorCredRelease (lock: string, owner: string): Result<number, Context>
  }
}

const COMMIT = `
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0') or 0
if gen ~= tonumber(ARGV[1]) then return {0, gen} end
gen = gen + 1
redis.call('HSET', KEYS[1], 'access', ARGV[2], 'refresh', ARGV[3], 'expires', ARGV[4], 'extra', ARGV[5], 'gen', tostring(gen), 'updatedAt', ARGV[6])
redis.call('HDEL', KEYS[1], 'lastError', 'lastErrorAt')
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PUBLISH', ARGV[8], tostring(gen))
return {1, gen}
`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

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

export interface RedisCoordinatorOptions {
  readonly url: string
  readonly prefix: string
  readonly log?: OAuthLog
  /** Lock TTL; well above the 20 s HTTP timeout (default 60 s). */
  readonly lockTtlMs?: number
  /** Startup: how long a refresh waits for the first connection before using the file lock. */
  readonly connectWaitMs?: number
  readonly commandTimeoutMs?: number
  /** How long committed records live without a new commit (default 30 days). */
  readonly retentionMs?: number
}

interface RecordView {
  readonly token: StoredToken
  readonly gen: number
  readonly lastError: string | undefined
  readonly lastErrorAt: number
}

function parseRecord (h: Record<string, string>): RecordView | undefined {
  if (h.access === undefined || h.gen === undefined) {
    return h.lastError === undefined ? undefined : { token: { access: '', refresh: '', expires: 0, fields: {} }, gen: Number(h.gen ?? 0), lastError: h.lastError, lastErrorAt: Number(h.lastErrorAt ?? 0) }
  }
  let fields: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(h.extra ?? '{}')
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>
  } catch { /* keep {} */ }
  return {
    token: { access: h.access, refresh: h.refresh ?? '', expires: Number(h.expires ?? 0) || 0, fields },
    gen: Number(h.gen) || 0,
    lastError: h.lastError,
    lastErrorAt: Number(h.lastErrorAt ?? 0) || 0,
  }
}

/** Reconnect delay: 100 ms doubling to a 5 s cap, plus jitter. */
function retryDelay (times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 6), 5000) + Math.floor(Math.random() * 100)
}

export interface RedisCoordinator extends RefreshCoordinator {
  readonly kind: 'redis'
  readonly keys: CredentialKeys
}

export function createRedisCoordinator (opts: RedisCoordinatorOptions): RedisCoordinator {
  const ttl = opts.lockTtlMs ?? 60_000
  const keys = credentialKeys(opts.prefix)
  const retention = opts.retentionMs ?? 30 * 86_400_000
  const client = new Redis(opts.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: opts.commandTimeoutMs ?? 500,
    retryStrategy: retryDelay,
    lazyConnect: false,
    connectionName: 'rotor-oauth',
  })
  client.defineCommand('rotorCredCommit', { numberOfKeys: 1, lua: COMMIT })
  client.defineCommand('rotorCredRelease', { numberOfKeys: 1, lua: RELEASE })
  let outage = false
  client.on('error', () => { /* reported once per outage by run() */ })
  client.on('ready', () => {
    if (outage) opts.log?.info({}, 'redis reachable again: OAuth refreshes are coordinated across replicas')
    outage = false
    void flushPending()
  })

  /** Good token responses whose commit failed while Redis was away: pushed through the CAS later. */
  const pending = new Map<string, { expectedGen: number, token: StoredToken, channel: string }>()

  async function ready (): Promise<boolean> {
    // A stall on a live connection keeps status 'ready': each refresh then tries Redis and
    // falls back after commandTimeout, so nothing sticks in fallback once it recovers.
    if (client.status === 'ready') return true
    if (client.status === 'end' || outage) return false
    const wait = opts.connectWaitMs ?? 1000
    return await new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => { clearTimeout(timer); client.off('ready', onReady); resolve(ok) }
      const onReady = (): void => { done(true) }
      const timer = setTimeout(() => { done(client.status === 'ready') }, wait)
      client.once('ready', onReady)
    })
  }

  async function read (slot: TokenSlot, id: string): Promise<RecordView | undefined> {
    return parseRecord(await client.hgetall(keys.record(slot, id)))
  }

  async function commit (record: string, channel: string, expectedGen: number, t: StoredToken): Promise<boolean> {
    const [committed] = await client.rotorCredCommit(record,
      String(expectedGen), t.access, t.refresh, String(t.expires), JSON.stringify(t.fields), String(Date.now()), String(retention), channel)
    return committed === 1
  }

  async function flushPending (): Promise<void> {
    for (const [record, p] of pending) {
      try {
        await commit(record, p.channel, p.expectedGen, p.token)
        pending.delete(record)
      } catch {
        return
      }
    }
  }

  /** We hold the lock (then the credentials file's, as a Clawdbot on this host would): re-read, refresh if still needed, commit through the gen fence. */
  async function asWinner (task: RefreshTask, owner: string, started: number): Promise<StoredToken> {
    try {
      return await underStoreLock(task, () => winnerHeld(task, started))
    } finally {
      await client.rotorCredRelease(keys.lock(task.slot, task.profileId), owner).catch(() => {})
    }
  }

  async function winnerHeld (task: RefreshTask, started: number): Promise<StoredToken> {
    const record = keys.record(task.slot, task.profileId)
    const channel = keys.channel(task.slot, task.profileId)
    const rec = await read(task.slot, task.profileId)
    const local = task.local(true)
    const base = preferUsable(task.usable, rec?.token.access === '' ? undefined : rec?.token, local)
    if (base !== undefined && task.usable(base)) {
      if (base !== local) await task.persist(base)
      return base
    }
    // The previous holder failed after we started waiting (it set lastError, then released).
    if (rec?.lastError !== undefined && rec.lastErrorAt >= started) throw new RefreshError(rec.lastError)
    const expectedGen = rec?.gen ?? 0
    let next: StoredToken
    try {
      next = await task.fetch(base)
    } catch (err) {
      // A peer whose lock outlived ours (slow call) may have committed: rotated tokens make
      // our call fail exactly then, so its record is the one to use.
      const again = await read(task.slot, task.profileId).catch(() => undefined)
      if (again !== undefined && again.gen !== expectedGen && task.usable(again.token)) {
        await task.persist(again.token)
        return again.token
      }
      if (err instanceof RefreshError) {
        await client.pipeline().hset(record, { lastError: err.reason, lastErrorAt: String(Date.now()) }).pexpire(record, retention).exec().catch(() => {})
      }
      throw err
    }
    try {
      if (!(await commit(record, channel, expectedGen, next))) {
        // gen moved under us (a peer committed while our call ran): keep its record stored,
        // use ours for this request only; a good response is never thrown away.
        const stored = await read(task.slot, task.profileId).catch(() => undefined)
        if (stored !== undefined && task.usable(stored.token)) await task.persist(stored.token)
        return next
      }
    } catch (err) {
      pending.set(record, { expectedGen, token: next, channel })
      opts.log?.warn({ err, profile: task.profileId }, 'could not store the refreshed OAuth token in redis; will retry')
    }
    await task.persist(next)
    return next
  }

  async function coordinated (task: RefreshTask): Promise<StoredToken> {
    const record = keys.record(task.slot, task.profileId)
    if (pending.has(record)) await flushPending()
    const started = Date.now()
    const deadline = started + ttl + 5000
    const owner = randomBytes(16).toString('hex')
    const lockKey = keys.lock(task.slot, task.profileId)
    let first = true
    let delay = 50
    for (;;) {
      if (!first) {
        await sleep(delay)
        delay = Math.min(delay * 2, 200)
      }
      first = false
      const rec = await read(task.slot, task.profileId)
      if (rec !== undefined && rec.token.access !== '' && task.usable(rec.token)) {
        await task.persist(rec.token)
        return rec.token
      }
      if (rec?.lastError !== undefined && rec.lastErrorAt >= started) throw new RefreshError(rec.lastError)
      if (await client.set(lockKey, owner, 'PX', ttl, 'NX') === 'OK') return await asWinner(task, owner, started)
      if (Date.now() > deadline) throw new RefreshError('timed out waiting for another replica to refresh the token')
    }
  }

  return {
    kind: 'redis',
    keys,
    async run (task) {
      if (await ready()) {
        try {
          return await coordinated(task)
        } catch (err) {
          if (err instanceof RefreshError) throw err
          if (!outage) opts.log?.warn({ err }, 'redis unavailable for OAuth refresh; using the host-local file lock')
          outage = true
        }
      } else if (!outage) {
        outage = true
        opts.log?.warn({}, 'redis unavailable for OAuth refresh; using the host-local file lock')
      }
      return await refreshUnderLock(task, { log: opts.log })
    },
    async close () {
      try { await client.quit() } catch { client.disconnect() }
    },
  }
}
