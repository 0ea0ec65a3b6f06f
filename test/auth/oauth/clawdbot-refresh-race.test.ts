// rotor and Clawdbot on one credentials store refresh a rotating OAuth token once per expiry.
// The Clawdbot side is a separate process doing what Clawdbot 2026.1.24 does
// (test/helpers/clawdbot-refresher.ts: proper-lockfile on auth-profiles.json with its options,
// re-read under the lock, in-place write); the rotor side is the gateway's credential resolver
// with the host-local coordinator. The token endpoint revokes the family on any replay, so a
// double refresh in one round breaks every later round.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { startFakeTokenEndpoint } from '../../helpers/fake-token-endpoint.ts'
import { until } from '../../helpers/wait.ts'
import { agentFilePath, expiredOAuth, HOUR, MIN, oauthCatalog, proc, tempHome, writeProfiles } from './fixtures.ts'

const HELPER = join(import.meta.dirname, '..', '..', 'helpers', 'clawdbot-refresher.ts')
const ROUNDS = 20

interface ClawdbotAnswer { access?: string, refreshed?: boolean, error?: string }

/** The Clawdbot-pattern process; `ask(now)` resolves the profile's key at `now`. */
function clawdbotProcess (authPath: string, tokenUrl: string, profileId: string): { ask: (now: number) => Promise<ClawdbotAnswer>, stop: () => void } {
  const child = spawn(process.execPath, [HELPER, authPath, tokenUrl, profileId], { stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting: Array<(a: ClawdbotAnswer) => void> = []
  const lines = createInterface({ input: child.stdout })
  lines.on('line', (line) => { waiting.shift()?.(JSON.parse(line) as ClawdbotAnswer) })
  return {
    ask: (now) => new Promise((resolve) => {
      waiting.push(resolve)
      child.stdin.write(JSON.stringify({ now }) + '\n')
    }),
    stop: () => { child.stdin.end(); child.kill() },
  }
}

t.test(`Clawdbot and rotor racing on one expired token: exactly one token-endpoint call per expiry, ${ROUNDS} rounds`, async (t) => {
  const ep = await startFakeTokenEndpoint({ expiresIn: 3600 })
  t.teardown(() => ep.close())
  // Both are in flight at once: whoever is second finds the lock taken while the first waits here.
  ep.setLatency(100)
  const home = tempHome('rotor-clawdbot-race-')
  const t0 = Date.now()
  writeProfiles(home, { 'fake:me': expiredOAuth('fake', ep.seed(), t0 - MIN) })
  let now = t0
  const rotor = proc({ home, catalog: oauthCatalog(ep.tokenUrl), now: () => now })
  const clawdbot = clawdbotProcess(agentFilePath(home), ep.tokenUrl, 'fake:me')
  t.teardown(() => clawdbot.stop())

  // The lock Clawdbot takes: while it exists, one side is refreshing.
  const lockDir = `${agentFilePath(home)}.lock`
  const refreshing = (): Promise<void> => until(() => existsSync(lockDir), 10_000, 'a refresh holding auth-profiles.json.lock')
  const winners = { rotor: 0, clawdbot: 0 }
  for (let round = 1; round <= ROUNDS; round++) {
    // Two hours on: the token of the round before (≤ 1 h) has expired for both.
    now = t0 + round * 2 * HOUR
    const before = ep.calls
    // Three orders: both at once; rotor refreshing when Clawdbot looks; Clawdbot refreshing when rotor looks.
    const mode = round % 3
    const askRotor = (): Promise<Awaited<ReturnType<typeof rotor.resolver.resolve>>> => rotor.resolver.resolve('default', rotor.profile('fake:me'))
    let theirs: ClawdbotAnswer
    let ours: Awaited<ReturnType<typeof askRotor>>
    if (mode === 0) {
      [theirs, ours] = await Promise.all([clawdbot.ask(now), askRotor()])
    } else if (mode === 1) {
      const pending = askRotor()
      await refreshing()
      ;[theirs, ours] = await Promise.all([clawdbot.ask(now), pending])
    } else {
      const pending = clawdbot.ask(now)
      await refreshing()
      ;[ours, theirs] = await Promise.all([askRotor(), pending])
    }
    t.equal(ep.calls - before, 1, `round ${round}: one token-endpoint call`)
    t.equal(theirs.error, undefined, `round ${round}: Clawdbot got a token`)
    t.equal(ours.kind, 'ok', `round ${round}: rotor got a token`)
    const secret = ours.kind === 'ok' ? ours.secret : ''
    t.equal(theirs.access, secret, `round ${round}: both use the same token`)
    t.ok(ep.isCurrent(secret), `round ${round}: it is the current one`)
    if (theirs.refreshed === true) winners.clawdbot++
    else winners.rotor++
  }
  t.equal(ep.rejected, 0, 'no refresh token was replayed')
  t.equal(winners.rotor + winners.clawdbot, ROUNDS)
  t.comment(`refreshed by rotor ${winners.rotor}×, by Clawdbot ${winners.clawdbot}×`)
})
