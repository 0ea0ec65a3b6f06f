// One agent's auth-profiles.json: cached reads with cheap change detection, locked atomic updates.
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync, mkdirSync, type Stats } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { lock } from 'proper-lockfile'
import { CorruptCredentialsError } from '../core/errors.ts'
import type { Clock, UsageStats } from '../core/types.ts'
import { tmpPathFor, writeFileAtomic } from '../util/atomic-file.ts'
import { isRecord } from '../core/json.ts'
import type { AuthProfilesFile, Credential } from './types.ts'

// Kept here too: callers and tests know it as part of the credentials file API.
export { writeJsonAtomic } from '../util/atomic-file.ts'

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
  /** Set while the file on disk is corrupt (the last good copy keeps being served). */
  readonly error: CorruptCredentialsError | undefined
}

const LOCK_OPTIONS = {
  retries: { retries: 20, factor: 1.5, minTimeout: 20, maxTimeout: 500, randomize: true },
  stale: 30000,
  realpath: false
} as const

const CREDENTIAL_TYPES = new Set(['api_key', 'oauth', 'token'])

export function emptyAuthProfiles (): AuthProfilesFile {
  return { version: 1, profiles: {} }
}

function finite (v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

function str (v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function normalizeCredential (raw: unknown): Credential | undefined {
  if (!isRecord(raw)) return undefined
  const provider = raw.provider
  if (typeof provider !== 'string' || provider.trim() === '') return undefined
  if (typeof raw.type !== 'string' || !CREDENTIAL_TYPES.has(raw.type)) return undefined
  const email = typeof raw.email === 'string' ? { email: raw.email } : {}
  switch (raw.type) {
    case 'api_key':
      return { type: 'api_key', provider, key: str(raw.key), ...email }
    case 'token':
      return { type: 'token', provider, token: str(raw.token), ...(finite(raw.expires) ? { expires: raw.expires } : {}), ...email }
    default:
      // Extra provider fields (projectId, accountId, enterpriseUrl …) are kept, as Clawdbot does.
      return { ...raw, type: 'oauth', provider, access: str(raw.access), refresh: str(raw.refresh), expires: finite(raw.expires) ? raw.expires : 0 }
  }
}

const NUMERIC_STATS = ['lastUsed', 'errorCount', 'lastFailureAt', 'cooldownUntil', 'disabledUntil', 'probeUntil'] as const

/** Keeps unknown fields and key order (the memory store compares entries as JSON); drops ill-typed known ones. */
function normalizeUsageStats (raw: unknown): UsageStats | undefined {
  if (!isRecord(raw)) return undefined
  const out: Record<string, unknown> = { ...raw }
  for (const k of NUMERIC_STATS) if (k in out && !finite(out[k])) delete out[k]
  for (const k of ['cooldownReason', 'disabledReason']) if (k in out && typeof out[k] !== 'string') delete out[k]
  if ('failureCounts' in out) {
    if (!isRecord(out.failureCounts)) delete out.failureCounts
    else out.failureCounts = Object.fromEntries(Object.entries(out.failureCounts).filter(([, n]) => finite(n)))
  }
  if ('modelCooldowns' in out) {
    if (!isRecord(out.modelCooldowns)) delete out.modelCooldowns
    else {
      out.modelCooldowns = Object.fromEntries(Object.entries(out.modelCooldowns)
        .filter(([, c]) => isRecord(c) && finite(c.until)))
    }
  }
  return out as UsageStats
}

/** Narrows parsed JSON to the v1 shape; undefined when `profiles` is not an object. */
export function normalizeAuthProfiles (raw: unknown): AuthProfilesFile | undefined {
  if (!isRecord(raw) || !isRecord(raw.profiles)) return undefined
  const file: AuthProfilesFile = { version: 1, profiles: {} }
  for (const [id, c] of Object.entries(raw.profiles)) {
    const cred = normalizeCredential(c)
    if (cred !== undefined) file.profiles[id] = cred
  }
  if (isRecord(raw.order)) {
    const order: Record<string, string[]> = {}
    for (const [provider, ids] of Object.entries(raw.order)) {
      if (!Array.isArray(ids)) continue
      const list = ids.filter((x): x is string => typeof x === 'string').map(x => x.trim()).filter(x => x !== '')
      if (list.length > 0) order[provider] = list
    }
    file.order = order
  }
  if (isRecord(raw.lastGood)) {
    file.lastGood = Object.fromEntries(Object.entries(raw.lastGood).filter((e): e is [string, string] => typeof e[1] === 'string'))
  }
  if (isRecord(raw.usageStats)) {
    const stats: Record<string, UsageStats> = {}
    for (const [id, s] of Object.entries(raw.usageStats)) {
      const n = normalizeUsageStats(s)
      if (n !== undefined) stats[id] = n
    }
    file.usageStats = stats
  }
  return file
}

/** Only these fields are ever written (Clawdbot's save does the same). */
function serialize (file: AuthProfilesFile): string {
  const out: Record<string, unknown> = { version: 1, profiles: file.profiles }
  if (file.order !== undefined) out.order = file.order
  if (file.lastGood !== undefined) out.lastGood = file.lastGood
  if (file.usageStats !== undefined) out.usageStats = file.usageStats
  return JSON.stringify(out, null, 2) + '\n'
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
  writeFileSync(tmp, serialize(emptyAuthProfiles()), { mode: 0o600, flag: 'wx' })
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
  const file = normalizeAuthProfiles(raw)
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
        text = serialize(emptyAuthProfiles())
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

  async function lockedUpdate (mutator: (file: AuthProfilesFile) => void | boolean): Promise<AuthProfilesFile> {
    ensureExists(path)
    const release = await lock(path, {
      ...LOCK_OPTIONS,
      // Default would throw from a timer and crash the process; the write below is short.
      onCompromised: () => {}
    })
    try {
      // stat before read: a writer that ignores the lock then costs a re-read, never a missed change.
      const sigBefore = signature(await stat(path).catch(() => undefined))
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        text = serialize(emptyAuthProfiles())
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
      await writeFileAtomic(path, serialize(file), 0o600)
      // Still under the lock, so no cooperating writer can slip in between rename and stat.
      const sigAfter = signature(await stat(path))
      lastCheck = clock()
      return adopt(sigAfter, file, external && cache !== undefined)
    } finally {
      await release().catch(() => {})
    }
  }

  function update (mutator: (file: AuthProfilesFile) => void | boolean): Promise<AuthProfilesFile> {
    // Serialise in-process first: proper-lockfile would otherwise make our own calls poll each other.
    const run = queue.then(() => lockedUpdate(mutator))
    queue = run.catch(() => {})
    return run
  }

  return {
    path,
    read,
    update,
    get error () { return error }
  }
}
