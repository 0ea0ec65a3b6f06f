// Host-local refresh coordination (docs/operations.md, "OAuth refresh across processes"): a proper-lockfile
// lock per credential, then the credentials file's own lock (the one Clawdbot refreshes under),
// a fresh re-read under both, and the token endpoint only when the stored token is still not
// usable. Processes sharing one credentials file — rotor's or Clawdbot's — refresh once.
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { lock } from 'proper-lockfile'
import { type OAuthLog, type RefreshCoordinator, type RefreshTask, type StoredToken } from './types.ts'
import { RefreshError } from '../../core/errors.ts'

export interface FileCoordinatorOptions {
  /** A lock older than this is taken over; well above the 20 s HTTP timeout. Default 60 s. */
  readonly staleMs?: number
  /** How long to wait for a peer's lock before giving up; default ~30 s. */
  readonly waitMs?: number
  readonly log?: OAuthLog
}

/** Backoff 25 ms growing to 250 ms, enough retries to cover `waitMs`. */
function retriesFor (waitMs: number): { retries: number, factor: number, minTimeout: number, maxTimeout: number } {
  return { retries: Math.max(1, Math.ceil(waitMs / 250) + 10), factor: 1.3, minTimeout: 25, maxTimeout: 250 }
}

/** Takes the lock at `path` (a directory `<path>.lock`); resolves to its release. */
export async function acquireFileLock (path: string, opts: FileCoordinatorOptions = {}): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  try {
    const release = await lock(path, {
      stale: opts.staleMs ?? 60_000,
      realpath: false,
      lockfilePath: `${path}.lock`,
      retries: retriesFor(opts.waitMs ?? 30_000),
      // The default throws from a timer; a compromised lock only means a peer may refresh too,
      // which the re-read and the rotation checks below recover from.
      onCompromised: (err) => { opts.log?.warn({ err, lock: path }, 'OAuth refresh lock compromised') },
    })
    return async () => { await release().catch(() => {}) }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    throw new RefreshError(code === 'ELOCKED' ? 'another process held the refresh lock too long' : `cannot take the refresh lock (${String(code ?? 'error')})`)
  }
}

/**
 * `job` holding the task's credentials file lock (when it has one). A lock that cannot be
 * taken is a RefreshError; errors of the job itself pass through.
 */
export async function underStoreLock<T> (task: RefreshTask, job: () => Promise<T>): Promise<T> {
  if (task.exclusive === undefined) return await job()
  let entered = false
  try {
    return await task.exclusive(async () => { entered = true; return await job() })
  } catch (err) {
    if (entered) throw err
    const code = (err as { code?: unknown }).code
    throw new RefreshError(code === 'ELOCKED' ? 'another process held the credentials file lock too long' : `cannot take the credentials file lock (${String(code ?? 'error')})`)
  }
}

/**
 * The lock → re-read → refresh → write → unlock sequence. A failed call re-reads once more: a
 * peer whose lock went stale may have committed meanwhile (rotated tokens make our second
 * call fail, so its write is the one to use).
 */
export async function refreshUnderLock (task: RefreshTask, opts: FileCoordinatorOptions = {}): Promise<StoredToken> {
  const release = task.lockPath === undefined ? undefined : await acquireFileLock(task.lockPath, opts)
  try {
    return await underStoreLock(task, () => refreshHeld(task))
  } finally {
    await release?.()
  }
}

/** Under every lock: the stored token when a peer refreshed meanwhile, else one endpoint call. */
async function refreshHeld (task: RefreshTask): Promise<StoredToken> {
  const current = task.local(true)
  if (current !== undefined && task.usable(current)) {
    // May come from a CLI's file or a peer's memory rather than ours: keep it (no-op when stored).
    await task.persist(current)
    return current
  }
  let next: StoredToken
  try {
    next = await task.fetch(current)
  } catch (err) {
    const again = task.local(true)
    if (again !== undefined && task.usable(again)) {
      await task.persist(again)
      return again
    }
    throw err
  }
  await task.persist(next)
  return next
}

export function createFileCoordinator (opts: FileCoordinatorOptions = {}): RefreshCoordinator {
  return {
    kind: 'file',
    run: (task) => refreshUnderLock(task, opts),
    close: async () => {},
  }
}
