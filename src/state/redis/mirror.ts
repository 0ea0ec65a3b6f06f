// When the local mirror of an agent's stats may answer readStats without reading the hashes.
// Redis stays the single truth: each agent has a `ver` counter that every script changing
// what routing reads INCRs atomically with the change (scripts.ts). A mirror filled by an
// atomic read at version V, or kept in step by this replica's own scripts, is exact for the
// profiles it holds as long as Redis still says V — so the steady state costs one GET.
//
// Only lastUsed may lag: successes that change nothing else skip the script and their lastUsed
// reaches Redis coalesced (redis-store.ts), without a version bump. Round-robin ignores
// lastUsed; the LRU of the `ordered` strategy (without an explicit order) may see another
// replica's uses up to ~1 s late, which only shifts which healthy profile goes first.

interface Mark {
  /** Version the mirror of `known` matches; -1: none (every read goes to the hashes). */
  version: number
  /** Profiles whose mirror entry (present or absent) is exact at `version`. */
  known: Set<string>
}

export interface MirrorMarks {
  /** Every id is known at some version: a GET of the version can confirm them. */
  covers (agent: string, ids: readonly string[]): boolean
  /** After a GET returned `version`: the mirror answers for every id. */
  fresh (agent: string, ids: readonly string[], version: number): boolean
  /** An atomic read of `ids` at `version` is going into the mirror. */
  read (agent: string, ids: readonly string[], version: number): void
  /**
   * A script reply for one profile at `version`; false when a newer read was already applied
   * (the reply's entry is older than the mirror's and must not replace it).
   */
  wrote (agent: string, version: number, bumped: boolean): boolean
  /** Forget every mark (degraded, resynced: the local state may differ from Redis). */
  reset (): void
}

export function createMirrorMarks (): MirrorMarks {
  const marks = new Map<string, Mark>()

  function mark (agent: string): Mark {
    let m = marks.get(agent)
    if (m === undefined) {
      m = { version: -1, known: new Set() }
      marks.set(agent, m)
    }
    return m
  }

  function covers (agent: string, ids: readonly string[]): boolean {
    const m = marks.get(agent)
    if (m === undefined || m.version < 0) return false
    for (const id of ids) if (!m.known.has(id)) return false
    return true
  }

  return {
    covers,
    fresh: (agent, ids, version) => covers(agent, ids) && marks.get(agent)?.version === version,
    read (agent, ids, version) {
      const m = mark(agent)
      if (version === m.version) {
        for (const id of ids) m.known.add(id)
      } else if (version > m.version) {
        m.version = version
        m.known = new Set(ids)
      } else {
        // Older than the mark: a reply overtaken by a newer one, or a re-created version key.
        m.version = -1
        m.known = new Set()
      }
    },
    wrote (agent, version, bumped) {
      const m = marks.get(agent)
      if (m === undefined || m.version < 0) return true
      // Nothing else changed between the mark and this script: the mirror moves with it.
      if (bumped && version === m.version + 1) m.version = version
      return version >= m.version
    },
    reset () { marks.clear() },
  }
}
