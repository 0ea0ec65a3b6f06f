// `rotor import clawdbot` on a Clawdbot home with two agents (main, work), OAuth + api_key +
// token profiles, cooldowns and a realistic clawdbot.json: the dry run, the import, a request
// served with the imported credentials.
import t from 'tap'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { completion, startFakeUpstream, type RecordedRequest } from '../helpers/fake-upstream.ts'
import { CLAWDBOT_SECRETS, writeClawdbotHome } from '../helpers/clawdbot-home.ts'
import { RotorWrittenStore, schemaProblems } from '../helpers/clawdbot-types.ts'
import { cliHome } from './cli-env.ts'

function readJson (path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
}

t.test('import clawdbot: a dry run lists everything and writes nothing, the import copies it, and the gateway serves with it', async (t) => {
  const requests: RecordedRequest[] = []
  const up = await startFakeUpstream((req) => { requests.push(req); return { body: completion('hello from the imported key', String(req.body.model)) } })
  t.teardown(() => up.close())
  const h = await cliHome(t, { gateway: true })
  const now = Date.now()
  // HOME is the temp home: the default ~/.clawdbot is found without --from.
  const claw = writeClawdbotHome(join(h.home, '.clawdbot'), `${up.url}/v1`, now)
  const agentFile = (agent: string): string => join(h.home, 'agents', agent, 'agent', 'auth-profiles.json')

  const dry = await h.cli(['import', 'clawdbot', '--dry-run'])
  t.equal(dry.code, 0, dry.stderr)
  t.comment(`\n${dry.stdout}`)
  const out = dry.stdout
  t.match(out, `Clawdbot: ${claw.stateDir} (config ${claw.configPath})`)
  t.match(out, `Config → ${join(h.home, 'rotor.json')}`)
  t.match(out, 'default agent: main')
  t.match(out, `agent main (default) → ${agentFile('main')}`)
  t.match(out, /\+ anthropic:me@example\.com \(oauth, expires in (1h00m|59m\d\ds)\)/)
  t.match(out, '+ anthropic:work (api_key)')
  t.match(out, /\+ anthropic:manual \(token, expires in \d+d/)
  t.match(out, '+ openai:default (api_key)')
  t.match(out, 'order: anthropic [anthropic:me@example.com, anthropic:work]')
  t.match(out, 'usage stats (cooldowns, disables, last use): anthropic:me@example.com, anthropic:work, openai:default')
  t.match(out, `agent work → ${agentFile('work')}`)
  t.match(out, '+ openai:work (api_key)')
  t.match(out, '+ anthropic:work (api_key), inherited from main as Clawdbot shares it')
  t.match(out, /- anthropic:me@example\.com \(oauth\): not copied — .*rotating refresh token/)
  t.match(out, 'Ignored (rotor does not use these):')
  for (const path of ['meta', 'wizard', 'env', 'channels', 'tools', 'messages', 'commands', 'skills', 'plugins', 'gateway.mode', 'gateway.bind', 'gateway.auth', 'gateway.port',
    'logging.file', 'logging.consoleStyle', 'models.bedrockDiscovery', 'models.providers.openai.authHeader', 'models.providers.openai.models[0].compat',
    'models.providers.google', 'agents.defaults.imageModel', 'agents.defaults.workspace', 'agents.defaults.maxConcurrent', 'agents.defaults.heartbeat',
    'agents.list[0].name', 'agents.list[0].workspace', 'agents.list[1].name', 'agents.list[1].workspace']) {
    t.match(out, new RegExp(`(^|[ ,])${path.replace(/[.[\]]/g, (c) => `\\${c}`)}(,|\\n)`, 'm'), `lists ${path}`)
  }
  t.match(out, /why: no rotor adapter for the Gemini API/)
  t.match(out, 'Dry run: nothing written.')
  for (const secret of Object.values(CLAWDBOT_SECRETS)) t.notMatch(dry.stdout + dry.stderr, secret, 'no secret printed')
  t.notOk(existsSync(join(h.home, 'rotor.json')), 'no config written')
  t.notOk(existsSync(join(h.home, 'agents')), 'no credentials written')

  const run = await h.cli(['import', 'clawdbot'])
  t.equal(run.code, 0, run.stderr)
  for (const secret of Object.values(CLAWDBOT_SECRETS)) t.notMatch(run.stdout + run.stderr, secret)

  // Credentials: 0600, every profile of the agent as Clawdbot had it, in rotor's (Clawdbot-readable) format.
  const main = readJson(agentFile('main'))
  t.equal(statSync(agentFile('main')).mode & 0o777, 0o600)
  t.strictSame(schemaProblems(RotorWrittenStore, main), [])
  t.strictSame(main.profiles, claw.main.profiles, 'main: the same profiles, secrets included')
  t.strictSame(main.order, claw.main.order)
  t.strictSame(main.lastGood, claw.main.lastGood)
  const stats = main.usageStats as Record<string, Record<string, unknown>>
  t.equal(stats['anthropic:me@example.com'].cooldownUntil, claw.main.usageStats?.['anthropic:me@example.com']?.cooldownUntil, 'the cooldown comes along')
  t.equal(stats['anthropic:work'].disabledUntil, claw.main.usageStats?.['anthropic:work']?.disabledUntil, 'so does the billing disable')
  const work = readJson(agentFile('work'))
  t.strictSame(Object.keys(work.profiles as object).sort(), ['anthropic:manual', 'anthropic:work', 'openai:default', 'openai:work'])

  // Config: models, agents and auth as Clawdbot had them, the default agent marked, nothing Clawdbot-only.
  const config = readJson(join(h.home, 'rotor.json'))
  t.equal(statSync(join(h.home, 'rotor.json')).mode & 0o777, 0o600)
  t.strictSame(config.agents, {
    defaults: claw.config.agents !== undefined ? { model: { primary: 'openai/gpt-5.2', fallbacks: ['anthropic/claude-opus-4-5'] }, models: { 'anthropic/claude-opus-4-5': { alias: 'opus' }, 'openai/gpt-5.2': { alias: 'gpt' } } } : {},
    list: [{ id: 'main', default: true }, { id: 'work', model: { primary: 'openai/gpt-5.2' } }],
  })
  t.strictSame(config.auth, (claw.config as { auth: unknown }).auth)
  t.strictSame(Object.keys((config.models as { providers: object }).providers), ['openai', 'ollama'])
  t.equal(config.gateway, undefined, 'Clawdbot\'s gateway settings are not rotor\'s')

  // Idempotent: a second run changes nothing and says so.
  const again = await h.cli(['import', 'clawdbot'])
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, '= openai:default (api_key): already in rotor')
  t.match(again.stdout, `Config → ${join(h.home, 'rotor.clawdbot.json')} (${join(h.home, 'rotor.json')} exists and is left as is`)

  // A request with the imported setup: agent main (the default), its primary, its key.
  const gw = await h.serve()
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }) })
  t.equal(res.status, 200, await res.clone().text())
  t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5.2')
  t.equal(res.headers.get('x-rotor-profile'), 'openai:default')
  t.equal(requests.at(-1)?.headers.authorization, `Bearer ${CLAWDBOT_SECRETS.openaiKey}`, 'the imported key reached the upstream')
  const status = await (await fetch(`${gw.url}/admin/status`)).json() as { agent: string, profiles: Array<{ id: string, state: string }> }
  t.equal(status.agent, 'main', 'the admin API\'s default agent is main too')
  t.equal(status.profiles.find((p) => p.id === 'anthropic:work')?.state, 'disabled', 'Clawdbot\'s billing disable holds in rotor')
})

t.test('import clawdbot honours --from, CLAWDBOT_STATE_DIR and CLAWDBOT_CONFIG_PATH, and fails clearly without a Clawdbot home', async (t) => {
  const h = await cliHome(t)
  const now = Date.now()
  const elsewhere = join(h.home, 'srv', 'clawdbot-state')
  writeClawdbotHome(elsewhere, 'http://127.0.0.1:9/v1', now)

  const missing = await h.cli(['import', 'clawdbot', '--dry-run'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, `No Clawdbot state directory at ${join(h.home, '.clawdbot')} (use --from DIR or set CLAWDBOT_STATE_DIR)`)

  const viaFlag = await h.cli(['import', 'clawdbot', '--dry-run', '--from', elsewhere])
  t.equal(viaFlag.code, 0, viaFlag.stderr)
  t.match(viaFlag.stdout, `Clawdbot: ${elsewhere} (config ${join(elsewhere, 'clawdbot.json')})`)

  const viaEnv = await h.cli(['import', 'clawdbot', '--dry-run'], undefined, { CLAWDBOT_STATE_DIR: elsewhere, CLAWDBOT_CONFIG_PATH: join(elsewhere, 'clawdbot.json') })
  t.equal(viaEnv.code, 0, viaEnv.stderr)
  t.match(viaEnv.stdout, `Clawdbot: ${elsewhere} (config ${join(elsewhere, 'clawdbot.json')})`)
  t.match(viaEnv.stdout, '+ openai:work (api_key)')
})
