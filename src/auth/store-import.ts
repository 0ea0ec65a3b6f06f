// Merging another store's auth-profiles.json (Clawdbot's) into a rotor agent's: what is new is
// added, and a profile rotor already has is never replaced by an older one. Pure: files in,
// the changed target and a list of what happened out.
import type { AuthProfilesFile, Credential } from './types.ts'

export type ImportAction =
  | { readonly kind: 'add', readonly id: string, readonly type: Credential['type'], readonly inherited?: string }
  /** The incoming credential is newer (a later expiry) than rotor's. */
  | { readonly kind: 'update', readonly id: string, readonly type: Credential['type'] }
  | { readonly kind: 'same', readonly id: string, readonly type: Credential['type'] }
  /** Rotor's profile stays: it is newer, or differs with nothing to tell which is newer. */
  | { readonly kind: 'keep', readonly id: string, readonly type: Credential['type'], readonly why: string }
  | { readonly kind: 'skip', readonly id: string, readonly type: Credential['type'], readonly why: string }

export interface ImportResult {
  readonly profiles: readonly ImportAction[]
  /** Providers whose order was taken over. */
  readonly order: readonly string[]
  /** Profiles whose usage stats (cooldowns, disables, last use) were taken over. */
  readonly stats: readonly string[]
  readonly lastGood: readonly string[]
}

export interface ImportOptions {
  /**
   * Another store whose profiles this agent also used (Clawdbot lets every agent use the main
   * agent's). Static ones (api_key, token) are copied; an OAuth login is not: two copies of
   * one rotating refresh token would refresh on their own and revoke each other.
   */
  readonly inherited?: { readonly from: string, readonly file: AuthProfilesFile }
}

function expiryOf (c: Credential): number | undefined {
  if (c.type === 'oauth') return c.expires
  if (c.type === 'token') return c.expires
  return undefined
}

function decide (id: string, incoming: Credential, existing: Credential | undefined): ImportAction {
  if (existing === undefined) return { kind: 'add', id, type: incoming.type }
  if (JSON.stringify(existing) === JSON.stringify(incoming)) return { kind: 'same', id, type: incoming.type }
  const a = expiryOf(incoming)
  const b = expiryOf(existing)
  if (existing.type === incoming.type && a !== undefined && b !== undefined) {
    return a > b ? { kind: 'update', id, type: incoming.type } : { kind: 'keep', id, type: existing.type, why: 'rotor\'s copy is as new or newer' }
  }
  return { kind: 'keep', id, type: existing.type, why: 'rotor already has a different credential under this id' }
}

/** Merges `source` into `target` (mutated) and says what it did. */
export function importStore (target: AuthProfilesFile, source: AuthProfilesFile, opts: ImportOptions = {}): ImportResult {
  const actions: ImportAction[] = []
  const taken = new Set<string>()
  for (const [id, cred] of Object.entries(source.profiles)) {
    const action = decide(id, cred, Object.hasOwn(target.profiles, id) ? target.profiles[id] : undefined)
    actions.push(action)
    if (action.kind === 'add' || action.kind === 'update') {
      target.profiles[id] = structuredClone(cred)
      taken.add(id)
    }
  }
  const inherited = opts.inherited
  if (inherited !== undefined) {
    for (const [id, cred] of Object.entries(inherited.file.profiles)) {
      if (Object.hasOwn(source.profiles, id)) continue
      if (cred.type === 'oauth') {
        actions.push({ kind: 'skip', id, type: cred.type, why: `Clawdbot lets this agent use ${inherited.from}'s OAuth login; rotor does not copy it (two copies of one rotating refresh token revoke each other): use agent ${inherited.from}, or log in again for this agent` })
        continue
      }
      const action = decide(id, cred, Object.hasOwn(target.profiles, id) ? target.profiles[id] : undefined)
      actions.push(action.kind === 'add' ? { ...action, inherited: inherited.from } : action)
      if (action.kind === 'add' || action.kind === 'update') target.profiles[id] = structuredClone(cred)
    }
  }

  const stats: string[] = []
  for (const [id, s] of Object.entries(source.usageStats ?? {})) {
    // Stats belong to the credential they were earned with.
    if (!taken.has(id) || target.usageStats?.[id] !== undefined) continue
    target.usageStats = { ...target.usageStats, [id]: structuredClone(s) }
    stats.push(id)
  }
  const order: string[] = []
  for (const [provider, ids] of Object.entries(source.order ?? {})) {
    if (target.order?.[provider] !== undefined) continue
    const known = ids.filter((id) => Object.hasOwn(target.profiles, id))
    if (known.length === 0) continue
    target.order = { ...target.order, [provider]: known }
    order.push(provider)
  }
  const lastGood: string[] = []
  for (const [provider, id] of Object.entries(source.lastGood ?? {})) {
    if (target.lastGood?.[provider] !== undefined || !Object.hasOwn(target.profiles, id)) continue
    target.lastGood = { ...target.lastGood, [provider]: id }
    lastGood.push(provider)
  }
  return { profiles: actions, order, stats, lastGood }
}

/** Whether the merge changes the file (nothing to write otherwise). */
export function importChanges (r: ImportResult): boolean {
  return r.profiles.some((a) => a.kind === 'add' || a.kind === 'update') || r.order.length > 0 || r.stats.length > 0 || r.lastGood.length > 0
}
