import t from 'tap'
import { chmodSync, writeFileSync } from 'node:fs'
import { deadPort } from '../helpers/fake-upstream.ts'
import { cliHome, ANTHROPIC_KEY } from './cli-env.ts'

const PRIMARY_ONLY = { agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-5' } } } }
const STORED = { version: 1, profiles: { 'anthropic:default': { type: 'api_key', provider: 'anthropic', key: ANTHROPIC_KEY } } }

interface DoctorJson { ok: boolean, problems: Array<{ check: string, message: string, fix: string }> }

t.test('a good config prints OK alone and exits 0', async (t) => {
  const h = await cliHome(t)
  t.equal((await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])).code, 0)
  const r = await h.cli(['doctor'])
  t.equal(r.stdout, 'OK\n', r.stdout)
  t.equal(r.code, 0)
  const json = await h.json(['doctor', '--json'])
  t.same(json, { ok: true, problems: [] })
})

t.test('a missing env var is named with the fix', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({ ...PRIMARY_ONLY, models: { providers: { openai: { apiKey: '${OPENAI_KEY_FOR_DOCTOR}' } } } })
  h.writeAuth(STORED)
  const r = await h.cli(['doctor'])
  t.equal(r.code, 1)
  t.match(r.stdout, 'Missing env var "OPENAI_KEY_FOR_DOCTOR" referenced at config path: models.providers.openai.apiKey')
  t.match(r.stdout, `fix: set OPENAI_KEY_FOR_DOCTOR in the environment or remove it from models.providers.openai.apiKey in ${h.configFile}`)
  const ok = await h.cli(['doctor'], undefined, { OPENAI_KEY_FOR_DOCTOR: 'sk-set-IIIIIIIIIIIIIIIIIIII' })
  t.equal(ok.stdout, 'OK\n')
  t.equal(ok.code, 0)
})

t.test('a declared mode that disagrees with the stored credential is reported with its fix', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({ ...PRIMARY_ONLY, auth: { profiles: { 'anthropic:default': { provider: 'anthropic', mode: 'oauth' } } } })
  h.writeAuth(STORED)
  const r = await h.cli(['doctor', '--json'])
  t.equal(r.code, 1)
  const out = JSON.parse(r.stdout) as DoctorJson
  t.equal(out.ok, false)
  const mode = out.problems.find((p) => p.check === 'mode')
  t.match(mode?.message, 'auth.profiles["anthropic:default"].mode is "oauth" but the stored credential is "api_key"')
  t.match(mode?.fix, 'rotor models auth login --provider anthropic')
})

t.test('a credentials file readable by others gets "chmod 600 <path>"', async (t) => {
  const h = await cliHome(t)
  h.writeConfig(PRIMARY_ONLY)
  h.writeAuth(STORED)
  chmodSync(h.authFile, 0o644)
  const r = await h.cli(['doctor'])
  t.equal(r.code, 1)
  t.match(r.stdout, `${h.authFile} is readable by other users (mode 0644)`)
  t.match(r.stdout, `fix: chmod 600 ${h.authFile}`)
})

t.test('a primary model without credentials names the onboard command and the variable', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({ agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-5', fallbacks: ['openai/gpt-5.2', 'ollama/llama3.2'] } } } })
  const r = await h.cli(['doctor'])
  t.equal(r.code, 1)
  t.match(r.stdout, 'No credentials for anthropic, needed by the primary model anthropic/claude-opus-4-5 of agent default')
  t.match(r.stdout, 'fix: run rotor onboard --anthropic-api-key … or set ANTHROPIC_API_KEY')
  t.match(r.stdout, 'fix: run rotor onboard --openai-api-key … or set OPENAI_API_KEY')
  t.notMatch(r.stdout, 'ollama', 'a keyless provider needs no credentials')
  const withEnv = await h.cli(['doctor'], undefined, { ANTHROPIC_API_KEY: 'sk-ant-env-JJJJJJJJJJJJJJJJ', OPENAI_API_KEY: 'sk-env-KKKKKKKKKKKKKKKKKK' })
  t.equal(withEnv.stdout, 'OK\n', 'environment keys count as credentials')
})

t.test('an expired oauth token without a refresh token is reported', async (t) => {
  const h = await cliHome(t)
  h.writeConfig(PRIMARY_ONLY)
  h.writeAuth({ version: 1, profiles: { ...STORED.profiles, 'anthropic:claude-cli': { type: 'oauth', provider: 'anthropic', access: 'sk-ant-oat01-oldLLLLLLLLLLLLLLLL', refresh: '', expires: Date.now() - 3_600_000 } } })
  const r = await h.cli(['doctor', '--json'])
  t.equal(r.code, 1)
  const out = JSON.parse(r.stdout) as DoctorJson
  t.match(out.problems, [{ check: 'oauth', message: /anthropic:claude-cli expired .* no refresh token/, fix: /paste-token --provider anthropic/ }])
  t.notMatch(r.stdout, 'oldLLLL', 'no secret in the report')
})

t.test('an unreachable Redis is reported with the fix, without its password', async (t) => {
  const h = await cliHome(t)
  const port = await deadPort()
  h.writeConfig({ ...PRIMARY_ONLY, state: { store: 'redis', redis: { url: `redis://:s3cretpass@127.0.0.1:${port}` } } })
  h.writeAuth(STORED)
  const started = Date.now()
  const r = await h.cli(['doctor'])
  t.equal(r.code, 1)
  t.match(r.stdout, `fix: start Redis at redis://:***@127.0.0.1:${port} or set state.store to memory`)
  t.notMatch(r.stdout, 's3cretpass')
  t.ok(Date.now() - started < 5000, 'doctor does not hang on a dead Redis')
})

t.test('an invalid config (schema) is a problem, and so is a corrupt credentials file', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({ ...PRIMARY_ONLY, gateway: { port: 'eighty' } })
  h.writeAuth(STORED)
  writeFileSync(h.authFile, '{not json', { mode: 0o600 })
  const r = await h.cli(['doctor', '--json'])
  t.equal(r.code, 1)
  const out = JSON.parse(r.stdout) as DoctorJson
  t.ok(out.problems.some((p) => p.check === 'schema' && /gateway\/port/.test(p.message)), JSON.stringify(out.problems))
  t.ok(out.problems.some((p) => p.check === 'credentials' && /not valid JSON/.test(p.message)))
})
