// lastUsed of successes that changed nothing but lastUsed (a clean profile that already is
// lastGood): kept here, latest per profile, and written in one pipeline at most once a
// second instead of one script per request (redis-store.ts).

export interface UsageEntry { readonly agent: string, readonly profileId: string, readonly at: number }

export interface UsageQueue {
  note (agent: string, profileId: string, at: number): void
  /** The latest queued time of a profile; 0 when none is waiting. */
  pending (agent: string, profileId: string): number
  empty (): boolean
  /** Hands out everything queued and starts afresh. */
  take (): UsageEntry[]
}

export function createUsageQueue (): UsageQueue {
  let cur = new Map<string, Map<string, number>>()
  return {
    note (agent, profileId, at) {
      let m = cur.get(agent)
      if (m === undefined) {
        m = new Map()
        cur.set(agent, m)
      }
      const prev = m.get(profileId)
      if (prev === undefined || at > prev) m.set(profileId, at)
    },
    pending: (agent, profileId) => cur.get(agent)?.get(profileId) ?? 0,
    empty: () => cur.size === 0,
    take () {
      const out: UsageEntry[] = []
      for (const [agent, m] of cur) for (const [profileId, at] of m) out.push({ agent, profileId, at })
      cur = new Map()
      return out
    },
  }
}
