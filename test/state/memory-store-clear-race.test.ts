// A manual clear (admin clear-cooldown) racing the memory store's own debounced write of the
// failure it clears. The write copies the cooled entry into the file under the lock; a clear
// that lands before the rename, followed by any read after the rename, must not take the
// store's own write for an external edit and bring the cooldown back.
import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { setImmediate as yieldTurn } from 'node:timers/promises'
import { openCredentialsFile, type CredentialsFile } from '../../src/auth/credentials-file.ts'
import type { AuthProfilesFile } from '../../src/auth/types.ts'
import { createMemoryStore, type MemoryStore } from '../../src/state/memory-store.ts'
import { policy } from './contract.ts'
import type { UsageStats, FailureInput } from '../../src/core/types.ts'

const AGENT = 'main'
const ID = 'anthropic:work'
const NOW = Date.UTC(2026, 0, 1)

const seed: AuthProfilesFile = {
  version: 1,
  profiles: { [ID]: { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-cccccccccccccccc5e6f' } },
}

function failure (now: number): FailureInput {
  return { provider: 'anthropic', model: 'claude-opus-4-5', reason: 'timeout', scope: 'profile', now, policy }
}

function credentialsPath (t: { teardown: (fn: () => unknown) => void }): string {
  const home = mkdtempSync(join(tmpdir(), 'rotor-clear-race-'))
  const path = join(home, 'agents', AGENT, 'agent', 'auth-profiles.json')
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(seed))
  return path
}

function onDisk (path: string): UsageStats | undefined {
  return (JSON.parse(readFileSync(path, 'utf8')) as AuthProfilesFile).usageStats?.[ID]
}

/** A temp file of an atomic write of `path` exists: the new content is written, not yet renamed. */
function writing (path: string): boolean {
  const prefix = `.${basename(path)}.`
  return readdirSync(dirname(path)).some((f) => f.startsWith(prefix) && f.endsWith('.tmp'))
}

function cooling (s: UsageStats | undefined): boolean {
  return s?.cooldownUntil !== undefined || (s?.errorCount ?? 0) > 0
}

t.test('a clear made while the store writes the failure sticks, whatever the read in between sees', async (t) => {
  const path = credentialsPath(t)
  let store: MemoryStore | undefined
  let writes = 0
  // The real file, with two requests slipped into the store's write at the exact points of the
  // race: the admin clear after the failure was copied into the file (before the rename), a
  // routing read after the rename (before the write reports back to the store).
  const wrap = (real: CredentialsFile): CredentialsFile => ({
    path: real.path,
    get error () { return real.error },
    read: (o) => real.read(o),
    exclusive: (job) => real.exclusive(job),
    async update (mutator) {
      const round = ++writes
      const out = await real.update((f) => {
        const r = mutator(f)
        if (round === 1) void store?.clearCooldown(AGENT, ID)
        return r
      })
      if (round === 1) await store?.readStats(AGENT, [ID])
      return out
    },
  })
  const mem = createMemoryStore({
    credentialsFor: () => wrap(openCredentialsFile(path, { checkIntervalMs: 0 })),
    persistDebounceMs: 60_000,
  })
  store = mem
  t.teardown(() => mem.close())

  await mem.recordFailure(AGENT, ID, failure(NOW))
  await mem.flush()
  t.equal(writes, 1, 'the failure went out in one write')
  t.notOk(cooling((await mem.readStats(AGENT, [ID])).get(ID)), 'the clear holds in memory')
  await mem.flush()
  t.notOk(cooling(onDisk(path)), 'and on disk')
  t.equal(onDisk(path)?.lastFailureAt, NOW, 'the cleared entry is the one written (the failure stays in its history)')
})

t.test('200 rounds of failure → clear → read on the real file: every clear sticks', async (t) => {
  const path = credentialsPath(t)
  // Production check interval (a throttled stat per read) and a write right after each change.
  const store = createMemoryStore({ credentialsFor: () => openCredentialsFile(path), persistDebounceMs: 0 })
  t.teardown(() => store.close())
  const lost: number[] = []
  let inWrite = 0
  const ROUNDS = 200
  for (let round = 0; round < ROUNDS; round++) {
    await store.recordFailure(AGENT, ID, failure(NOW + round * 1000))
    // Land the clear inside the debounced write: once the failure is copied into the temp
    // file that will be renamed over the original, 0–3 event-loop turns further each round.
    let seen = false
    for (let i = 0; i < 5000 && !seen && onDisk(path)?.lastFailureAt !== NOW + round * 1000; i++) {
      seen = writing(path)
      if (!seen) await yieldTurn()
    }
    if (seen) inWrite++
    for (let i = 0; i < round % 4; i++) await yieldTurn()
    await store.clearCooldown(AGENT, ID)
    // Routing traffic until the write in flight has released the file's lock: a read every
    // event-loop turn.
    for (let i = 0; i < 20_000 && (i < 4 || existsSync(`${path}.lock`)); i++) {
      await store.readStats(AGENT, [ID])
      await yieldTurn()
    }
    await store.flush()
    if (cooling((await store.readStats(AGENT, [ID])).get(ID)) || cooling(onDisk(path))) {
      lost.push(round)
      // Start the next round from a clean profile.
      await store.clearCooldown(AGENT, ID)
      await store.flush()
    }
  }
  t.strictSame(lost, [], `the clear held in all ${ROUNDS} rounds (${inWrite} landed while the failure was being written)`)
})
