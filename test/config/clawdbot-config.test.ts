// rotor's loader takes a real Clawdbot config as is: Clawdbot-only settings are left out with
// one warning that lists them, unknown keys are still errors, Clawdbot's default agent rules
// it, and `gateway.port` (Clawdbot's own) does not move rotor's listener.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import { ConfigError } from '../../src/core/errors.ts'
import { clawdbotConfig } from '../helpers/clawdbot-home.ts'

function writeConfig (dir: string, name: string, config: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(config, null, 2))
  return path
}

t.test('a real clawdbot.json loads with one warning listing every setting rotor does not use', async (t) => {
  const dir = t.testdir({})
  const path = writeConfig(dir, 'clawdbot.json', clawdbotConfig('http://127.0.0.1:9/v1'))
  // GEMINI_API_KEY, TELEGRAM_BOT_TOKEN and CLAWDBOT_GATEWAY_TOKEN are unset: they sit in parts rotor leaves out.
  const cfg = loadConfig({ cliPath: path, env: {}, home: join(dir, 'rotor-home') })
  t.equal(cfg.warnings.length, 1, 'one warning')
  t.equal(cfg.warnings[0], `${path}: ignoring 27 Clawdbot settings rotor does not use: meta, env, wizard, tools, messages, commands, channels, skills, plugins, ` +
    'gateway.mode, gateway.bind, gateway.auth, gateway.port, logging.file, logging.consoleStyle, models.bedrockDiscovery, models.providers.openai.authHeader, ' +
    'models.providers.openai.models[0].compat, models.providers.google, agents.defaults.imageModel, agents.defaults.workspace, agents.defaults.heartbeat, ' +
    'agents.defaults.maxConcurrent, agents.list[0].name, agents.list[0].workspace, agents.list[1].name, agents.list[1].workspace (see `rotor import clawdbot --dry-run` for why)')
  t.equal(cfg.defaultAgent, 'main')
  t.strictSame([...cfg.agents.keys()].sort(), ['default', 'main', 'work'])
  t.equal(cfg.agents.get('main')?.primary, 'openai/gpt-5.2')
  t.equal(cfg.gateway.port, 8808, 'Clawdbot\'s gateway.port (18789) is not rotor\'s')
  t.equal(cfg.catalog.providers.get('google'), undefined, 'the google-generative-ai provider is left out')
  t.ok(cfg.catalog.providers.get('ollama')?.models.has('llama3.2'), 'the guide\'s "ollama/llama3.2" id is the model llama3.2')
  t.notOk(cfg.catalog.providers.get('ollama')?.models.has('ollama/llama3.2'))
  t.strictSame(cfg.auth.declared['anthropic:me@example.com'], { provider: 'anthropic', mode: 'oauth' })
  t.equal(cfg.auth.cooldowns.billingBackoffMs, 5 * 3_600_000)
  t.equal(cfg.logLevel, 'info')
})

t.test('a key neither Clawdbot nor rotor has is still an error, in a Clawdbot config too', async (t) => {
  const dir = t.testdir({})
  const config = clawdbotConfig('http://127.0.0.1:9/v1') as Record<string, Record<string, Record<string, unknown>>>
  config.agents.defaults = { ...config.agents.defaults, modle: 'x' }
  config.gatway = {}
  const path = writeConfig(dir, 'clawdbot.json', config)
  t.throws(() => loadConfig({ cliPath: path, env: {}, home: dir }), new ConfigError(`Invalid config ${path}: /gatway is not a known key; /agents/defaults/modle is not a known key`))
})

t.test('default agent: agents.list[].default in rotor\'s own config, `default` otherwise; Clawdbot\'s rule for a Clawdbot config', async (t) => {
  const dir = t.testdir({})
  const home = join(dir, 'home')
  const load = (name: string, config: unknown) => loadConfig({ cliPath: writeConfig(dir, name, config), env: {}, home })
  t.equal(load('rotor.json', {}).defaultAgent, 'default')
  t.equal(load('rotor.json', { agents: { list: [{ id: 'work' }] } }).defaultAgent, 'default', 'listing an agent does not make it the default')
  const marked = load('rotor.json', { agents: { list: [{ id: 'work' }, { id: 'main', default: true }] }, gateway: { clients: [{ name: 'app', key: 'client-key-123' }, { name: 'ci', key: 'client-key-456', agent: 'work' }] } })
  t.equal(marked.defaultAgent, 'main')
  t.strictSame(marked.gateway.clients.map((c) => [c.name, c.agent]), [['app', 'main'], ['ci', 'work']], 'a client without an agent gets the default agent')
  t.equal(load('clawdbot.json', {}).defaultAgent, 'main', 'Clawdbot without a list: main')
  t.equal(load('clawdbot.json', { agents: { list: [{ id: 'ops' }, { id: 'work' }] } }).defaultAgent, 'ops', 'Clawdbot: the first listed')
  t.ok(load('clawdbot.json', {}).agents.has('main'))
  const two = load('rotor.json', { agents: { list: [{ id: 'a', default: true }, { id: 'b', default: true }] } })
  t.equal(two.defaultAgent, 'a')
  t.match(two.warnings, [/a, b are all marked default; using a/])
  t.equal(load('custom.json', { meta: { lastTouchedVersion: '2026.1.24' } }).defaultAgent, 'main', 'a file with Clawdbot\'s meta block is a Clawdbot config whatever its name')
  t.equal(load('rotor.json', { gateway: { port: 9999 } }).gateway.port, 9999, 'in rotor\'s own config gateway.port is rotor\'s')
})

t.test('auth.order keyed by an agent name (as the Clawdbot guide writes it) is warned about', async (t) => {
  const dir = t.testdir({})
  const cfg = loadConfig({
    cliPath: writeConfig(dir, 'rotor.json', { auth: { order: { main: ['anthropic:me@example.com', 'anthropic:work'], anthropic: ['anthropic:work'] } }, agents: { list: [{ id: 'work', auth: { order: { default: ['x:y'] } } }] } }),
    env: {},
    home: dir,
  })
  t.strictSame(cfg.warnings, [
    'auth.order.main: "main" is an agent, not a provider, so this order applies to nothing; an agent\'s order goes in agents.list[].auth.order.<provider>, or run: rotor models auth order set --agent main --provider <provider> <profile ids…>',
    'agents.list[0].auth.order.default: "default" is an agent, not a provider, so this order applies to nothing; an agent\'s order goes in agents.list[].auth.order.<provider>, or run: rotor models auth order set --agent default --provider <provider> <profile ids…>',
  ])
  t.equal(loadConfig({ cliPath: writeConfig(dir, 'ok.json', { auth: { order: { anthropic: ['anthropic:work'] } } }), env: {}, home: dir }).warnings.length, 0, 'a provider key is not warned about')
})

t.test('auth.strategy is remembered as set or not (an explicit order is a priority list unless round-robin is written)', async (t) => {
  const dir = t.testdir({})
  const load = (config: unknown) => loadConfig({ cliPath: writeConfig(dir, 'rotor.json', config), env: {}, home: dir }).auth
  t.strictSame([load({}).strategy, load({}).strategySet], ['round-robin', false])
  t.strictSame([load({ auth: { strategy: 'round-robin' } }).strategy, load({ auth: { strategy: 'round-robin' } }).strategySet], ['round-robin', true])
})
