// `rotor models auth login --provider google-antigravity` against the fake Google: loopback
// PKCE with offline access, the email from userinfo as the profile id, and the account's Cloud
// Code Assist project (found by loadCodeAssist, or provisioned by onboardUser and polled).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Command } from 'commander'
import { registerLoginCommand, type LoginCommandDeps } from '../../../src/cli/login-command.ts'
import { startFakeCloudCode, type FakeCloudCode, type FakeCloudCodeOptions } from '../../helpers/fake-cloudcode.ts'
import { ScriptedIO } from './helpers.ts'

interface Run { out: string[], err: string[], exitCode: number | undefined }

async function runLogin (args: string[], deps: LoginCommandDeps): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  let exitCode: number | undefined
  const program = new Command('rotor').exitOverride()
  const auth = program.command('models').command('auth')
  registerLoginCommand(auth, { ...deps, output: { out: (s) => out.push(s), err: (s) => err.push(s) }, setExitCode: (c) => { exitCode = c } })
  await program.parseAsync(['models', 'auth', 'login', '--provider', 'google-antigravity', ...args], { from: 'user' })
  return { out, err, exitCode }
}

async function google (t: Test, opts: FakeCloudCodeOptions = {}): Promise<FakeCloudCode> {
  const cc = await startFakeCloudCode(opts)
  t.teardown(() => cc.close())
  return cc
}

/** A ROTOR_HOME whose config points the Google endpoints at the fake. */
function home (t: Test, cc: FakeCloudCode, extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv, dir: string } {
  const dir = t.testdir()
  const oauth = {
    authorizeUrl: cc.authorizeUrl, tokenUrl: cc.tokenUrl, userinfoUrl: cc.userinfoUrl, codeAssistUrl: cc.url,
    redirectUri: 'http://127.0.0.1:0/oauth-callback', ...extra,
  }
  writeFileSync(join(dir, 'rotor.json'), JSON.stringify({ models: { providers: { 'google-antigravity': { oauth } } } }))
  return { env: { HOME: dir, ROTOR_HOME: dir, PATH: process.env.PATH }, dir }
}

/** The user's browser: consents at the fake Google and follows its redirect to rotor's callback. */
function browser (cc: FakeCloudCode, email = 'dev@example.com'): ScriptedIO {
  return new ScriptedIO([], async (url) => {
    const res = await fetch(cc.authorize(url, email))
    await res.arrayBuffer()
  })
}

const stored = (dir: string): Record<string, any> =>
  JSON.parse(readFileSync(join(dir, 'agents', 'default', 'agent', 'auth-profiles.json'), 'utf8')).profiles

const instant = async (): Promise<void> => {}

t.test('login stores google-antigravity:<email> with tokens, expiry and the project loadCodeAssist names', async (t) => {
  const cc = await google(t)
  const { env, dir } = home(t, cc)
  const io = browser(cc, 'ada@example.com')
  const run = await runLogin([], { env, io, sleep: instant, now: () => 1767225600_000 })
  t.equal(run.exitCode, undefined, run.err.join(''))
  t.strictSame(run.out, ['Auth profile added: google-antigravity:ada@example.com (oauth)'])
  const p = stored(dir)['google-antigravity:ada@example.com']
  t.match(p, { type: 'oauth', provider: 'google-antigravity', email: 'ada@example.com', projectId: cc.project, expires: 1767225600_000 + 3599e3 })
  t.ok(cc.isCurrent(p.access))
  t.match(p.refresh, /^1\/\/fake-refresh-/)
  t.strictSame(cc.setupCalls, ['/v1internal:loadCodeAssist'])
  const exchange = cc.grants[0]
  t.equal(exchange.grant_type, 'authorization_code')
  t.equal(exchange.client_secret, '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', 'the installed-app secret goes with the code')
  t.match(exchange.code_verifier, /^[\w-]{43}$/)
  const authorize = new URL(io.opened[0])
  t.equal(authorize.searchParams.get('access_type'), 'offline')
  t.equal(authorize.searchParams.get('prompt'), 'consent')
})

t.test('an account without a project is onboarded on its default tier, polling the operation until done', async (t) => {
  const cc = await google(t, { onboarding: true, onboardPolls: 2 })
  const { env, dir } = home(t, cc)
  const io = browser(cc)
  const sleeps: number[] = []
  const run = await runLogin([], { env, io, sleep: async (ms) => { sleeps.push(ms) } })
  t.equal(run.exitCode, undefined, run.err.join(''))
  t.equal(stored(dir)['google-antigravity:dev@example.com'].projectId, cc.project)
  t.strictSame(cc.setupCalls, [
    '/v1internal:loadCodeAssist', '/v1internal:onboardUser',
    '/v1internal/operations/onboard-1', '/v1internal/operations/onboard-1', '/v1internal/operations/onboard-1',
  ])
  t.equal(sleeps.length, 3, 'one wait before each poll')
  t.ok(io.printed.some((l) => l.includes('Provisioning a Cloud Code Assist project (free-tier)')))
})

t.test('onboarding that never finishes fails the login after a bounded number of polls', async (t) => {
  const cc = await google(t, { onboarding: true, onboardPolls: 1000 })
  const { env, dir } = home(t, cc)
  const run = await runLogin([], { env, io: browser(cc), sleep: instant })
  t.equal(run.exitCode, 1)
  t.match(run.err.join(''), /no Cloud Code Assist project: onboardUser did not finish in time/)
  t.ok(cc.setupCalls.length < 20)
  t.throws(() => stored(dir), 'nothing stored')
})

t.test('a client secret Google does not accept fails the login with Google\'s reason and no token in the message', async (t) => {
  const cc = await google(t)
  const { env } = home(t, cc, { clientSecret: 'GOCSPX-wrong' })
  const run = await runLogin([], { env, io: browser(cc), sleep: instant })
  t.equal(run.exitCode, 1)
  t.match(run.err.join(''), /Google token exchange failed: HTTP 401 invalid_client: Unauthorized/)
})
