// Single-process StateStore: state lives in memory, usageStats/lastGood persist to auth-profiles.json.
import type { CredentialsFile } from '../auth/credentials-file.ts'
import type { AuthProfilesFile } from '../auth/types.ts'
import type { Clock, FailureInput } from '../core/types.ts'
import { isCleanStats } from '../core/clean-stats.ts'
import { createLocalState, type LocalAgentState } from './local-state.ts'
import type { StateStore, StoreHealth } from './types.ts'

export interface MemoryStoreOptions {
  /** The agent's credentials file; called once per agent, the instance is kept. */
  credentialsFor: (agent: string) => CredentialsFile
  /** Delay between a state change and its write to the file; default 50 ms. */
  persistDebounceMs?: number
  /** Delay for changes that only move lastUsed (a success on a healthy profile); default 5 s. */
  idlePersistMs?: number
  /** Session pin expiry; defaults to Date.now. */
  clock?: Clock
  /** Persist or file-read failures (the state keeps serving from memory). */
  onError?: (err: unknown, agent: string) => void
  /**
   * Whether a profile's stats (and lastGood naming it) go to the file; default all. Profiles
   * with no credential behind them (a keyless provider's `<provider>:none`) live in memory only.
   */
  persists?: (agent: string, profileId: string) => boolean
}

export interface MemoryStore extends StateStore {
  readonly kind: 'memory'
  /** Writes pending changes now; rejects when a write fails. */
  flush(): Promise<void>
}

/** File bookkeeping of one agent; its stats, lastGood, cursors and pins live in the local state. */
interface AgentState {
  readonly file: CredentialsFile
  /** The file object last reconciled with memory (read() keeps its identity until the file changes). */
  seen: AuthProfilesFile | undefined
  /** The agent's entry in the local state (stats, lastGood, cursors, pins). */
  readonly mem: LocalAgentState
  /** JSON of each entry as last known on disk: a differing file entry means someone else edited it. */
  readonly statsOnDisk: Map<string, string>
  readonly lastGoodOnDisk: Map<string, string>
  /**
   * What the write in flight puts on disk (JSON per entry, lastGood per provider), known from
   * the moment it is copied into the file under the lock: a read can see the renamed file
   * before update() resolves, and that content is this store's own, not an edit.
   */
  readonly writingStats: Map<string, string>
  readonly writingGood: Map<string, string>
  readonly dirtyStats: Set<string>
  readonly dirtyLastGood: Set<string>
  timer: NodeJS.Timeout | undefined
  timerDue: number
  persisting: Promise<void> | undefined
}

/**
 * External edits: every time the file's content changes (read() hands out a new object), each
 * usageStats / lastGood entry that differs from what this store last saw on disk is taken from
 * the file and replaces the in-memory value; entries the file did not change keep the in-memory
 * value (which may hold changes not yet persisted). So a CLI `clear-cooldown` wins over the
 * gateway's own pending change to that profile; other profiles are unaffected.
 *
 * The store's own write is not an edit, even when a read sees it first: between the rename and
 * the end of update() (stat, lock release) any request may read the file and get the new
 * content. Taking that for an edit adopted the failure being written over a clear made since
 * (an admin clear-cooldown that came back within milliseconds) and dropped the clear's pending
 * write; `writingStats` / `writingGood` recognise it.
 */
export function createMemoryStore (options: MemoryStoreOptions): MemoryStore {
  const clock = options.clock ?? Date.now
  const debounceMs = options.persistDebounceMs ?? 50
  const idleMs = options.idlePersistMs ?? 5000
  // Successes in order (one process) make applySuccessInOrder plain applySuccess.
  const local = createLocalState()
  const agents = new Map<string, AgentState>()
  let closed = false

  function report (err: unknown, agent: string): void {
    options.onError?.(err, agent)
  }

  function reconcile (agent: string, st: AgentState, file: AuthProfilesFile): void {
    st.seen = file
    const onDisk = file.usageStats ?? {}
    const ids = new Set([...Object.keys(onDisk), ...st.statsOnDisk.keys()])
    for (const id of ids) {
      const entry = Object.hasOwn(onDisk, id) ? onDisk[id] : undefined
      const json = entry === undefined ? undefined : JSON.stringify(entry)
      if (json === st.statsOnDisk.get(id)) continue
      if (json !== undefined && json === st.writingStats.get(id)) {
        // Our write in flight, seen before it reported back: on disk now, memory stays as it is.
        st.statsOnDisk.set(id, json)
        continue
      }
      if (entry === undefined) {
        st.statsOnDisk.delete(id)
        local.set(agent, id, undefined)
      } else {
        st.statsOnDisk.set(id, json as string)
        local.set(agent, id, structuredClone(entry))
      }
      st.dirtyStats.delete(id)
    }
    const good = file.lastGood ?? {}
    const providers = new Set([...Object.keys(good), ...st.lastGoodOnDisk.keys()])
    for (const p of providers) {
      const v = Object.hasOwn(good, p) ? good[p] : undefined
      if (v === st.lastGoodOnDisk.get(p)) continue
      if (v !== undefined && v === st.writingGood.get(p)) {
        st.lastGoodOnDisk.set(p, v)
        continue
      }
      if (v === undefined) {
        st.lastGoodOnDisk.delete(p)
        st.mem.lastGood.delete(p)
      } else {
        st.lastGoodOnDisk.set(p, v)
        local.setLastGood(agent, p, v)
      }
      st.dirtyLastGood.delete(p)
    }
  }

  /** The agent's state, reconciled with the file when it changed (a throttled stat inside read()). */
  function agentState (agent: string): AgentState {
    let st = agents.get(agent)
    if (st === undefined) {
      st = {
        file: options.credentialsFor(agent),
        seen: undefined,
        mem: local.agent(agent),
        statsOnDisk: new Map(),
        lastGoodOnDisk: new Map(),
        writingStats: new Map(),
        writingGood: new Map(),
        dirtyStats: new Set(),
        dirtyLastGood: new Set(),
        timer: undefined,
        timerDue: Infinity,
        persisting: undefined
      }
      agents.set(agent, st)
    }
    let file: AuthProfilesFile | undefined
    try {
      file = st.file.read()
    } catch (err) {
      // Corrupt from the start: serve from memory; read() retries once the file changes.
      report(err, agent)
    }
    if (file !== undefined && file !== st.seen) reconcile(agent, st, file)
    return st
  }

  function schedule (agent: string, st: AgentState, delayMs: number): void {
    if (closed) return
    const due = clock() + delayMs
    if (st.timer !== undefined) {
      if (st.timerDue <= due) return
      clearTimeout(st.timer)
    }
    st.timerDue = due
    st.timer = setTimeout(() => {
      st.timer = undefined
      st.timerDue = Infinity
      persist(agent, st).catch(err => report(err, agent))
    }, delayMs)
    // A pending write must not keep the process alive; close() flushes.
    st.timer.unref()
  }

  async function writeOnce (agent: string, st: AgentState): Promise<void> {
    if (st.dirtyStats.size === 0 && st.dirtyLastGood.size === 0) return
    const persists = options.persists ?? (() => true)
    const ids = [...st.dirtyStats].filter((id) => persists(agent, id))
    const providers = [...st.dirtyLastGood].filter((p) => { const id = st.mem.lastGood.get(p); return id === undefined || persists(agent, id) })
    st.dirtyStats.clear()
    st.dirtyLastGood.clear()
    if (ids.length === 0 && providers.length === 0) return
    const written = new Map<string, string>()
    const writtenGood = new Map<string, string>()
    try {
      const file = await st.file.update(f => {
        const usage = f.usageStats ?? {}
        for (const id of ids) {
          const disk = Object.hasOwn(usage, id) ? JSON.stringify(usage[id]) : undefined
          // Edited on disk since we last looked: the edit wins (reconcile adopts it below).
          if (disk !== st.statsOnDisk.get(id)) continue
          const mem = st.mem.stats.get(id)
          if (mem === undefined) continue
          usage[id] = structuredClone(mem)
          const json = JSON.stringify(usage[id])
          written.set(id, json)
          st.writingStats.set(id, json)
        }
        if (written.size > 0) f.usageStats = usage
        const good = f.lastGood ?? {}
        for (const p of providers) {
          const disk = Object.hasOwn(good, p) ? good[p] : undefined
          if (disk !== st.lastGoodOnDisk.get(p)) continue
          const mem = st.mem.lastGood.get(p)
          if (mem === undefined) continue
          good[p] = mem
          writtenGood.set(p, mem)
          st.writingGood.set(p, mem)
        }
        if (writtenGood.size > 0) f.lastGood = good
        return written.size > 0 || writtenGood.size > 0
      })
      for (const [id, json] of written) st.statsOnDisk.set(id, json)
      for (const [p, v] of writtenGood) st.lastGoodOnDisk.set(p, v)
      if (file !== st.seen) reconcile(agent, st, file)
    } catch (err) {
      // Keep the changes pending: the next change (or flush) tries again.
      for (const id of ids) st.dirtyStats.add(id)
      for (const p of providers) st.dirtyLastGood.add(p)
      throw err
    } finally {
      // One write per agent at a time (persist()), so these are all this write's.
      st.writingStats.clear()
      st.writingGood.clear()
    }
  }

  /** One write per agent at a time; changes made meanwhile go out with the next one. */
  function persist (agent: string, st: AgentState): Promise<void> {
    const run = (st.persisting ?? Promise.resolve()).then(() => writeOnce(agent, st))
    // The chain itself never rejects: errors reach the caller of this persist only.
    const tracked: Promise<void> = run.then(() => {}, () => {}).then(() => { if (st.persisting === tracked) st.persisting = undefined })
    st.persisting = tracked
    return run
  }

  /** The local state changed `id`'s stats: write them out, soon when urgent. */
  function changed (agent: string, st: AgentState, id: string, urgent: boolean): void {
    st.dirtyStats.add(id)
    schedule(agent, st, urgent ? debounceMs : idleMs)
  }

  async function flush (): Promise<void> {
    const errors: unknown[] = []
    for (const [agent, st] of agents) {
      if (st.timer !== undefined) {
        clearTimeout(st.timer)
        st.timer = undefined
        st.timerDue = Infinity
      }
      try {
        await persist(agent, st)
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw errors[0]
  }

  return {
    kind: 'memory',
    health (): StoreHealth { return 'ready' },

    async readStats (agent, profileIds) {
      agentState(agent)
      return local.read(agent, profileIds)
    },

    async nextCursor (agent, provider) {
      agentState(agent)
      return local.nextCursor(agent, provider)
    },

    async recordFailure (agent, profileId, input: FailureInput) {
      const st = agentState(agent)
      const next = local.recordFailure(agent, profileId, input)
      changed(agent, st, profileId, true)
      return next
    },

    async recordSuccess (agent, profileId, provider, model, now) {
      const st = agentState(agent)
      const { prev, goodChanged } = local.recordSuccess(agent, profileId, provider, model, now)
      // A success on a healthy profile that was already lastGood only moves lastUsed: no hurry.
      changed(agent, st, profileId, !isCleanStats(prev) || goodChanged)
      if (goodChanged) st.dirtyLastGood.add(provider)
    },

    async claimProbe (agent, profileId, model, now, ttlMs) {
      const st = agentState(agent)
      const claimed = local.claimProbe(agent, profileId, model, now, ttlMs)
      if (claimed) changed(agent, st, profileId, true)
      return claimed
    },

    async clearCooldown (agent, profileId) {
      const st = agentState(agent)
      if (local.clearCooldown(agent, profileId) !== undefined) changed(agent, st, profileId, true)
    },

    async lastGood (agent) {
      agentState(agent)
      return local.lastGood(agent)
    },

    async getSessionPin (agent, session) {
      agentState(agent)
      return local.getPin(agent, session, clock())?.profileId
    },

    async setSessionPin (agent, session, profileId, ttlMs) {
      agentState(agent)
      const now = clock()
      local.setPin(agent, session, { profileId, expires: now + ttlMs }, now)
    },

    flush,

    async close () {
      try {
        await flush()
      } catch (err) {
        report(err, '*')
      }
      closed = true
    }
  }
}
