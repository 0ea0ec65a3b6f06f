// Exactly-once refresh across replicas (docs/operations.md): a lock per credential, a re-read
// after acquiring it, a gen-fenced CAS commit, compare-and-delete release; waiters poll the
// record with backoff until a usable generation appears. Keys and Lua: redis-credential-scripts.ts.
// The lock is an efficiency lock; correctness comes from the gen fence and from re-reading.
//
// Through a failover (Sentinel or Cluster promoting a replica; replication is asynchronous):
// - the lock must be on a replica before the token endpoint is called, and the commit before
//   the lock goes: both are followed by WAIT 1 (when the master has replicas), so a promotion
//   neither frees the lock of a refresh in flight nor loses the new refresh token;
// - a refresh whose Redis calls fail before the token call retries them for `failoverGraceMs`
//   rather than calling the endpoint on its own; a commit that fails after it is retried in
//   the background (idempotently) while the lock keeps peers waiting, and the token is used;
// - a replica that cannot reach Redis uses its current token while it is still valid (the
//   refresh margin is minutes), and waits `failoverGraceMs` for Redis when it is not.
// Only after that grace does the host-local file lock take over (no cross-replica exclusion).
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis, type Cluster } from 'ioredis'
import { refreshUnderLock, underStoreLock } from './file-coordinator.ts'
import { CREDENTIAL_SCRIPTS, credentialKeys, type CredentialKeys } from './redis-credential-scripts.ts'
import { preferUsable, type OAuthLog, type RefreshCoordinator, type RefreshTask, type StoredToken, type TokenSlot } from './types.ts'
import { RefreshError } from '../../core/errors.ts'

export { credentialKeys, type CredentialKeys } from './redis-credential-scripts.ts'

export interface RedisCoordinatorOptions {
  /** A connection to any topology (src/state/redis/connection.ts connectRedis); closed by close(). */
  readonly client?: Redis | Cluster
  /** Standalone shorthand when no client is given. */
  readonly url?: string
  readonly prefix: string
  readonly log?: OAuthLog
  /** Lock TTL; well above the 20 s HTTP timeout (default 60 s). */
  readonly lockTtlMs?: number
  /** Startup: how long a refresh waits for the first connection before using the file lock. */
  readonly connectWaitMs?: number
  readonly commandTimeoutMs?: number
  /** How long committed records live without a new commit (default 30 days). */
  readonly retentionMs?: number
  /** How long a refresh waits for an unreachable Redis (a failover) before the file lock (default 0). */
  readonly failoverGraceMs?: number
  /** WAIT timeout for one replica's acknowledgement (default 250 ms; below commandTimeoutMs). */
  readonly replicaWaitMs?: number
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

/** A Redis error reply that refuses the command itself (ACL, unknown or disabled command), by its protocol error code. */
function refusedCommand (err: Error): boolean {
  const code = err.name === 'ReplyError' ? err.message.split(' ', 1)[0] : ''
  return code === 'NOPERM' || code === 'ERR'
}

export interface RedisCoordinator extends RefreshCoordinator {
  readonly kind: 'redis'
  readonly keys: CredentialKeys
}

/** A commit still to land; the lock stays ours (peers keep waiting) until it has. */
interface Pending { readonly expectedGen: number, readonly token: StoredToken, readonly channel: string, readonly lock: string, readonly owner: string }

export function createRedisCoordinator (opts: RedisCoordinatorOptions): RedisCoordinator {
  const ttl = opts.lockTtlMs ?? 60_000
  const grace = opts.failoverGraceMs ?? 0
  const replicaWait = opts.replicaWaitMs ?? 250
  const keys = credentialKeys(opts.prefix)
  const retention = opts.retentionMs ?? 30 * 86_400_000
  const client: Redis | Cluster = opts.client ?? new Redis(opts.url ?? 'redis://127.0.0.1:6379', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: opts.commandTimeoutMs ?? 500,
    retryStrategy: retryDelay,
    lazyConnect: false,
    connectionName: 'rotor-oauth',
  })
  for (const [name, def] of Object.entries(CREDENTIAL_SCRIPTS)) client.defineCommand(name, def)
  let outage = false
  let closed = false
  client.on('error', () => { /* reported once per outage by run() */ })
  client.on('ready', () => {
    if (outage) opts.log?.info({}, 'redis reachable again: OAuth refreshes are coordinated across replicas')
    outage = false
    void flushPending()
  })

  /** Good token responses whose commit has not landed yet: pushed through the CAS until it does. */
  const pending = new Map<string, Pending>()
  let pendingTimer: ReturnType<typeof setTimeout> | undefined
  let pendingDelay = 100

  /** Connected now, or within `waitMs` (a stall on a live connection keeps status 'ready'). */
  async function ready (waitMs: number): Promise<boolean> {
    if (client.status === 'ready') return true
    if (client.status === 'end' || waitMs <= 0) return false
    return await new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => { clearTimeout(timer); client.off('ready', onReady); resolve(ok) }
      const onReady = (): void => { done(true) }
      const timer = setTimeout(() => { done(client.status === 'ready') }, waitMs)
      client.once('ready', onReady)
    })
  }

  async function read (slot: TokenSlot, id: string): Promise<RecordView | undefined> {
    return parseRecord(await client.hgetall(keys.record(slot, id)))
  }

  /**
   * After a write to `key`: true once a replica of its master has it (WAIT 1), or when the
   * master has none. ROLE and WAIT are keyless: a pipeline with a command on `key` takes them
   * to that key's master on a Cluster too.
   */
  async function replicated (key: string): Promise<boolean> {
    let replicas = -1
    try {
      const [, role] = (await client.pipeline().pttl(key).role().exec()) ?? []
      const reply = role?.[1]
      if (role?.[0] === null && Array.isArray(reply) && reply[0] === 'master' && Array.isArray(reply[2])) replicas = reply[2].length
    } catch { /* unknown: WAIT tells */ }
    if (replicas === 0) return true
    const [, waited] = (await client.pipeline().pttl(key).wait(1, replicaWait).exec()) ?? []
    const err = waited?.[0]
    if (err !== null && err !== undefined) {
      // A user not allowed WAIT (or a proxy without it): unconfirmed, not unreachable.
      if (refusedCommand(err)) return false
      throw err
    }
    return Number(waited?.[1]) >= 1
  }

  async function commit (record: string, p: Pending): Promise<boolean> {
    const [committed] = await client.rotorCredCommit(record,
      String(p.expectedGen), p.token.access, p.token.refresh, String(p.token.expires), JSON.stringify(p.token.fields), String(Date.now()), String(retention), p.channel)
    return committed === 1
  }

  async function flushPending (): Promise<void> {
    if (pendingTimer !== undefined) clearTimeout(pendingTimer)
    pendingTimer = undefined
    for (const [record, p] of pending) {
      try {
        // Committed (or found already committed), and on a replica: then the lock can go.
        await commit(record, p)
        await replicated(record)
        pending.delete(record)
        await client.rotorCredRelease(p.lock, p.owner).catch(() => {})
      } catch {
        break
      }
    }
    // No 'ready' follows a Cluster failover (the client stays ready): retry on a timer.
    if (pending.size > 0 && !closed) {
      pendingTimer = setTimeout(() => { void flushPending() }, pendingDelay)
      pendingTimer.unref()
      // Capped low: peers wait for this commit (the lock is held until it lands).
      pendingDelay = Math.min(pendingDelay * 2, 1000)
    } else {
      pendingDelay = 100
    }
  }

  /** We hold the lock (then the credentials file's, as a Clawdbot on this host would): re-read, refresh if still needed, commit through the gen fence. */
  async function asWinner (task: RefreshTask, owner: string, started: number): Promise<StoredToken> {
    const record = keys.record(task.slot, task.profileId)
    const lock = keys.lock(task.slot, task.profileId)
    const channel = keys.channel(task.slot, task.profileId)
    let release = true
    try {
      // Under the credentials file's own lock too, as a Clawdbot on this host refreshes.
      return await underStoreLock(task, async () => {
        // Redis failing before the token call throws to coordinated(), which retries within the
        // grace (our lock is re-entrant) or rides a still valid token.
        const rec = await read(task.slot, task.profileId)
        const local = task.local(true)
        const base = preferUsable(task.usable, rec?.token.access === '' ? undefined : rec?.token, local)
        if (base !== undefined && task.usable(base)) {
          if (base !== local) await task.persist(base)
          return base
        }
        // The previous holder failed after we started waiting (it set lastError, then released).
        if (rec?.lastError !== undefined && rec.lastErrorAt >= started) throw new RefreshError(rec.lastError)
        // Only a lock a replica holds survives a promotion: without it, a peer could refresh
        // with the same refresh token after a failover.
        if (!await replicated(lock)) {
          opts.log?.warn({ profile: task.profileId }, 'no Redis replica acknowledged the OAuth refresh lock in time; refreshing anyway')
        }
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
        const p: Pending = { expectedGen, token: next, channel, lock, owner }
        // A good response is never thrown away: a commit that fails (a failover) is retried in
        // the background, and the token is used at once meanwhile.
        let committed: boolean
        try {
          committed = await commit(record, p)
        } catch (err) {
          // Our lock (on a replica) keeps peers from refreshing until the commit lands, so it is
          // released only then.
          pending.set(record, p)
          release = false
          void flushPending()
          opts.log?.warn({ err, profile: task.profileId }, 'could not store the refreshed OAuth token in redis; will retry')
          await task.persist(next)
          return next
        }
        if (!committed) {
          // gen moved under us (a peer committed while our call ran): keep its record stored,
          // use ours for this request only.
          const stored = await read(task.slot, task.profileId).catch(() => undefined)
          if (stored !== undefined && task.usable(stored.token)) await task.persist(stored.token)
          return next
        }
        let acked: boolean
        try {
          acked = await replicated(record)
        } catch {
          // The master went right after the commit, which may not have reached the replica:
          // committed again (idempotent) in the background, the lock kept until then.
          pending.set(record, p)
          release = false
          void flushPending()
          acked = true
        }
        if (!acked) opts.log?.warn({ profile: task.profileId }, 'no Redis replica acknowledged the refreshed OAuth token in time')
        await task.persist(next)
        return next
      })
    } finally {
      if (release) await client.rotorCredRelease(lock, owner).catch(() => {})
    }
  }

  async function coordinated (task: RefreshTask): Promise<StoredToken> {
    const record = keys.record(task.slot, task.profileId)
    if (pending.has(record)) await flushPending()
    const started = Date.now()
    const deadline = started + ttl + 5000
    const owner = randomBytes(16).toString('hex')
    const lockKey = keys.lock(task.slot, task.profileId)
    // Redis failing mid-way (a failover) is retried within the grace, counted from the first failure.
    let failingSince = 0
    let first = true
    let delay = 50
    for (;;) {
      if (!first) {
        await sleep(delay)
        delay = Math.min(delay * 2, 200)
      }
      first = false
      try {
        const rec = await read(task.slot, task.profileId)
        if (rec !== undefined && rec.token.access !== '' && task.usable(rec.token)) {
          await task.persist(rec.token)
          return rec.token
        }
        if (rec?.lastError !== undefined && rec.lastErrorAt >= started) throw new RefreshError(rec.lastError)
        if (await client.rotorCredAcquire(lockKey, owner, String(ttl)) === 1) return await asWinner(task, owner, started)
        failingSince = 0
      } catch (err) {
        if (err instanceof RefreshError) throw err
        failingSince ||= Date.now()
        if (Date.now() - failingSince >= grace || closed) throw err
      }
      // A peer holds the lock, or Redis is away: a token that still works is good enough
      // meanwhile (nothing is called with it; the next request picks up the peer's commit).
      const local = task.local(true)
      if (local !== undefined && task.valid?.(local) === true) return local
      if (Date.now() > deadline) throw new RefreshError('timed out waiting for another replica to refresh the token')
    }
  }

  return {
    kind: 'redis',
    keys,
    async run (task) {
      // Riding the refresh margin: nothing is refreshed until Redis is back (the next request tries again).
      const ride = (): StoredToken | undefined => {
        const local = task.local(true)
        return local !== undefined && task.valid?.(local) === true ? local : undefined
      }
      if (client.status !== 'ready') {
        const local = ride()
        if (local !== undefined) return local
      }
      const connected = await ready(outage ? 0 : (opts.connectWaitMs ?? 1000))
      if (!connected) {
        const local = ride()
        if (local !== undefined) return local
      }
      // Not yet given up on Redis in this outage: wait out a failover's grace first.
      if (connected || (!outage && await ready(grace))) {
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
      closed = true
      if (pendingTimer !== undefined) clearTimeout(pendingTimer)
      try { await client.quit() } catch { /* disconnected below */ }
      // Also ends what QUIT leaves behind (a Sentinel client's failover-detector connections).
      client.disconnect()
    },
  }
}
