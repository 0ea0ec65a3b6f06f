// The CLI with a Clawdbot setup: one warning for the Clawdbot settings it ignores, the config's
// default agent without --agent, and clear-cooldown refusing a profile that does not exist.
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { writeClawdbotHome } from '../helpers/clawdbot-home.ts'
import { cliHome } from './cli-env.ts'

t.test('a command run on clawdbot.json warns once about the settings rotor ignores, and works on agent main', async (t) => {
  const h = await cliHome(t)
  const claw = writeClawdbotHome(join(h.home, '.clawdbot'), 'http://127.0.0.1:9/v1', Date.now())
  // One shared store: rotor's home is Clawdbot's state directory.
  const env = { ROTOR_HOME: claw.stateDir }
  const status = await h.cli(['models', 'status', '--config', claw.configPath], undefined, env)
  t.equal(status.code, 0, status.stderr)
  const warnings = status.stderr.split('\n').filter((l) => l.startsWith('warning: '))
  t.equal(warnings.length, 1, 'one warning')
  t.match(warnings[0], `warning: ${claw.configPath}: ignoring 27 Clawdbot settings rotor does not use: meta, env, wizard,`)
  t.match(status.stdout, /anthropic:work\s+api_key\s+file\s+disabled/, 'main\'s profiles, with Clawdbot\'s billing disable')
  const r = await h.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--config', claw.configPath], undefined, env)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'Agent: main')
  t.match(r.stdout, `Auth file: ${join(claw.stateDir, 'agents', 'main', 'agent', 'auth-profiles.json')}`)
  t.match(r.stdout, 'Order: anthropic:me@example.com, anthropic:work')
})

t.test('the guide\'s auth.order.main is warned about on the command line', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({ auth: { order: { main: ['anthropic:me@example.com', 'anthropic:work'] } } })
  const r = await h.cli(['models', 'list'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, 'warning: auth.order.main: "main" is an agent, not a provider, so this order applies to nothing')
})

t.test('clear-cooldown --profile-id of a profile that does not exist is an error, exit 1, and changes nothing', async (t) => {
  const h = await cliHome(t)
  h.writeConfig({})
  const auth = { version: 1, profiles: { 'anthropic:me@example.com': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-cli-test-key-1234' } }, usageStats: { 'anthropic:me@example.com': { errorCount: 1, cooldownUntil: Date.now() + 60_000, cooldownReason: 'timeout' } } }
  h.writeAuth(auth)
  const r = await h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'anthropic', '--profile-id', 'anthropic:me@exmaple.com'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.equal(r.stderr, 'rotor: Auth profile "anthropic:me@exmaple.com" not found for agent default (see rotor models auth list)\n')
  t.strictSame(h.readAuth(), auth, 'the file is untouched')
  const ok = await h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'anthropic', '--profile-id', 'anthropic:me@example.com'])
  t.equal(ok.code, 0, ok.stderr)
  t.equal(ok.stdout, 'Cooldown cleared: anthropic:me@example.com\n')
})

t.test('without --agent the CLI acts on the config\'s default agent', async (t) => {
  const h = await cliHome(t)
  writeFileSync(h.configFile, JSON.stringify({ agents: { list: [{ id: 'main', default: true }] } }))
  const r = await h.cli(['models', 'auth', 'add', '--provider', 'openai', '--key', 'sk-proj-default-agent-test-1234'])
  t.equal(r.code, 0, r.stderr)
  t.strictSame(Object.keys(h.readAuth('main').profiles as object), ['openai:default'])
})
