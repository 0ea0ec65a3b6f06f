import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { openCredentialsFile, writeJsonAtomic } from '../../src/auth/credentials-file.ts'
import type { AuthProfilesFile } from '../../src/auth/types.ts'
import { CorruptCredentialsError } from '../../src/core/errors.ts'

const run = promisify(execFile)
const SECRET = 'sk-ant-api03-SUPERSECRETVALUE-1a2b'

function tempDir (): string {
  return mkdtempSync(join(tmpdir(), 'rotor-creds-'))
}

function sample (): AuthProfilesFile {
  return {
    version: 1,
    profiles: { 'anthropic:work': { type: 'api_key', provider: 'anthropic', key: SECRET } },
    order: { anthropic: ['anthropic:work'] }
  }
}

t.test('a missing file reads as an empty store', async t => {
  const f = openCredentialsFile(join(tempDir(), 'agents', 'a', 'agent', 'auth-profiles.json'))
  t.same(f.read(), { version: 1, profiles: {} })
  t.equal(f.error, undefined)
})

t.test('a corrupt file is reported by path without its content and never overwritten', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  const bytes = `{"version":1,"profiles":{"anthropic:work":{"type":"api_key","key":"${SECRET}"` // truncated
  writeFileSync(path, bytes, { mode: 0o600 })
  const f = openCredentialsFile(path, { checkIntervalMs: 0 })
  const err = t.throws(() => f.read()) as Error
  t.ok(err instanceof CorruptCredentialsError)
  t.match(err.message, path)
  t.notMatch(err.message, 'SUPERSECRET')
  const updateErr = await f.update(file => { file.profiles = {} }).then(() => undefined, (e: unknown) => e)
  t.ok(updateErr instanceof CorruptCredentialsError, 'update refuses a corrupt file')
  t.equal(readFileSync(path, 'utf8'), bytes, 'bytes unchanged after a failed update')
  t.same(readdirSync(join(path, '..')).filter(n => n.endsWith('.tmp') || n.endsWith('.lock')), [])
})

t.test('a file without a profiles object is corrupt too', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  writeFileSync(path, JSON.stringify({ version: 1, profiles: [SECRET] }))
  const f = openCredentialsFile(path)
  t.ok(t.throws(() => f.read()) instanceof CorruptCredentialsError)
})

t.test('after a good read, corruption keeps serving the last good copy and sets error', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  writeFileSync(path, JSON.stringify(sample()))
  const f = openCredentialsFile(path, { checkIntervalMs: 0 })
  const good = f.read()
  t.equal(good.profiles['anthropic:work']?.type, 'api_key')
  writeFileSync(path, 'not json at all, and much longer than before')
  t.equal(f.read(), good)
  t.ok(f.error instanceof CorruptCredentialsError)
  writeFileSync(path, JSON.stringify({ version: 1, profiles: {} }))
  t.same(f.read().profiles, {})
  t.equal(f.error, undefined, 'error clears once the file is valid again')
})

t.test('entries with an unknown type or without provider are dropped', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  writeFileSync(path, JSON.stringify({
    version: 1,
    profiles: {
      'a:ok': { type: 'token', provider: 'a', token: 'x' },
      'a:weird': { type: 'password', provider: 'a', password: 'x' },
      'a:orphan': { type: 'api_key', key: 'x' },
      'g:oauth': { type: 'oauth', provider: 'g', access: 'x', refresh: 'y', expires: 5, projectId: 'p' }
    },
    order: { a: [' a:ok ', '', 3], empty: [] }
  }))
  const file = openCredentialsFile(path).read()
  t.same(Object.keys(file.profiles), ['a:ok', 'g:oauth'])
  t.equal(file.profiles['g:oauth']?.['projectId' as 'type'], 'p', 'extra oauth fields are kept')
  t.same(file.order, { a: ['a:ok'] })
})

t.test('updates are atomic, 0600, in a 0700 dir, and write only the known fields', async t => {
  const dir = join(tempDir(), 'agents', 'main', 'agent')
  const path = join(dir, 'auth-profiles.json')
  const f = openCredentialsFile(path)
  const out = await f.update(file => {
    Object.assign(file, sample())
    ;(file as unknown as Record<string, unknown>).junk = 'dropped'
  })
  t.equal(out.profiles['anthropic:work']?.provider, 'anthropic')
  t.equal(statSync(path).mode & 0o777, 0o600)
  t.equal(statSync(dir).mode & 0o777, 0o700)
  const onDisk = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  t.same(Object.keys(onDisk).sort(), ['order', 'profiles', 'version'])
  t.same(readdirSync(dir).filter(n => n !== 'auth-profiles.json'), [], 'no temp or lock files remain')
  t.equal(f.read(), out, 'read() returns the written content without re-reading')
})

t.test('a mutator returning false skips the write', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  writeFileSync(path, JSON.stringify(sample()))
  const before = statSync(path).mtimeMs
  const f = openCredentialsFile(path)
  await f.update(file => { file.profiles = {}; return false })
  t.equal(statSync(path).mtimeMs, before)
  t.ok(JSON.parse(readFileSync(path, 'utf8')).profiles['anthropic:work'])
})

t.test('external edits are picked up, onChange fires, and unchanged reads keep identity', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  writeFileSync(path, JSON.stringify(sample()))
  const changes: AuthProfilesFile[] = []
  const f = openCredentialsFile(path, { checkIntervalMs: 0, onChange: file => changes.push(file) })
  const first = f.read()
  t.equal(f.read(), first)
  t.equal(changes.length, 0)
  await writeJsonAtomic(path, { version: 1, profiles: {}, usageStats: { 'anthropic:work': { errorCount: 0 } } })
  const second = f.read()
  t.not(second, first)
  t.same(second.usageStats, { 'anthropic:work': { errorCount: 0 } })
  t.same(changes, [second])
  t.ok(Object.isFrozen(second.usageStats), 'the cached copy is frozen')
})

t.test('change checks are throttled by checkIntervalMs on the injected clock', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  writeFileSync(path, JSON.stringify(sample()))
  let now = 1000
  const f = openCredentialsFile(path, { clock: () => now })
  const first = f.read()
  writeFileSync(path, JSON.stringify({ version: 1, profiles: {} }))
  now += 100
  t.equal(f.read(), first, 'not re-checked within 250 ms')
  now += 200
  t.same(f.read().profiles, {}, 're-checked after 250 ms')
})

t.test('concurrent updates in one process do not lose increments', async t => {
  const path = join(tempDir(), 'auth-profiles.json')
  const f = openCredentialsFile(path)
  await Promise.all(Array.from({ length: 20 }, () => f.update(file => {
    const s = (file.usageStats ??= {})
    s['x:y'] = { errorCount: (s['x:y']?.errorCount ?? 0) + 1 }
  })))
  t.equal(JSON.parse(readFileSync(path, 'utf8')).usageStats['x:y'].errorCount, 20)
})

t.test('two processes updating the same file 50 times each lose no update', async t => {
  t.ok(Number(process.versions.node.split('.')[0]) >= 22, 'runs on the project Node')
  const dir = tempDir()
  const path = join(dir, 'agents', 'main', 'agent', 'auth-profiles.json')
  const script = join(dir, 'worker.ts')
  const modUrl = new URL('../../src/auth/credentials-file.ts', import.meta.url).href
  writeFileSync(script, `
import { openCredentialsFile } from ${JSON.stringify(modUrl)}
const f = openCredentialsFile(process.argv[2])
for (let i = 0; i < 50; i++) {
  await f.update(file => {
    const s = (file.usageStats ??= {})
    s['x:y'] = { errorCount: (s['x:y']?.errorCount ?? 0) + 1 }
  })
}
`)
  t.ok(existsSync(fileURLToPath(modUrl)))
  await Promise.all([run(process.execPath, [script, path]), run(process.execPath, [script, path])])
  const onDisk = JSON.parse(readFileSync(path, 'utf8'))
  t.equal(onDisk.usageStats['x:y'].errorCount, 100)
  t.same(readdirSync(join(path, '..')), ['auth-profiles.json'], 'no temp or lock files remain')
  t.equal(statSync(path).mode & 0o777, 0o600)
})

t.test('writeJsonAtomic writes pretty JSON with the given mode', async t => {
  const path = join(tempDir(), 'sub', 'models.json')
  await writeJsonAtomic(path, { a: 1 }, 0o644)
  t.equal(readFileSync(path, 'utf8'), '{\n  "a": 1\n}\n')
  t.equal(statSync(path).mode & 0o777, 0o644)
  await writeJsonAtomic(path, { a: 2 })
  t.equal(statSync(path).mode & 0o777, 0o600)
  t.same(readdirSync(join(path, '..')), ['models.json'])
})
