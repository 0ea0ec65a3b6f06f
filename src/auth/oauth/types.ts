// Vocabulary of OAuth refresh: a token record, one refresh job, and the coordinators that make
// sure a credential is refreshed by one process at a time (docs/operations.md).

/** One generation of a credential as coordinators move it around. */
export interface StoredToken {
  readonly access: string
  readonly refresh: string
  /** ms epoch; 0 = unknown (treated as expired). */
  readonly expires: number
  /**
   * Provider fields kept with the credential (accountId, idToken, resourceUrl, projectId,
   * email, baseUrl …). Never logged.
   */
  readonly fields: Readonly<Record<string, unknown>>
}

/** Which record of a credential: its OAuth tokens, or a Copilot session token derived from it. */
export type TokenSlot = 'tok' | 'cop'

/** Everything a coordinator needs to refresh one credential; built by the resolver. */
export interface RefreshTask {
  readonly slot: TokenSlot
  readonly agent: string
  readonly profileId: string
  readonly provider: string
  /** Host-local lock (a path proper-lockfile locks) shared by every process that may refresh it. */
  readonly lockPath: string | undefined
  /**
   * Runs the re-read → refresh → store steps holding the credentials file's own lock too, the
   * lock Clawdbot holds while it refreshes. Always taken after `lockPath` (or the Redis lock),
   * never before, so two rotor processes cannot each hold one and wait for the other.
   */
  readonly exclusive?: <T>(job: () => Promise<T>) => Promise<T>
  /** Newest copy this host has; `fresh` bypasses read caches (used under the lock). */
  local (fresh: boolean): StoredToken | undefined
  /** Good enough to use: not expiring within the margin, not the one the upstream rejected. */
  usable (t: StoredToken): boolean
  /**
   * Still accepted upstream as far as we know (not expired, not the rejected one), though maybe
   * within the refresh margin: what a coordinator that cannot coordinate uses instead of
   * refreshing on its own.
   */
  valid? (t: StoredToken): boolean
  /** Calls the token endpoint with `base`'s refresh token. Throws RefreshError. */
  fetch (base: StoredToken | undefined): Promise<StoredToken>
  /** Keeps a token we or a peer obtained: local caches, the credentials file, a CLI's file. Never throws. */
  persist (t: StoredToken): Promise<void>
}

export interface RefreshCoordinator {
  readonly kind: 'file' | 'redis'
  /** The newest usable token for the task, refreshing at most once across the coordinated processes. */
  run (task: RefreshTask): Promise<StoredToken>
  close (): Promise<void>
}

/**
 * The newest usable token, else the newest of all. Usable first: after a 401 the rejected token
 * may carry the later expiry (another host's clock, a shorter new lifetime) but must not win.
 */
export function preferUsable (usable: (t: StoredToken) => boolean, ...tokens: ReadonlyArray<StoredToken | undefined>): StoredToken | undefined {
  return newest(...tokens.filter((t) => t !== undefined && usable(t))) ?? newest(...tokens)
}

/** Later expiry wins; on a tie the first. */
export function newest (...tokens: ReadonlyArray<StoredToken | undefined>): StoredToken | undefined {
  let best: StoredToken | undefined
  for (const t of tokens) if (t !== undefined && (best === undefined || t.expires > best.expires)) best = t
  return best
}

export interface OAuthLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}
