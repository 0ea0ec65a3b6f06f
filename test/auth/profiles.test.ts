import t from 'tap'
import { resolveProfiles, resolveSecret } from '../../src/auth/profiles.ts'
import type { AuthProfilesFile, Profile } from '../../src/auth/types.ts'
import type { Catalog, ProviderAuth, ProviderDef } from '../../src/config/types.ts'

function provider (id: string, auth: ProviderAuth, extra: Partial<ProviderDef> = {}): ProviderDef {
  return {
    id, auth, baseUrl: `http://127.0.0.1:1/${id}`, api: 'openai-completions', headers: {},
    envVars: [], envTokenVars: [], models: new Map(), ...extra
  }
}

const catalog: Catalog = {
  providers: new Map([
    ['anthropic', provider('anthropic', 'api-key', { envVars: ['ANTHROPIC_API_KEY'], envTokenVars: ['ANTHROPIC_OAUTH_TOKEN'] })],
    ['openai', provider('openai', 'api-key', { envVars: ['OPENAI_API_KEY'], apiKey: 'sk-config-key-123456' })],
    ['github-copilot', provider('github-copilot', 'token', { envVars: [], envTokenVars: ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN'] })],
    ['ollama', provider('ollama', 'none', { envVars: ['OLLAMA_API_KEY'] })]
  ])
}

const NOW = 1_800_000_000_000

function file (profiles: AuthProfilesFile['profiles']): AuthProfilesFile {
  return { version: 1, profiles }
}

function resolve (f: AuthProfilesFile, opts: { declared?: Record<string, { provider: string, mode: 'api_key' | 'oauth' | 'token' }>, env?: NodeJS.ProcessEnv } = {}): { profiles: Profile[], warnings: string[] } {
  const warnings: string[] = []
  const profiles = resolveProfiles({ file: f, catalog, declared: opts.declared ?? {}, env: opts.env ?? {}, warn: m => warnings.push(m), now: NOW })
  return { profiles, warnings }
}

const byId = (ps: Profile[], id: string): Profile | undefined => ps.find(p => p.id === id)

t.test('a declared mode that disagrees with the stored type makes the profile unusable with one warning', async t => {
  const f = file({
    'anthropic:x': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-secret-abcdef123456' },
    'anthropic:y': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-abcdef123456' }
  })
  const { profiles, warnings } = resolve(f, {
    declared: { 'anthropic:x': { provider: 'anthropic', mode: 'oauth' }, 'anthropic:y': { provider: 'anthropic', mode: 'oauth' } }
  })
  const x = byId(profiles, 'anthropic:x')
  t.equal(x?.usable, false)
  t.match(x?.unusableReason, /^auth\.profiles\["anthropic:x"\]\.mode is "oauth" but the stored credential is "api_key"; fix: run rotor models auth .* or change the mode$/)
  t.equal(byId(profiles, 'anthropic:y')?.usable, true, 'config oauth accepts a stored token')
  t.equal(warnings.length, 1)
  t.equal(warnings[0], x?.unusableReason)
  t.notMatch(warnings[0], 'secret')
})

t.test('a declared provider that disagrees makes the profile unusable', async t => {
  const { profiles, warnings } = resolve(file({ 'anthropic:x': { type: 'api_key', provider: 'anthropic', key: 'k'.repeat(20) } }), {
    declared: { 'anthropic:x': { provider: 'openai', mode: 'api_key' } }
  })
  t.equal(byId(profiles, 'anthropic:x')?.usable, false)
  t.equal(warnings.length, 1)
})

t.test('empty secrets, expired tokens and oauth without tokens are unusable', async t => {
  const { profiles, warnings } = resolve(file({
    'anthropic:empty': { type: 'api_key', provider: 'anthropic', key: '  ' },
    'anthropic:notoken': { type: 'token', provider: 'anthropic', token: '' },
    'anthropic:expired': { type: 'token', provider: 'anthropic', token: 'tok-1234567890', expires: NOW - 1 },
    'anthropic:forever': { type: 'token', provider: 'anthropic', token: 'tok-1234567890', expires: 0 },
    'anthropic:hollow': { type: 'oauth', provider: 'anthropic', access: '', refresh: '', expires: NOW + 1000 },
    'anthropic:refreshable': { type: 'oauth', provider: 'anthropic', access: '', refresh: 'r-123', expires: 0 }
  }))
  const usable = Object.fromEntries(profiles.filter(p => p.source === 'file').map(p => [p.id, p.usable]))
  t.same(usable, {
    'anthropic:empty': false,
    'anthropic:notoken': false,
    'anthropic:expired': false,
    'anthropic:forever': true,
    'anthropic:hollow': false,
    'anthropic:refreshable': true
  })
  t.same(warnings, [], 'routine problems are not warned about')
})

t.test('env profiles come after file and config profiles', async t => {
  const { profiles } = resolve(file({ 'openai:work': { type: 'api_key', provider: 'openai', key: 'sk-file-key-1234567' } }), {
    env: { OPENAI_API_KEY: 'sk-env-key-1234567', ANTHROPIC_OAUTH_TOKEN: 'sk-ant-oat01-zzz', GH_TOKEN: 'gho_abc', COPILOT_GITHUB_TOKEN: '' }
  })
  t.same(profiles.map(p => [p.id, p.source, p.type]), [
    ['openai:work', 'file', 'api_key'],
    ['openai:config', 'config', 'api_key'],
    ['anthropic:env', 'env', 'token'],
    ['openai:env', 'env', 'api_key'],
    ['github-copilot:env', 'env', 'token'],
    ['ollama:none', 'none', 'none']
  ])
  t.same(byId(profiles, 'github-copilot:env')?.credential, { type: 'token', provider: 'github-copilot', token: 'gho_abc' }, 'the first non-empty token var wins')
})

t.test('an api key env var wins over a token env var for the same provider', async t => {
  const { profiles } = resolve(file({}), { env: { ANTHROPIC_API_KEY: 'sk-ant-api-1234567', ANTHROPIC_OAUTH_TOKEN: 'sk-ant-oat01-zzz' } })
  const p = byId(profiles, 'anthropic:env')
  t.equal(p?.type, 'api_key')
  t.equal(profiles.filter(x => x.id === 'anthropic:env').length, 1)
})

t.test('a provider apiKey in config becomes <provider>:config', async t => {
  const { profiles } = resolve(file({}))
  const p = byId(profiles, 'openai:config')
  t.same(p, { id: 'openai:config', provider: 'openai', type: 'api_key', source: 'config', usable: true, credential: { type: 'api_key', provider: 'openai', key: 'sk-config-key-123456' } })
})

t.test('a provider with auth none gets one usable <provider>:none profile and no env profile', async t => {
  const { profiles } = resolve(file({}), { env: { OLLAMA_API_KEY: 'whatever-123456' } })
  const none = profiles.filter(p => p.provider === 'ollama')
  t.same(none, [{ id: 'ollama:none', provider: 'ollama', type: 'none', source: 'none', credential: undefined, usable: true }])
  t.same(resolveSecret(none[0] as Profile, NOW), { secret: '' })
})

t.test('a file profile keeps its id when config or env would produce the same id', async t => {
  const { profiles } = resolve(file({ 'openai:env': { type: 'api_key', provider: 'openai', key: 'sk-file-1234567890' } }), { env: { OPENAI_API_KEY: 'sk-env-1234567890' } })
  const envs = profiles.filter(p => p.id === 'openai:env')
  t.equal(envs.length, 1)
  t.equal(envs[0]?.source, 'file')
})

t.test('resolveSecret returns the secret of each credential type', async t => {
  const { profiles } = resolve(file({
    'a:key': { type: 'api_key', provider: 'a', key: 'KEY' },
    'a:tok': { type: 'token', provider: 'a', token: 'TOK', expires: NOW + 10 },
    'a:live': { type: 'oauth', provider: 'a', access: 'ACC', refresh: 'REF', expires: NOW + 60_000 },
    'a:stale': { type: 'oauth', provider: 'a', access: 'ACC', refresh: 'REF', expires: NOW - 1 },
    'a:empty': { type: 'api_key', provider: 'a', key: '' }
  }))
  const secret = (id: string, now = NOW): unknown => resolveSecret(byId(profiles, id) as Profile, now)
  t.same(secret('a:key'), { secret: 'KEY' })
  t.same(secret('a:tok'), { secret: 'TOK' })
  t.same(secret('a:tok', NOW + 10), { unusable: 'token expired' })
  t.same(secret('a:live'), { secret: 'ACC' })
  t.same(secret('a:stale'), { unusable: 'oauth token expired' })
  t.match(secret('a:empty'), { unusable: /empty api key/ })
})
