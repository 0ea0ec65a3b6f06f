// In-process state of every agent: usage stats, lastGood, round-robin cursors and session pins,
// changed only through the pure policy functions. No I/O: the memory store adds file
// persistence around it, the redis store uses it as its local mirror while Redis is away.
import type { UsageStats, FailureInput } from '../core/types.ts'
import { applyFailure, applySuccessInOrder, claimProbe, clearCooldown } from '../core/cooldown-policy.ts'

export interface Pin { readonly profileId: string, readonly expires: number }

export interface LocalAgentState {
  readonly stats: Map<string, UsageStats>
  readonly lastGood: Map<string, string>
  readonly cursors: Map<string, number>
  readonly pins: Map<string, Pin>
  pinWrites: number
}

export interface SuccessChange {
  readonly prev: UsageStats | undefined
  readonly next: UsageStats
  /** lastGood[provider] moved to this profile. */
  readonly goodChanged: boolean
}

export interface LocalState {
  agent (agent: string): LocalAgentState
  get (agent: string, profileId: string): UsageStats | undefined
  /** Replaces (or with undefined removes) one entry, e.g. with what Redis answered. */
  set (agent: string, profileId: string, stats: UsageStats | undefined): void
  read (agent: string, profileIds: readonly string[]): Map<string, UsageStats>
  recordFailure (agent: string, profileId: string, input: FailureInput): UsageStats
  recordSuccess (agent: string, profileId: string, provider: string, model: string | undefined, now: number): SuccessChange
  claimProbe (agent: string, profileId: string, model: string, now: number, ttlMs: number): boolean
  /** The cleared entry, or undefined when the profile has none (nothing is created). */
  clearCooldown (agent: string, profileId: string): UsageStats | undefined
  lastGood (agent: string): Record<string, string>
  setLastGood (agent: string, provider: string, profileId: string): void
  /** 1, 2, 3, … per (agent, provider); `start` picks the value before the first one. */
  nextCursor (agent: string, provider: string, start?: () => number): number
  getPin (agent: string, session: string, now: number): Pin | undefined
  setPin (agent: string, session: string, pin: Pin, now: number): void
}

const PIN_SWEEP_EVERY = 256

/** Stored stats are shared with readers; the pure policy functions copy rather than mutate. */
export function freezeStats (s: UsageStats): UsageStats {
  if (!Object.isFrozen(s)) {
    for (const v of Object.values(s)) {
      if (typeof v === 'object' && v !== null) {
        for (const inner of Object.values(v)) if (typeof inner === 'object' && inner !== null) Object.freeze(inner)
        Object.freeze(v)
      }
    }
    Object.freeze(s)
  }
  return s
}

export function createLocalState (): LocalState {
  const succeed = applySuccessInOrder
  const agents = new Map<string, LocalAgentState>()

  function agent (name: string): LocalAgentState {
    let st = agents.get(name)
    if (st === undefined) {
      st = { stats: new Map(), lastGood: new Map(), cursors: new Map(), pins: new Map(), pinWrites: 0 }
      agents.set(name, st)
    }
    return st
  }

  function set (name: string, id: string, stats: UsageStats | undefined): void {
    if (stats === undefined) agent(name).stats.delete(id)
    else agent(name).stats.set(id, freezeStats(stats))
  }

  return {
    agent,
    get: (name, id) => agent(name).stats.get(id),
    set,
    read (name, ids) {
      const st = agent(name)
      const out = new Map<string, UsageStats>()
      for (const id of ids) {
        const s = st.stats.get(id)
        if (s !== undefined) out.set(id, s)
      }
      return out
    },
    recordFailure (name, id, input) {
      const next = applyFailure(agent(name).stats.get(id) ?? {}, input)
      set(name, id, next)
      return next
    },
    recordSuccess (name, id, provider, model, now) {
      const st = agent(name)
      const prev = st.stats.get(id)
      const next = succeed(prev ?? {}, now, model)
      set(name, id, next)
      const goodChanged = st.lastGood.get(provider) !== id
      if (goodChanged) st.lastGood.set(provider, id)
      return { prev, next, goodChanged }
    },
    claimProbe (name, id, model, now, ttlMs) {
      const r = claimProbe(agent(name).stats.get(id) ?? {}, model, now, ttlMs)
      if (r.claimed) set(name, id, r.stats)
      return r.claimed
    },
    clearCooldown (name, id) {
      const prev = agent(name).stats.get(id)
      if (prev === undefined) return undefined
      const next = clearCooldown(prev)
      set(name, id, next)
      return next
    },
    lastGood: (name) => Object.fromEntries(agent(name).lastGood),
    setLastGood (name, provider, id) { agent(name).lastGood.set(provider, id) },
    nextCursor (name, provider, start) {
      const st = agent(name)
      const n = (st.cursors.get(provider) ?? (start === undefined ? 0 : start())) + 1
      st.cursors.set(provider, n)
      return n
    },
    getPin (name, session, now) {
      const st = agent(name)
      const pin = st.pins.get(session)
      if (pin === undefined) return undefined
      if (pin.expires <= now) {
        st.pins.delete(session)
        return undefined
      }
      return pin
    },
    setPin (name, session, pin, now) {
      const st = agent(name)
      st.pins.set(session, pin)
      // Lazy purge so sessions that never come back do not accumulate.
      if (++st.pinWrites % PIN_SWEEP_EVERY === 0) {
        for (const [k, p] of st.pins) if (p.expires <= now) st.pins.delete(k)
      }
    },
  }
}
