// exclusive() holds auth-profiles.json's own lock — the `auth-profiles.json.lock` directory
// Clawdbot's proper-lockfile calls take — for a whole job; writes inside it do not lock again.
import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import lockfile from 'proper-lockfile'
import { openCredentialsFile } from '../../src/auth/credentials-file.ts'

t.test('a job under exclusive() keeps Clawdbot\'s lock taken, writes inside it without locking again, and others write after it', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'rotor-lock-')), 'auth-profiles.json')
  const file = openCredentialsFile(path, { checkIntervalMs: 0 })
  const other = openCredentialsFile(path, { checkIntervalMs: 0 })
  const events: string[] = []
  // A writer outside the job (its continuation is registered here, not inside the job).
  let go: () => void = () => {}
  const gate = new Promise<void>((resolve) => { go = resolve })
  const outside = gate.then(() => other.update((f) => { f.lastGood = { a: 'a:outside' } })).then(() => { events.push('outside wrote') })
  await file.exclusive(async () => {
    t.ok(await lockfile.check(path), 'the file\'s lock is taken, as Clawdbot sees it')
    await t.rejects(lockfile.lock(path, { stale: 30_000 }), { code: 'ELOCKED' }, 'Clawdbot cannot take it meanwhile')
    go()
    await other.update((f) => { f.order = { a: ['a:inside'] } })
    events.push('inside wrote')
  })
  events.push('released')
  await outside
  t.notOk(await lockfile.check(path), 'released')
  t.strictSame(events, ['inside wrote', 'released', 'outside wrote'], 'the outside writer waited for the lock')
  const after = file.read({ fresh: true })
  t.strictSame([after.order, after.lastGood], [{ a: ['a:inside'] }, { a: 'a:outside' }])
})
