// `rotor models auth login` through commander: endpoints from the config's
// models.providers.<id>.oauth, a scripted user, the profile written to the agent's file.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Command } from 'commander'
import { registerLoginCommand, type LoginCommandDeps } from '../../../src/cli/login-command.ts'
import { authorizeRoute, followAuthorize, ScriptedIO, startFakeIdp, type FakeIdp, type Route } from './helpers.ts'

interface Run { out: string[], err: string[], exitCode: number | undefined }

async function runCli (args: string[], deps: LoginCommandDeps): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  let exitCode: number | undefined
  const program = new Command('rotor').exitOverride()
  program.configureOutput({ writeErr: (s) => err.push(s), writeOut: (s) => out.push(s) })
  const auth = program.command('models').command('auth')
  registerLoginCommand(auth, { ...deps, output: { out: (s) => out.push(s), err: (s) => err.push(s) }, setExitCode: (c) => { exitCode = c } })
  auth.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: (s) => err.push(s), writeOut: (s) => out.push(s) }))
  await program.parseAsync(['models', 'auth', 'login', ...args], { from: 'user' })
  return { out, err, exitCode }
}

function home (t: Test, oauth: Record<string, Record<string, string>>): { env: NodeJS.ProcessEnv, dir: string } {
  const dir = t.testdir()
  const providers: Record<string, unknown> = {}
  for (const [id, o] of Object.entries(oauth)) providers[id] = { oauth: o }
  writeFileSync(join(dir, 'rotor.json'), JSON.stringify({ models: { providers } }))
  return { env: { HOME: dir, ROTOR_HOME: dir, PATH: process.env.PATH }, dir }
}

function profiles (dir: string, agent = 'default'): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, 'agents', agent, 'agent', 'auth-profiles.json'), 'utf8'))
}

async function idp (t: Test, routes: Record<string, Route>): Promise<FakeIdp> {
  const server = await startFakeIdp(routes)
  t.teardown(() => server.close())
  return server
}

const instant = async (): Promise<void> => {}

t.test('qwen-portal: device-code endpoints come from config and the oauth profile lands in the default agent', async (t) => {
  const server = await idp(t, {
    'POST /device': () => ({ body: { device_code: 'd1', user_code: 'QW-1', verification_uri: 'https://chat.qwen.ai/authorize', expires_in: 600, interval: 1 } }),
    'POST /token': () => ({ body: { access_token: 'qwen-cli-access', refresh_token: 'qwen-cli-refresh', expires_in: 3600, resource_url: 'portal.qwen.ai' } }),
  })
  const { env, dir } = home(t, { 'qwen-portal': { deviceCodeUrl: `${server.url}/device`, tokenUrl: `${server.url}/token` } })
  const io = new ScriptedIO()
  const run = await runCli(['--provider', 'qwen-portal'], { env, io, sleep: instant, now: () => 1767225600_000 })
  t.equal(run.exitCode, undefined, run.err.join(''))
  t.same(run.out, ['Auth profile added: qwen-portal:default (oauth)'])
  t.same(profiles(dir).profiles['qwen-portal:default'], {
    type: 'oauth', provider: 'qwen-portal', access: 'qwen-cli-access', refresh: 'qwen-cli-refresh', expires: 1767225600_000 + 3600e3, resourceUrl: 'portal.qwen.ai',
  })
})

t.test('github-copilot: --agent and --profile-id choose where the GitHub token is stored', async (t) => {
  const server = await idp(t, {
    'POST /device': () => ({ body: { device_code: 'd1', user_code: 'GH-1', verification_uri: 'https://github.com/login/device', expires_in: 600, interval: 1 } }),
    'POST /token': () => ({ body: { access_token: 'gho_cliLoginToken00000000000000000000', token_type: 'bearer' } }),
  })
  const { env, dir } = home(t, { 'github-copilot': { deviceCodeUrl: `${server.url}/device`, accessTokenUrl: `${server.url}/token` } })
  const run = await runCli(['--provider', 'github-copilot', '--agent', 'work', '--profile-id', 'github-copilot:work'], { env, io: new ScriptedIO(), sleep: instant })
  t.same(run.out, ['Auth profile added: github-copilot:work (token)'])
  t.same(profiles(dir, 'work').profiles, { 'github-copilot:work': { type: 'token', provider: 'github-copilot', token: 'gho_cliLoginToken00000000000000000000' } })
})

t.test('chutes: --client-id and CHUTES_CLIENT_SECRET reach the token endpoint; an order that omits the profile is pointed out', async (t) => {
  const issued = new Map<string, { challenge: string, state: string, redirectUri: string, clientId: string, scope: string }>()
  const server = await idp(t, {
    'GET /authorize': authorizeRoute(issued),
    'POST /token': (req) => req.fields.client_id === 'cid_flag' && req.fields.client_secret === 'cs_env'
      ? { body: { access_token: 'chutes-cli-access', refresh_token: 'chutes-cli-refresh', expires_in: 3600 } }
      : { status: 401, body: { error: 'invalid_client' } },
    'GET /userinfo': () => ({ body: { sub: 's', username: 'bob' } }),
  })
  const { env, dir } = home(t, {
    chutes: { authorizeUrl: `${server.url}/authorize`, tokenUrl: `${server.url}/token`, userinfoUrl: `${server.url}/userinfo`, clientId: 'cid_config', redirectUri: 'http://127.0.0.1:0/oauth-callback' },
  })
  env.CHUTES_CLIENT_SECRET = 'cs_env'
  const agentDir = join(dir, 'agents', 'default', 'agent')
  mkdirSync(agentDir, { recursive: true })
  writeFileSync(join(agentDir, 'auth-profiles.json'), JSON.stringify({ version: 1, profiles: {}, order: { chutes: ['chutes:other'] } }))
  const io = new ScriptedIO(['wait'], async (url) => { await followAuthorize(url) })
  const run = await runCli(['--provider', 'chutes', '--client-id', 'cid_flag', '--no-browser'], { env, io })
  t.equal(run.exitCode, undefined, run.err.join(''))
  t.same(run.out, ['Auth profile added: chutes:default (oauth)'])
  t.match(profiles(dir).profiles['chutes:default'], { access: 'chutes-cli-access', clientId: 'cid_flag', clientSecret: 'cs_env', username: 'bob' })
  t.ok(run.err.some((l) => l.includes('does not list chutes:default')))
})

t.test('a failed login prints the reason and exits 1 without touching the credentials file', async (t) => {
  const server = await idp(t, {
    'POST /device': () => ({ body: { device_code: 'd1', user_code: 'QW-1', verification_uri: 'https://x/authorize', expires_in: 600, interval: 1 } }),
    'POST /token': () => ({ status: 400, body: { error: 'access_denied' } }),
  })
  const { env, dir } = home(t, { 'qwen-portal': { deviceCodeUrl: `${server.url}/device`, tokenUrl: `${server.url}/token` } })
  const run = await runCli(['--provider', 'qwen-portal'], { env, io: new ScriptedIO(), sleep: instant })
  t.equal(run.exitCode, 1)
  t.match(run.err.join('\n'), /rotor: login failed: Qwen token request: the sign-in was denied/)
  t.throws(() => profiles(dir))
})

t.test('an unknown provider is a usage error from commander', async (t) => {
  const { env } = home(t, {})
  await t.rejects(runCli(['--provider', 'venice'], { env, io: new ScriptedIO() }), { code: 'commander.invalidArgument' })
  await t.rejects(runCli([], { env, io: new ScriptedIO() }), { code: 'commander.missingMandatoryOptionValue' })
})
