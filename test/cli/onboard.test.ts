import t from 'tap'
import { mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { cliHome, ANTHROPIC_KEY, OPENAI_KEY } from './cli-env.ts'

t.test('onboard --anthropic-api-key creates a 0600 credentials file with anthropic:default and sets the primary', async (t) => {
  const h = await cliHome(t)
  const r = await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'Auth profile added: anthropic:default (api_key)')
  t.notMatch(r.stdout + r.stderr, ANTHROPIC_KEY, 'the key is never printed')
  t.equal(statSync(h.authFile).mode & 0o777, 0o600)
  const auth = h.readAuth() as { profiles: Record<string, unknown> }
  t.same(auth.profiles['anthropic:default'], { type: 'api_key', provider: 'anthropic', key: ANTHROPIC_KEY })
  const config = h.readConfig() as { agents: { defaults: { model: { primary: string, fallbacks: string[] }, models: Record<string, { alias: string }> } } }
  t.equal(config.agents.defaults.model.primary, 'anthropic/claude-opus-4-5')
  t.same(config.agents.defaults.model.fallbacks, [])
  t.same(config.agents.defaults.models['anthropic/claude-opus-4-5'], { alias: 'opus' })
  t.equal(statSync(h.configFile).mode & 0o777, 0o600, 'a new config is created 0600')
})

t.test('a second provider becomes a fallback with its alias; the primary stays', async (t) => {
  const h = await cliHome(t)
  t.equal((await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])).code, 0)
  const r = await h.cli(['onboard', '--openai-api-key', OPENAI_KEY])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'Fallback added: openai/gpt-5.2')
  const config = h.readConfig() as { agents: { defaults: { model: { primary: string, fallbacks: string[] }, models: Record<string, { alias: string }> } } }
  t.equal(config.agents.defaults.model.primary, 'anthropic/claude-opus-4-5')
  t.same(config.agents.defaults.model.fallbacks, ['openai/gpt-5.2'])
  t.same(config.agents.defaults.models['openai/gpt-5.2'], { alias: 'gpt' })
  // Onboarding the same provider again changes no model settings.
  const again = await h.cli(['onboard', '--openai-api-key', OPENAI_KEY])
  t.equal(again.code, 0)
  t.same((h.readConfig() as typeof config).agents.defaults.model.fallbacks, ['openai/gpt-5.2'])
})

t.test('onboard keeps ${VAR} references and other keys of an existing config', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({ logging: { level: 'warn' }, models: { providers: { openai: { apiKey: '${MY_OPENAI_KEY}' } } } })
  const r = await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY], undefined, { MY_OPENAI_KEY: 'sk-from-env-CCCCCCCCCCCCCCCC' })
  t.equal(r.code, 0, r.stderr)
  const config = h.readConfig() as { logging: unknown, models: { providers: { openai: { apiKey: string } } }, agents: { defaults: { model: { primary: string } } } }
  t.equal(config.models.providers.openai.apiKey, '${MY_OPENAI_KEY}')
  t.same(config.logging, { level: 'warn' })
  t.equal(config.agents.defaults.model.primary, 'anthropic/claude-opus-4-5')
})

t.test('--auth-choice <provider>-api-key --token stores <provider>:default', async (t) => {
  const h = await cliHome(t)
  const key = 'sk-or-v1-abcdefabcdefabcdef9999'
  const r = await h.cli(['onboard', '--auth-choice', 'openrouter-api-key', '--token', key])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'Auth profile added: openrouter:default (api_key)')
  const auth = h.readAuth() as { profiles: Record<string, unknown> }
  t.same(auth.profiles['openrouter:default'], { type: 'api_key', provider: 'openrouter', key })
  const config = h.readConfig() as { agents: { defaults: { model: { primary: string } } } }
  t.match(config.agents.defaults.model.primary, /^openrouter\//)
})

t.test('--openai-codex imports ~/.codex/auth.json as openai-codex:codex-cli with the JWT expiry', async (t) => {
  const h = await cliHome(t)
  const exp = Math.floor(Date.now() / 1000) + 7200
  const payload = Buffer.from(JSON.stringify({ exp, sub: 'user' })).toString('base64url')
  const access = `eyJhbGciOiJSUzI1NiJ9.${payload}.c2lnbmF0dXJl`
  mkdirSync(join(h.home, '.codex'), { recursive: true })
  writeFileSync(join(h.home, '.codex', 'auth.json'), JSON.stringify({ tokens: { access_token: access, refresh_token: 'rt_codex_refresh_token_1234', id_token: 'x', account_id: 'acct-1' }, last_refresh: new Date().toISOString() }))
  const r = await h.cli(['onboard', '--openai-codex'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'Auth profile added: openai-codex:codex-cli (oauth)')
  const auth = h.readAuth() as { profiles: Record<string, Record<string, unknown>> }
  t.match(auth.profiles['openai-codex:codex-cli'], { type: 'oauth', provider: 'openai-codex', access, refresh: 'rt_codex_refresh_token_1234', expires: exp * 1000, accountId: 'acct-1' })
  const config = h.readConfig() as { agents: { defaults: { model: { primary: string } } } }
  t.equal(config.agents.defaults.model.primary, 'openai-codex/gpt-5.2')
})

t.test('--openai-codex without a Codex login fails with exit 1 and says what to do', async (t) => {
  const h = await cliHome(t)
  const r = await h.cli(['onboard', '--openai-codex'])
  t.equal(r.code, 1)
  t.match(r.stderr, 'codex login')
  t.notOk(existsSync(h.configFile), 'nothing written')
})

t.test('onboard --agent writes that agent\'s credentials file', async (t) => {
  const h = await cliHome(t)
  const r = await h.cli(['onboard', '--agent', 'work', '--openai-api-key', OPENAI_KEY])
  t.equal(r.code, 0, r.stderr)
  const auth = h.readAuth('work') as { profiles: Record<string, unknown> }
  t.ok(auth.profiles['openai:default'])
  t.notOk(existsSync(h.authFile), 'the default agent is untouched')
})

t.test('usage errors exit 2: no credential flag, --token alone, unknown choice, unknown command or option', async (t) => {
  const h = await cliHome(t)
  for (const args of [
    ['onboard'],
    ['onboard', '--token', 'x'],
    ['onboard', '--auth-choice', 'magic', '--token', 'abc'],
    ['onboard', '--auth-choice', 'openai-api-key'],
    ['bogus'],
    ['onboard', '--no-such-flag'],
    ['models', 'set'],
    ['models', 'auth', 'paste-token'],
  ]) {
    const r = await h.cli(args)
    t.equal(r.code, 2, `rotor ${args.join(' ')} → 2 (${r.stderr.trim()})`)
  }
})
