// Claude Code, Codex and Copilot/gh CLI credentials: imported from the (temporary) HOME into
// the agent's profiles, and refreshed tokens written back in each CLI's own format.
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startFakeTokenEndpoint, unsignedJwt } from '../../helpers/fake-token-endpoint.ts'
import { agentFilePath, HOUR, MIN, oauthCatalog, proc, tempHome, writeProfiles } from './fixtures.ts'

const sec = (ms: number): number => Math.floor(ms / 1000)

function codexAccess (expMs: number, account = 'acct-cli'): string {
  return unsignedJwt({ exp: sec(expMs), 'https://api.openai.com/auth': { chatgpt_account_id: account } })
}

function writeJson (path: string, data: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, JSON.stringify(data, null, 2), { mode: 0o644 })
}

function readJson<T> (path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

interface StoredProfile { type: string, provider: string, access?: string, refresh?: string, expires?: number, accountId?: string, idToken?: string, token?: string }
const profilesOf = (home: string): Record<string, StoredProfile> => readJson<{ profiles: Record<string, StoredProfile> }>(agentFilePath(home)).profiles

t.test('Claude Code and Codex credentials in HOME become anthropic:claude-cli and openai-codex:codex-cli', async (t) => {
  const home = tempHome()
  const claudeExp = Date.now() + 2 * HOUR
  writeJson(join(home, '.claude', '.credentials.json'), { claudeAiOauth: { accessToken: 'sk-ant-oat01-cli', refreshToken: 'sk-ant-ort01-cli', expiresAt: claudeExp, scopes: ['user:inference'], subscriptionType: 'max' } })
  const codexExp = Date.now() + HOUR
  const access = codexAccess(codexExp)
  writeJson(join(home, '.codex', 'auth.json'), { OPENAI_API_KEY: null, tokens: { id_token: 'id-jwt', access_token: access, refresh_token: 'rt-cli', account_id: 'acct-cli' }, last_refresh: '2026-01-01T00:00:00Z' })
  const p = proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t') })
  await p.resolver.syncExternal(['default'])
  const profiles = profilesOf(home)
  t.match(profiles['anthropic:claude-cli'], { type: 'oauth', provider: 'anthropic', access: 'sk-ant-oat01-cli', refresh: 'sk-ant-ort01-cli', expires: claudeExp })
  t.match(profiles['openai-codex:codex-cli'], { type: 'oauth', provider: 'openai-codex', access, refresh: 'rt-cli', expires: sec(codexExp) * 1000, accountId: 'acct-cli', idToken: 'id-jwt' })
  t.equal(statSync(agentFilePath(home)).mode & 0o777, 0o600)
  const got = await p.resolver.resolve('default', p.profile('openai-codex:codex-cli'))
  t.strictSame(got, { kind: 'ok', secret: access, extra: { accountId: 'acct-cli' } })

  // Unchanged CLI files: nothing to import, no write.
  const before = statSync(agentFilePath(home)).mtimeMs
  await p.resolver.syncExternal(['default'])
  t.equal(statSync(agentFilePath(home)).mtimeMs, before)
})

t.test('without CLI credentials no agent file is created', async (t) => {
  const home = tempHome()
  const p = proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t') })
  await p.resolver.syncExternal(['default', 'other'])
  t.notOk(existsSync(agentFilePath(home)))
  t.notOk(existsSync(agentFilePath(home, 'other')))
})

t.test('after a refresh, Codex\'s auth.json holds the new tokens in Codex\'s format, mode 0600', async (t) => {
  const ep = await startFakeTokenEndpoint({ jwtAccountId: 'acct-cli' })
  t.teardown(() => ep.close())
  const seeded = ep.seed()
  const home = tempHome()
  const authPath = join(home, '.codex', 'auth.json')
  // Codex stores an (expired) JWT access token; no expiry field of its own.
  const expired = codexAccess(Date.now() - 10 * MIN)
  writeJson(authPath, { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: { id_token: 'id-jwt', access_token: expired, refresh_token: seeded.refresh, account_id: 'acct-cli' }, last_refresh: '2026-01-01T00:00:00Z' })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  await p.resolver.syncExternal(['default'])
  const got = await p.resolver.resolve('default', p.profile('openai-codex:codex-cli'))
  const next = ep.latest()
  t.strictSame(got.kind === 'ok' ? [got.secret, got.extra] : got, [next.access, { accountId: 'acct-cli' }])
  t.equal(ep.calls, 1)
  t.equal(ep.grants[0].client_id, 'app_EMoamEEZ73f0CkXaXp7hrann', 'the Codex CLI client id')

  const auth = readJson<{ auth_mode: string, OPENAI_API_KEY: null, tokens: Record<string, string>, last_refresh: string }>(authPath)
  t.strictSame(auth.tokens, { id_token: 'id-jwt', access_token: next.access, refresh_token: next.refresh, account_id: 'acct-cli' })
  t.equal(auth.auth_mode, 'chatgpt', 'other fields are kept')
  t.equal(auth.OPENAI_API_KEY, null)
  t.ok(Date.parse(auth.last_refresh) > Date.parse('2026-01-01T00:00:00Z'), 'last_refresh is updated (RFC 3339)')
  t.equal(statSync(authPath).mode & 0o777, 0o600)
  t.match(profilesOf(home)['openai-codex:codex-cli'], { access: next.access, refresh: next.refresh })
})

t.test('CODEX_HOME moves Codex\'s directory', async (t) => {
  const home = tempHome()
  const codexHome = join(home, 'elsewhere')
  writeJson(join(codexHome, 'auth.json'), { tokens: { access_token: codexAccess(Date.now() + HOUR), refresh_token: 'rt' } })
  const p = proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t'), env: { HOME: home, CODEX_HOME: codexHome } })
  await p.resolver.syncExternal(['default'])
  t.equal(profilesOf(home)['openai-codex:codex-cli']?.refresh, 'rt')
})

t.test('a refreshed Claude Code token is written back to ~/.claude/.credentials.json', async (t) => {
  const ep = await startFakeTokenEndpoint({ expiresIn: 28800 })
  t.teardown(() => ep.close())
  const seeded = ep.seed()
  const home = tempHome()
  const path = join(home, '.claude', '.credentials.json')
  writeJson(path, { claudeAiOauth: { accessToken: seeded.access, refreshToken: seeded.refresh, expiresAt: Date.now() - MIN, scopes: ['user:inference'], subscriptionType: 'pro' }, other: 1 })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  await p.resolver.syncExternal(['default'])
  const got = await p.resolver.resolve('default', p.profile('anthropic:claude-cli'))
  const next = ep.latest()
  t.equal(got.kind === 'ok' ? got.secret : '', next.access)
  t.equal(ep.grants[0].client_id, '9d1c250a-e61b-44d9-88ed-5944d1962f5e', 'the Claude Code client id')
  const cli = readJson<{ claudeAiOauth: { accessToken: string, refreshToken: string, expiresAt: number, scopes: string[], subscriptionType: string }, other: number }>(path)
  t.equal(cli.claudeAiOauth.accessToken, next.access)
  t.equal(cli.claudeAiOauth.refreshToken, next.refresh)
  t.ok(cli.claudeAiOauth.expiresAt > Date.now() + 7 * HOUR)
  t.strictSame([cli.claudeAiOauth.scopes, cli.claudeAiOauth.subscriptionType, cli.other], [['user:inference'], 'pro', 1])
  t.equal(statSync(path).mode & 0o777, 0o600)
})

t.test('when the CLI refreshed on its own, rotor adopts its token instead of spending the old refresh token', async (t) => {
  const ep = await startFakeTokenEndpoint()
  t.teardown(() => ep.close())
  const home = tempHome()
  const path = join(home, '.claude', '.credentials.json')
  writeJson(path, { claudeAiOauth: { accessToken: 'sk-ant-oat01-old', refreshToken: 'sk-ant-ort01-old', expiresAt: Date.now() - MIN } })
  const p = proc({ home, catalog: oauthCatalog(ep.tokenUrl) })
  await p.resolver.syncExternal(['default'])
  writeJson(path, { claudeAiOauth: { accessToken: 'sk-ant-oat01-new', refreshToken: 'sk-ant-ort01-new', expiresAt: Date.now() + HOUR } })
  const got = await p.resolver.resolve('default', p.profile('anthropic:claude-cli'))
  t.equal(got.kind === 'ok' ? got.secret : '', 'sk-ant-oat01-new')
  t.equal(ep.calls, 0)
  t.match(profilesOf(home)['anthropic:claude-cli'], { access: 'sk-ant-oat01-new', refresh: 'sk-ant-ort01-new' })
})

t.test('an api key under the CLI profile id is never replaced by an import', async (t) => {
  const home = tempHome()
  writeProfiles(home, { 'anthropic:claude-cli': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-mine' } })
  writeJson(join(home, '.claude', '.credentials.json'), { claudeAiOauth: { accessToken: 'sk-ant-oat01-cli', refreshToken: 'r', expiresAt: Date.now() + HOUR } })
  const p = proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t') })
  await p.resolver.syncExternal(['default'])
  t.match(profilesOf(home)['anthropic:claude-cli'], { type: 'api_key', key: 'sk-ant-api03-mine' })
})

t.test('the gh CLI\'s token becomes github-copilot:github unless a Copilot env var is set', async (t) => {
  const home = tempHome()
  mkdirSync(join(home, '.config', 'gh'), { recursive: true })
  writeFileSync(join(home, '.config', 'gh', 'hosts.yml'), 'github.com:\n    oauth_token: gho_fromghcli0000000000\n    user: me\n    git_protocol: https\n')
  const withEnv = proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t'), env: { HOME: home, GH_TOKEN: 'gho_env' } })
  await withEnv.resolver.syncExternal(['default'])
  t.notOk(existsSync(agentFilePath(home)), 'GH_TOKEN already gives github-copilot:env')
  const p = proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t') })
  await p.resolver.syncExternal(['default'])
  t.strictSame(profilesOf(home)['github-copilot:github'], { type: 'token', provider: 'github-copilot', token: 'gho_fromghcli0000000000' })
})

t.test('the Copilot CLI\'s credentials file wins over gh, and an existing profile is kept', async (t) => {
  const home = tempHome()
  writeJson(join(home, '.copilot', 'credentials.json'), { 'github.com': { user: 'me', oauth_token: 'gho_fromcopilot000000000' } })
  mkdirSync(join(home, '.config', 'gh'), { recursive: true })
  writeFileSync(join(home, '.config', 'gh', 'hosts.yml'), 'github.com:\n    oauth_token: gho_fromghcli0000000000\n')
  const p = proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t') })
  await p.resolver.syncExternal(['default'])
  t.equal(profilesOf(home)['github-copilot:github']?.token, 'gho_fromcopilot000000000')
  writeProfiles(home, { 'github-copilot:github': { type: 'token', provider: 'github-copilot', token: 'gho_loggedin00000000000' } })
  await proc({ home, catalog: oauthCatalog('http://127.0.0.1:1/t') }).resolver.syncExternal(['default'])
  t.equal(profilesOf(home)['github-copilot:github']?.token, 'gho_loggedin00000000000')
})
