// One agent's auth-profiles.json: cached reads with cheap change detection, locked atomic updates.
// The lock is the file's own proper-lockfile lock (`auth-profiles.json.lock`), the one Clawdbot
// takes, so rotor and Clawdbot never write over each other.
import { AsyncLocalStorage } from 'node:async_hooks'
import { linkSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync, mkdirSync, type Stats } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { lock } from 'proper-lockfile'
import { CorruptCredentialsError } from '../core/errors.ts'
import type { Clock } from '../core/types.ts'
import { tmpPathFor, writeFileAtomic } from '../util/atomic-file.ts'
import { emptyAuthProfiles, readAuthProfiles, writeAuthProfiles } from './auth-profiles-format.ts'
import type { AuthProfilesFile } from './types.ts'

// Kept here too: callers and tests know them as part of the credentials file API.
export { writeJsonAtomic } from '../util/atomic-file.ts'
export { emptyAuthProfiles } from './auth-profiles-format.ts'
/** Narrows parsed JSON to the v1 shape; undefined when `profiles` is not an object. */
export const normalizeAuthProfiles = readAuthProfiles

export interface CredentialsFileOptions {
  /** Called when read() or update() finds content written by someone else (not by this instance). */
  onChange?: (file: AuthProfilesFile) => void
  /** Minimum time between two stat() checks in read(); default 250 ms (0 = check every read). */
  checkIntervalMs?: number
  clock?: Clock
}

export interface CredentialsFile {
  readonly path: string
  /**
   * Current content. Returns the same (frozen) object until the file changes, so callers may
   * compare by identity. Throws CorruptCredentialsError only when no good copy was ever read.
   * `fresh` skips the stat throttle, so a write by another process is seen at once.
   */
  read(options?: { fresh?: boolean }): AuthProfilesFile
  /**
   * Locked read-modify-write. The mutator gets a fresh copy read from disk under the lock;
   * returning `false` skips the write. Resolves to the new content.
   */
  update(mutator: (file: AuthProfilesFile) => void | boolean): Promise<AuthProfilesFile>
  /**
   * Holds the file's lock for the whole of `job` (an OAuth refresh): update() calls made
   * inside it, on any handle of this file, write without locking again; other writers of
   * this process wait, other processes (rotor or Clawdbot) find the lock taken.
   */
  exclusive<T>(job: () => Promise<T>): Promise<T>
  /** Set while the file on disk is corrupt (the last good copy keeps being served). */
  readonly error: CorruptCredentialsError | undefined
}

// Clawdbot's lock: the lock directory of the file's real path (proper-lockfile's default, so a
// symlinked store is locked where it lives), stale after 30 s.
const LOCK_OPTIONS = {
  retries: { retries: 20, factor: 1.5, minTimeout: 20, maxTimeout: 500, randomize: true },
  stale: 30000,
} as const

/**
 * For exclusive(): Clawdbot's own options (AUTH_STORE_LOCK_OPTIONS in its
 * src/agents/auth-profiles/constants.ts), so a refresh waits out Clawdbot's as long as
 * Clawdbot waits out rotor's (up to about 40 s).
 */
const EXCLUSIVE_LOCK_OPTIONS = {
  retries: { retries: 10, factor: 2, minTimeout: 100, maxTimeout: 10_000, randomize: true },
  stale: 30000,
} as const

/** Real paths of the credentials files whose lock the current async context holds. */
const held = new AsyncLocalStorage<ReadonlyMap<string, { active: boolean }>>()

function realPath (path: string): string {
  try { return realpathSync(path) } catch { return path }
}

function holds (real: string): boolean {
  return held.getStore()?.get(real)?.active === true
}

function deepFreeze<T> (v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v)
    for (const x of Object.values(v)) deepFreeze(x)
  }
  return v
}

/** Creates `{version:1, profiles:{}}` unless a file exists; link() makes it exclusive and never partial. */
function ensureExists (path: string): void {
  try { statSync(path); return } catch {}
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = tmpPathFor(path)
  writeFileSync(tmp, writeAuthProfiles(emptyAuthProfiles()), { mode: 0o600, flag: 'wx' })
  try {
    linkSync(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  } finally {
    unlinkSync(tmp)
  }
}

function signature (st: Stats | undefined): string {
  return st === undefined ? 'missing' : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`
}

function statOrUndefined (path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function parse (path: string, text: string): AuthProfilesFile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    // JSON.parse messages quote the input, which may hold a secret: never include them.
    throw new CorruptCredentialsError(`Credentials file ${path} is not valid JSON; fix or remove it (rotor will not overwrite it)`)
  }
  const file = readAuthProfiles(raw)
  if (file === undefined) {
    throw new CorruptCredentialsError(`Credentials file ${path} has no "profiles" object; fix or remove it (rotor will not overwrite it)`)
  }
  return file
}

/**
 * Change detection is a throttled stat() of mtime/size/inode/ctime on read(), not fs.watch:
 * a watch on the file is lost when an atomic rename replaces its inode, directory watches are
 * coalesced differently per platform (and unreliable on bind mounts / network filesystems),
 * and they need an open handle to close. A stat costs microseconds, needs no timers, and is
 * deterministic in tests (checkIntervalMs: 0).
 */
export function openCredentialsFile (path: string, options: CredentialsFileOptions = {}): CredentialsFile {
  const clock = options.clock ?? Date.now
  const interval = options.checkIntervalMs ?? 250
  let cache: { sig: string, file: AuthProfilesFile } | undefined
  let badSig: string | undefined
  let error: CorruptCredentialsError | undefined
  let lastCheck = -Infinity
  let queue: Promise<unknown> = Promise.resolve()

  function adopt (sig: string, file: AuthProfilesFile, external: boolean): AuthProfilesFile {
    const frozen = deepFreeze(file)
    cache = { sig, file: frozen }
    badSig = undefined
    error = undefined
    if (external) options.onChange?.(frozen)
    return frozen
  }

  function markCorrupt (sig: string, err: CorruptCredentialsError): void {
    badSig = sig
    error = err
  }

  function read (readOptions?: { fresh?: boolean }): AuthProfilesFile {
    const now = clock()
    if (cache !== undefined && now - lastCheck < interval && readOptions?.fresh !== true) return cache.file
    lastCheck = now
    const st = statOrUndefined(path)
    const sig = signature(st)
    if (cache !== undefined && sig === cache.sig) return cache.file
    if (sig === badSig && error !== undefined) {
      if (cache !== undefined) return cache.file
      throw error
    }
    let file: AuthProfilesFile
    if (st === undefined) {
      file = emptyAuthProfiles()
    } else {
      let text: string
      try {
        text = readFileSync(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        text = writeAuthProfiles(emptyAuthProfiles())
      }
      try {
        file = parse(path, text)
      } catch (err) {
        if (!(err instanceof CorruptCredentialsError)) throw err
        markCorrupt(sig, err)
        if (cache !== undefined) return cache.file
        throw err
      }
    }
    return adopt(sig, file, cache !== undefined)
  }

  /** Read-modify-write of the file; the caller holds its lock. */
  async function modify (mutator: (file: AuthProfilesFile) => void | boolean): Promise<AuthProfilesFile> {
    // stat before read: a writer that ignores the lock then costs a re-read, never a missed change.
    const sigBefore = signature(await stat(path).catch(() => undefined))
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      text = writeAuthProfiles(emptyAuthProfiles())
    }
    let file: AuthProfilesFile
    try {
      file = parse(path, text)
    } catch (err) {
      if (err instanceof CorruptCredentialsError) markCorrupt(sigBefore, err)
      throw err
    }
    const external = cache === undefined || cache.sig !== sigBefore
    if (mutator(file) === false) return adopt(sigBefore, file, external && cache !== undefined)
    // Into the real file: a symlinked store (one file for several agents) stays shared.
    await writeFileAtomic(realPath(path), writeAuthProfiles(file), 0o600)
    // Still under the lock, so no cooperating writer can slip in between rename and stat.
    const sigAfter = signature(await stat(path))
    lastCheck = clock()
    return adopt(sigAfter, file, external && cache !== undefined)
  }

  async function takeLock (options: typeof LOCK_OPTIONS | typeof EXCLUSIVE_LOCK_OPTIONS): Promise<() => Promise<void>> {
    ensureExists(path)
    // Default would throw from a timer and crash the process; what runs under it is short or re-checks.
    return await lock(path, { ...options, onCompromised: () => {} })
  }

  async function lockedUpdate (mutator: (file: AuthProfilesFile) => void | boolean): Promise<AuthProfilesFile> {
    const release = await takeLock(LOCK_OPTIONS)
    try {
      return await modify(mutator)
    } finally {
      await release().catch(() => {})
    }
  }

  /** In-process order first: proper-lockfile would otherwise make our own calls poll each other. */
  function queued<T> (run: () => Promise<T>): Promise<T> {
    const next = queue.then(run)
    queue = next.catch(() => {})
    return next
  }

  /** Writes made while exclusive() holds the lock, one after the other. */
  let heldQueue: Promise<unknown> = Promise.resolve()

  function update (mutator: (file: AuthProfilesFile) => void | boolean): Promise<AuthProfilesFile> {
    if (holds(realPath(path))) {
      const next = heldQueue.then(() => modify(mutator))
      heldQueue = next.catch(() => {})
      return next
    }
    return queued(() => lockedUpdate(mutator))
  }

  function exclusive<T> (job: () => Promise<T>): Promise<T> {
    if (holds(realPath(path))) return job()
    return queued(async () => {
      const release = await takeLock(EXCLUSIVE_LOCK_OPTIONS)
      const mark = { active: true }
      try {
        const outer = held.getStore()
        const inner = new Map(outer)
        inner.set(realPath(path), mark)
        return await held.run(inner, job)
      } finally {
        // Writes the job started finish under the lock; ones started later by work it left
        // running take the lock themselves.
        mark.active = false
        await heldQueue
        await release().catch(() => {})
      }
    })
  }

  return {
    path,
    read,
    update,
    exclusive,
    get error () { return error }
  }
}
