// Which profiles of a provider a request tries, and in what order (docs/routing.md).
import type { Profile } from '../auth/types.ts'
import type { UsageStats } from '../core/types.ts'

export type Strategy = 'round-robin' | 'ordered'

export interface BaseOrderInput {
  readonly provider: string
  readonly profiles: readonly Profile[]
  /** The agent's auth-profiles.json `order[provider]` (written by `rotor models auth order set`). */
  readonly fileOrder?: readonly string[]
  /** The agent's config `auth.order[provider]`, else the global one. */
  readonly configOrder?: readonly string[]
  readonly stats: ReadonlyMap<string, UsageStats>
  /**
   * Sort by least recently used (default true). round-robin passes false: its shared cursor
   * already spreads load, and an order that changes with every success would make the
   * cursor land on the same profile again and again.
   */
  readonly leastRecentlyUsed?: boolean
}

/** The explicit order for a provider (the agent file's, else config's), or undefined; an empty list is none. */
export function explicitOrder (fileOrder: readonly string[] | undefined, configOrder: readonly string[] | undefined): readonly string[] | undefined {
  if (fileOrder !== undefined && fileOrder.length > 0) return fileOrder
  return configOrder !== undefined && configOrder.length > 0 ? configOrder : undefined
}

/**
 * How a provider's profiles take turns (docs/routing.md): `auth.strategy` when it
 * is written; else an explicit order is a priority list (`ordered`, as Clawdbot tries it) and a
 * provider without one rotates (`round-robin`).
 */
export function strategyFor (auth: { readonly strategy: Strategy, readonly strategySet: boolean }, fileOrder: readonly string[] | undefined, configOrder: readonly string[] | undefined): Strategy {
  if (auth.strategySet) return auth.strategy
  return explicitOrder(fileOrder, configOrder) !== undefined ? 'ordered' : 'round-robin'
}

const TYPE_RANK: Readonly<Record<Profile['type'], number>> = { oauth: 0, token: 1, api_key: 2, 'aws-sdk': 3, none: 4 }

/**
 * The explicit order (file, else config) keeps its own sequence, dropping ids that are
 * missing, unusable or of another provider; an empty list counts as no order. Without one:
 * every usable profile of the provider, env profiles last (docs/configuration.md), then
 * oauth < token < api_key < aws-sdk < none, then least recently used (unless round-robin), then
 * original position.
 * Cooling profiles stay in: skipping them is the executor's job, after rotation.
 */
export function baseOrder (input: BaseOrderInput): Profile[] {
  const own = input.profiles.filter(p => p.provider === input.provider && p.usable)
  const explicit = explicitOrder(input.fileOrder, input.configOrder)

  if (explicit !== undefined) {
    const byId = new Map(own.map(p => [p.id, p]))
    const out: Profile[] = []
    for (const id of explicit) {
      const p = byId.get(id)
      if (p !== undefined && !out.includes(p)) out.push(p)
    }
    return out
  }

  const lru = input.leastRecentlyUsed !== false
  const lastUsed = (p: Profile): number => lru ? (input.stats.get(p.id)?.lastUsed ?? 0) : 0
  return own
    .map((p, index) => ({ p, index }))
    .sort((a, b) =>
      (a.p.source === 'env' ? 1 : 0) - (b.p.source === 'env' ? 1 : 0) ||
      TYPE_RANK[a.p.type] - TYPE_RANK[b.p.type] ||
      lastUsed(a.p) - lastUsed(b.p) ||
      a.index - b.index)
    .map(x => x.p)
}

/**
 * round-robin starts at `(cursor - 1) mod n` (the cursor is 1-based, from the shared
 * counter) and wraps; ordered returns the order unchanged. Applied to the full base order
 * before cooling profiles are skipped, so one profile entering cooldown does not shift
 * where every other request starts.
 */
export function rotate<T> (order: readonly T[], cursor: number, strategy: Strategy): T[] {
  const n = order.length
  if (strategy === 'ordered' || n === 0 || !Number.isFinite(cursor)) return [...order]
  const start = ((Math.trunc(cursor) - 1) % n + n) % n
  return [...order.slice(start), ...order.slice(0, start)]
}

/** Moves the session's profile to the front when it is in the order. */
export function preferSession<T extends { readonly id: string }> (order: readonly T[], pinnedProfileId: string | undefined): T[] {
  if (pinnedProfileId === undefined) return [...order]
  const i = order.findIndex(p => p.id === pinnedProfileId)
  if (i <= 0) return [...order]
  return [order[i], ...order.slice(0, i), ...order.slice(i + 1)]
}
