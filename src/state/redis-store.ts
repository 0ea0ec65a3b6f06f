// StateStore shared by every replica through one Redis (docs/operations.md). Each
// read-modify-write is one named Lua script (redis/scripts.ts) on keys from redis/keys.ts.
// Redis is an accelerator, not a dependency: every answer is mirrored into a local state,
// and on any Redis error the store turns degraded (logged once), serves and records
// locally, and on reconnect pushes what it recorded through merge scripts before it
// reports ready again (logged once). Every failure carries an event id, so one that reaches
// Redis twice (a timed-out command that ran anyway, a resync batch re-sent while Redis
// stalls) counts once. A Redis that lost an agent's state (restart without persistence,
// FLUSHALL) is noticed by the agent's epoch and re-seeded from the local mirror (redis/reseed.ts).
//
// Steady state (healthy profiles, no failures) is cheap while Redis stays the single truth:
// readStats sends one GET of the agent's stats version and answers from the mirror when the
// version has not moved since the mirror was filled (redis/mirror.ts); a success on a clean
// profile that already is lastGood runs no script, its lastUsed is coalesced and written at
// most once a second (redis/usage.ts). Anything that changes routing bumps the version inside
// its script, so every replica re-reads on its very next request.
import { randomBytes } from 'node:crypto'
import type { Clock, UsageStats, FailureInput } from '../core/types.ts'
import { DEFAULT_REDIS_URL, describeTopology, topologySecrets } from '../config/redis-topology.ts'
import type { RedisTopology } from '../config/types.ts'
import type { Logger } from '../telemetry/logger.ts'
import { isCleanStats } from '../core/clean-stats.ts'
import { createLocalState } from './local-state.ts'
import { arg, decodeEpoch, decodePin, decodeStats, decodeVersion, decodeVersioned, encodePin, type VersionedStats } from './redis/codec.ts'
import { positiveOrZero } from '../core/numbers.ts'
import { createClient, execBySlot, pingAll, type StateClient, unavailable } from './redis/connection.ts'
import { createDirty } from './redis/dirty.ts'
import { createKeys, type Keys } from './redis/keys.ts'
import { createMirrorMarks } from './redis/mirror.ts'
import { pushDirty } from './redis/push.ts'
import { createEpochWatch, queueSeeds, readEpochs } from './redis/reseed.ts'
import { topologyView } from './redis/topology-view.ts'
import { createUsageQueue } from './redis/usage.ts'
import { createVersionReader } from './redis/version-reads.ts'
import type { StateStore, StoreHealth } from './types.ts'

const DAY = 86_400_000
/** The failure window seeds are merged with until a failure brings the configured one. */
const DEFAULT_WINDOW_MS = DAY

export interface RedisStoreOptions {
  /** Where to connect (state.redis); passwords never reach a log line. */
  readonly topology?: RedisTopology
  /** Shorthand for a standalone topology: redis://[user:password@]host:port[/db]. */
  readonly url?: string
  /** Key prefix (state.redis.prefix); must not contain braces. */
  readonly prefix: string
  /** The gateway's clock: session pin expiry and manual clears. Defaults to Date.now. */
  readonly clock?: Clock
  readonly log?: Pick<Logger, 'info' | 'warn'>
  /** Per-command timeout; default 300 ms. */
  readonly commandTimeoutMs?: number
  /** How long startup waits for the first connection before serving degraded; default 1500 ms. */
  readonly connectWaitMs?: number
  /** While degraded on a live connection (a stall), how often to try resyncing; default 1000 ms. */
  readonly probeIntervalMs?: number
  /** How long a stats entry outlives its last deadline; default 7 days. */
  readonly retentionMs?: number
  /** How often the coalesced lastUsed of clean successes is written; default 1000 ms. */
  readonly usageFlushMs?: number
}

export interface RedisStore extends StateStore {
  readonly kind: 'redis'
  readonly keys: Keys
  /** Resolves once health() is `want`; rejects after timeoutMs. */
  waitForHealth (want: StoreHealth, timeoutMs: number): Promise<void>
  /** Pushes what was recorded offline and turns ready; false while Redis is unreachable. */
  resync (): Promise<boolean>
  /** Writes the coalesced lastUsed of clean successes now (otherwise within usageFlushMs, and on close). */
  flushUsage (): Promise<void>
}

const OFFLINE = Symbol('offline')
type Mode = 'starting' | 'ready' | 'degraded'

export async function createRedisStore (options: RedisStoreOptions): Promise<RedisStore> {
  const clock = options.clock ?? Date.now
  const retention = options.retentionMs ?? 7 * DAY
  const keys = createKeys(options.prefix)
  const topology: RedisTopology = options.topology ?? { kind: 'url', url: options.url ?? DEFAULT_REDIS_URL }
  const safeUrl = describeTopology(topology)
  const secrets = topologySecrets(topology)
  const local = createLocalState()
  const dirty = createDirty()
  const marks = createMirrorMarks()
  const usage = createUsageQueue()
  const verKey = keys.version
  const epochs = createEpochWatch()
  /** Agents whose re-seed has not landed yet: their reads answer from the mirror. */
  const reseeding = new Set<string>()
  // Failure event ids: unique per store instance (replica), then a counter.
  const replicaTag = randomBytes(6).toString('base64url')
  let events = 0
  let windowMs = DEFAULT_WINDOW_MS
  const client: StateClient = createClient({ topology, commandTimeoutMs: options.commandTimeoutMs })
  const readVersion = createVersionReader(client, verKey)
  const waiters = new Set<() => void>()
  let mode: Mode = 'starting'
  let lastError: unknown
  let resyncing: Promise<boolean> | undefined
  let closed = false
  let flushTimer: ReturnType<typeof setTimeout> | undefined

  function setMode (next: 'ready' | 'degraded', err?: unknown): void {
    if (mode === next || closed) return
    mode = next
    // Offline the mirror diverges from Redis; after the resync it is re-read.
    marks.reset()
    if (next === 'degraded') options.log?.warn({ err: unavailable(err ?? lastError ?? 'unreachable', secrets), redis: safeUrl }, 'state store degraded')
    else options.log?.info({ redis: safeUrl }, 'state store ready')
    for (const w of waiters) w()
  }

  /** Runs fn on Redis while ready; OFFLINE when degraded or when it fails (which degrades). */
  async function remote<T> (fn: () => Promise<T>): Promise<T | typeof OFFLINE> {
    if (mode !== 'ready') return OFFLINE
    try {
      return await fn()
    } catch (err) {
      lastError = err
      setMode('degraded', err)
      return OFFLINE
    }
  }

  /** Puts an entry into the mirror; a lastUsed still waiting to be flushed is not lost. */
  function mirror (agent: string, id: string, stats: UsageStats | undefined): void {
    const queued = usage.pending(agent, id)
    local.set(agent, id, stats !== undefined && queued > (stats.lastUsed ?? 0) ? { ...stats, lastUsed: queued } : stats)
  }

  /**
   * A stats script's reply into the mirror (unless a newer read got there first); the entry
   * after it. When the reply shows that Redis lost the agent's state, the reply (computed on
   * what little is left) is not mirrored: `applyLocally` makes the same change to the mirror,
   * which is then seeded back whole.
   */
  function wrote (agent: string, id: string, r: VersionedStats, applyLocally?: () => void): UsageStats | undefined {
    if (epochs.lost(agent, r.epoch)) {
      applyLocally?.()
      lost(agent)
      return local.get(agent, id)
    }
    if (!marks.wrote(agent, r.version, r.bumped)) return r.stats
    mirror(agent, id, r.stats)
    return local.get(agent, id)
  }

  /** Redis lost the agent's state: queue the mirror to be put back, and push it soon. */
  function lost (agent: string): void {
    const entries = queueSeeds(agent, local.agent(agent), dirty, clock())
    reseeding.add(agent)
    marks.reset()
    options.log?.warn({ agent, entries, redis: safeUrl }, 'redis lost the agent state; re-seeding it from the local copy')
    // After a resync in flight (which may be what noticed it).
    void (resyncing ?? Promise.resolve()).then(() => resync())
  }

  /** After a reconnect: the epoch of every agent whose epoch is known, in one pipeline. */
  async function checkEpochs (): Promise<void> {
    for (const [agent, epoch] of await readEpochs(client, keys, epochs.known())) if (epochs.lost(agent, epoch)) lost(agent)
  }

  function noteUsed (agent: string, id: string, at: number): void {
    usage.note(agent, id, at)
    if (flushTimer !== undefined || closed) return
    flushTimer = setTimeout(() => {
      flushTimer = undefined
      void flushUsage()
    }, options.usageFlushMs ?? 1000)
    flushTimer.unref()
  }

  async function flushUsage (): Promise<void> {
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    flushTimer = undefined
    if (usage.empty()) return
    const batch = usage.take()
    const r = await remote(async () => {
      const res = await execBySlot(client, batch.map((u) => {
        const key = keys.stats(u.agent, u.profileId)
        return { key, add: (pipe) => { pipe.touchUsed(key, arg(u.at), arg(retention)) } }
      }))
      for (const [err] of res) if (err !== null) throw err
    })
    // Offline: the uses go out with the resync (the mirror already has them).
    if (r === OFFLINE) for (const u of batch) dirty.used(u.agent, u.profileId, u.at)
  }

  /** Sends one batch of offline changes (redis/push.ts); parts that failed go back into `dirty`. */
  const push = async (): Promise<void> => {
    await pushDirty({ client, keys, dirty, retention, clock, wrote, windowMs: () => windowMs })
    for (const agent of reseeding) if (!dirty.seeding(agent)) reseeding.delete(agent)
  }

  function resync (): Promise<boolean> {
    if (closed) return Promise.resolve(false)
    resyncing ??= (async () => {
      try {
        // Offline changes first: an agent whose state Redis lost is noticed in their replies
        // (before they touch the mirror), the others by the epoch check after them. Then every
        // master must answer (on a Cluster this also opens every connection a request may need).
        await push()
        await pingAll(client)
        await checkEpochs()
        // Seeds queued by either, and changes recorded locally while the batch was on its way.
        if (!dirty.empty()) await push()
        setMode('ready')
        if (!dirty.empty()) await push()
        return true
      } catch (err) {
        lastError = err
        setMode('degraded', err)
        return false
      } finally {
        resyncing = undefined
      }
    })()
    return resyncing
  }

  client.on('error', (err: unknown) => { lastError = err })
  client.on('close', () => { if (mode === 'ready') setMode('degraded', lastError ?? new Error('connection closed')) })
  client.on('ready', () => { void resync() })
  // A stalled but connected Redis (command timeouts) emits no 'ready': probe it.
  const probe = setInterval(() => {
    if (mode !== 'ready' && client.status === 'ready' && resyncing === undefined) void resync()
  }, options.probeIntervalMs ?? 1000)
  probe.unref()

  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      client.off('ready', done)
      client.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, options.connectWaitMs ?? 1500)
    if (client.status === 'ready') done()
    client.once('ready', done)
    client.once('error', done)
  })
  if (client.status !== 'ready' || !(await resync())) setMode('degraded', lastError)

  function waitForHealth (want: StoreHealth, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if ((mode === 'ready' ? 'ready' : 'degraded') !== want) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`state store not ${want} after ${timeoutMs} ms`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  }

  return {
    kind: 'redis',
    keys,
    topology: () => topologyView(client, topology.kind, safeUrl),
    health: () => mode === 'ready' ? 'ready' : 'degraded',
    waitForHealth,
    resync,
    flushUsage,

    async readStats (agent, profileIds) {
      if (reseeding.has(agent)) return local.read(agent, profileIds)
      if (mode === 'ready' && marks.covers(agent, profileIds)) {
        // Steady state: one GET (shared by this turn's reads, redis/version-reads.ts) confirms the mirror.
        const v = await remote(() => readVersion(agent))
        if (v === OFFLINE || marks.fresh(agent, profileIds, decodeVersion(v))) return local.read(agent, profileIds)
      }
      // The version and the hashes in one atomic read: a change in between cannot leave a
      // stale mirror marked fresh.
      const r = await remote(() => client.readStats(profileIds.length + 2, verKey(agent), keys.epoch(agent), ...profileIds.map((id) => keys.stats(agent, id))))
      if (r === OFFLINE) return local.read(agent, profileIds)
      if (epochs.lost(agent, decodeEpoch(r[1]))) lost(agent)
      // What Redis holds now is less than the mirror until the seeds land.
      if (reseeding.has(agent)) return local.read(agent, profileIds)
      marks.read(agent, profileIds, decodeVersion(r[0]))
      profileIds.forEach((id, i) => { mirror(agent, id, decodeStats(r[i + 2])) })
      return local.read(agent, profileIds)
    },

    async nextCursor (agent, provider) {
      const r = await remote(() => client.advanceCursor(keys.cursor(agent, provider), arg(30 * DAY)))
      if (r !== OFFLINE) return Number(r)
      // Replicas offline at once should not all start at the same profile.
      return local.nextCursor(agent, provider, () => Math.floor(Math.random() * 1_000_000))
    },

    async recordFailure (agent, profileId, input: FailureInput) {
      const p = input.policy
      windowMs = p.failureWindowMs
      const base = p.billingBackoffMsByProvider[input.provider] ?? p.billingBackoffMs
      // The same id goes with the offline record: if this command times out but runs, the
      // resync's copy of the failure is not counted again.
      const eventId = `${replicaTag}.${(++events).toString(36)}`
      const r = await remote(() => client.recordFailure(keys.stats(agent, profileId), verKey(agent), keys.epoch(agent), keys.events(agent, profileId),
        arg(input.now), input.reason, input.scope, input.model, arg(positiveOrZero(input.retryAfterMs)),
        arg(p.failureWindowMs), arg(base), arg(p.billingMaxMs), arg(retention), eventId))
      if (r !== OFFLINE) return wrote(agent, profileId, decodeVersioned(r), () => { local.recordFailure(agent, profileId, input) }) ?? {}
      const next = local.recordFailure(agent, profileId, input)
      dirty.failure(agent, profileId, input, next, eventId)
      return next
    },

    async recordSuccess (agent, profileId, provider, model, now) {
      const cur = local.get(agent, profileId)
      // An entry must exist: touchUsed does not create one for a timestamp.
      if (mode === 'ready' && !closed && cur !== undefined && isCleanStats(cur) && local.agent(agent).lastGood.get(provider) === profileId) {
        // The script would only move lastUsed: coalesce it. A failure another replica recorded
        // since this replica's last read is not cleared — as if the success came first — and a
        // lastGood another replica moved since is not moved back (it only feeds admin status).
        local.set(agent, profileId, { ...cur, lastUsed: Math.max(cur.lastUsed ?? 0, now) })
        noteUsed(agent, profileId, now)
        return
      }
      const r = await remote(() => client.recordSuccess(keys.stats(agent, profileId), verKey(agent), keys.epoch(agent), keys.lastGood(agent), arg(now), provider, profileId, arg(retention), model))
      if (r !== OFFLINE) {
        wrote(agent, profileId, decodeVersioned(r), () => { local.recordSuccess(agent, profileId, provider, model, now) })
        local.setLastGood(agent, provider, profileId)
        return
      }
      local.recordSuccess(agent, profileId, provider, model, now)
      dirty.cleared(agent, profileId, now, { model })
      dirty.lastGood(agent, provider, profileId)
    },

    async claimProbe (agent, profileId, model, now, ttlMs) {
      const r = await remote(() => client.claimProbe(keys.stats(agent, profileId), verKey(agent), keys.epoch(agent), arg(now), model, arg(ttlMs), arg(retention)))
      if (r === OFFLINE) return local.claimProbe(agent, profileId, model, now, ttlMs)
      wrote(agent, profileId, decodeVersioned(r, 1), () => { local.claimProbe(agent, profileId, model, now, ttlMs) })
      return r[0] === '1'
    },

    async clearCooldown (agent, profileId) {
      const now = clock()
      const r = await remote(() => client.clearCooldown(keys.stats(agent, profileId), verKey(agent), keys.epoch(agent), arg(now), arg(retention)))
      // A re-seed queued before this clear must not bring the cooldown back.
      dirty.unseed(agent, profileId)
      if (r !== OFFLINE) {
        wrote(agent, profileId, decodeVersioned(r), () => { local.clearCooldown(agent, profileId) })
        return
      }
      local.clearCooldown(agent, profileId)
      // Marked even without a local entry: Redis may hold one this replica never read.
      dirty.cleared(agent, profileId, now, undefined)
    },

    async lastGood (agent) {
      const r = await remote(() => client.hgetall(keys.lastGood(agent)))
      if (r === OFFLINE) return local.lastGood(agent)
      for (const [provider, id] of Object.entries(r)) local.setLastGood(agent, provider, id)
      return { ...r }
    },

    async getSessionPin (agent, session) {
      const r = await remote(() => client.get(keys.pin(agent, session)))
      const now = clock()
      if (r === OFFLINE) return local.getPin(agent, session, now)?.profileId
      const pin = decodePin(r)
      if (pin === undefined || pin.expires <= now) {
        local.agent(agent).pins.delete(session)
        return undefined
      }
      local.setPin(agent, session, pin, now)
      return pin.profileId
    },

    async setSessionPin (agent, session, profileId, ttlMs) {
      const now = clock()
      const pin = { profileId, expires: now + ttlMs }
      local.setPin(agent, session, pin, now)
      const ttl = Math.max(1, Math.ceil(ttlMs))
      const r = await remote(() => client.set(keys.pin(agent, session), encodePin(profileId, pin.expires), 'PX', ttl))
      if (r === OFFLINE) dirty.pin(agent, session, pin)
    },

    async close () {
      if (closed) return
      closed = true
      clearInterval(probe)
      await flushUsage()
      try {
        await Promise.race([client.quit(), new Promise((_resolve, reject) => setTimeout(() => reject(new Error('quit timed out')), 1000).unref())])
      } catch { /* disconnected below */ }
      // Also ends what QUIT leaves behind (a Sentinel client's failover-detector connections).
      client.disconnect()
    },
  }
}
