import t from 'tap'
import { join } from 'node:path'
import { EXAMPLE_CONFIG_PATH, loadConfig } from '../../src/config/load.ts'
import { ConfigError } from '../../src/core/errors.ts'

t.test('the packaged example loads with an empty environment and resolves gpt to openai/gpt-5.2', async (t) => {
  const home = t.testdir({})
  const cfg = loadConfig({ env: {}, home })
  t.equal(cfg.path, undefined)
  t.equal(cfg.home, home)
  const agent = cfg.agents.get('default')
  t.ok(agent)
  t.equal(agent?.aliases.get('gpt'), 'openai/gpt-5.2')
  t.equal(agent?.aliases.get('opus'), 'anthropic/claude-opus-4-5')
  t.equal(agent?.aliases.get('haiku'), 'anthropic/claude-haiku-4-5')
  t.equal(agent?.primary, 'anthropic/claude-opus-4-5')
  t.same(agent?.fallbacks, ['openai/gpt-5.2', 'openai/gpt-5-mini'])
  t.same(cfg.gateway, {
    host: '127.0.0.1', port: 8808, authNone: false, clients: [], adminKey: undefined,
    bodyLimitBytes: 10485760, firstByteTimeoutMs: 60000, requestTimeoutMs: 600000,
    requestBodyTimeoutMs: 30000,
    idleTimeoutMs: 120000, upstreamConnections: 1024,
  })
  t.strictSame(cfg.state, { store: 'memory', redis: { kind: 'url', url: 'redis://127.0.0.1:6379' }, prefix: 'rotor:' })
  t.ok(cfg.catalog.providers.get('openai')?.models.has('gpt-5.2'))
  t.ok(EXAMPLE_CONFIG_PATH.endsWith(join('config', 'rotor.example.json5')))
})

t.test('the timeout and pool keys are read from gateway', async (t) => {
  const home = t.testdir({
    'rotor.json': '{ gateway: { firstByteTimeoutMs: 1000, requestTimeoutMs: 5000, idleTimeoutMs: 2000, upstreamConnections: 8 } }',
  })
  const g = loadConfig({ env: {}, home }).gateway
  t.strictSame([g.firstByteTimeoutMs, g.requestTimeoutMs, g.idleTimeoutMs, g.upstreamConnections], [1000, 5000, 2000, 8])
  const bad = t.testdir({ 'rotor.json': '{ gateway: { upstreamConnections: 0 } }' })
  t.throws(() => loadConfig({ env: {}, home: bad }), /upstreamConnections/)
})

t.test('a JSON5 file loads with comments, trailing commas and ${VAR}', async (t) => {
  const home = t.testdir({
    'rotor.json': `// comment
      { gateway: { port: 9000, clients: [ { name: "app", key: "\${APP_KEY}", }, ], },
        models: { providers: { openai: { apiKey: "\${OPENAI_KEY}" } } } }`,
  })
  const cfg = loadConfig({ env: { APP_KEY: 'client-key-123', OPENAI_KEY: 'sk-test-1234' }, home })
  t.equal(cfg.path, join(home, 'rotor.json'))
  t.equal(cfg.gateway.port, 9000)
  t.same(cfg.gateway.clients, [{ name: 'app', key: 'client-key-123', agent: 'default' }])
  t.equal(cfg.catalog.providers.get('openai')?.apiKey, 'sk-test-1234')
})

t.test('a YAML file loads', async (t) => {
  const home = t.testdir({
    'rotor.yaml': [
      'gateway:',
      '  host: 0.0.0.0',
      '  auth: none',
      'agents:',
      '  defaults:',
      '    model: openai/gpt-5.2',
      'logging:',
      '  level: debug',
      '',
    ].join('\n'),
  })
  const cfg = loadConfig({ env: {}, home })
  t.equal(cfg.path, join(home, 'rotor.yaml'))
  t.equal(cfg.gateway.host, '0.0.0.0')
  t.equal(cfg.gateway.authNone, true)
  t.equal(cfg.agents.get('default')?.primary, 'openai/gpt-5.2')
  t.same(cfg.agents.get('default')?.fallbacks, [])
  t.equal(cfg.logLevel, 'debug')
})

t.test('a missing variable in the file names the variable, the config path and the file', async (t) => {
  const home = t.testdir({ 'rotor.json': '{ models: { providers: { openai: { apiKey: "${OPENAI_KEY}" } } } }' })
  const err = t.throws(() => loadConfig({ env: {}, home })) as Error
  t.type(err, ConfigError)
  t.match(err.message, 'Missing env var "OPENAI_KEY" referenced at config path: models.providers.openai.apiKey')
  t.match(err.message, join(home, 'rotor.json'))
})

t.test('a parse error names the file and the line', async (t) => {
  const home = t.testdir({ 'rotor.json': '{\n  gateway: {\n    port: 80 80\n  }\n}\n' })
  const err = t.throws(() => loadConfig({ env: {}, home })) as Error
  t.type(err, ConfigError)
  t.match(err.message, `Cannot parse config ${join(home, 'rotor.json')} at line 3`)

  const yhome = t.testdir({ 'rotor.yml': 'gateway:\n  port: [1\nsecret: sk-live-abcdef\n' })
  const yerr = t.throws(() => loadConfig({ env: {}, home: yhome })) as Error
  t.type(yerr, ConfigError)
  t.match(yerr.message, /Cannot parse config .*rotor\.yml at line \d+/)
  t.notMatch(yerr.message, 'sk-live-abcdef', 'the file content is not quoted')
})

t.test('schema errors are readable, one line per path', async (t) => {
  const home = t.testdir({
    'rotor.json': JSON.stringify({ gateway: { port: 'x', bogus: 1 }, logging: { level: 'loud' }, agents: { defaults: { model: 5 } } }),
  })
  const err = t.throws(() => loadConfig({ env: {}, home })) as Error
  t.type(err, ConfigError)
  const file = join(home, 'rotor.json')
  t.match(err.message, `Invalid config ${file}: `)
  t.match(err.message, '/gateway/port must be integer')
  t.match(err.message, '/gateway/bogus is not a known key')
  t.match(err.message, '/logging/level must be one of fatal, error, warn, info, debug, trace, silent')
  t.match(err.message, '/agents/defaults/model must be string or object')
  t.notMatch(err.message, 'must be equal to constant')
  t.notMatch(err.message, 'anyOf')
})

t.test('a provider id outside [a-z0-9-] is rejected', async (t) => {
  const home = t.testdir({ 'rotor.json': '{ models: { providers: { OpenAI: { baseUrl: "https://x" } } } }' })
  t.throws(() => loadConfig({ env: {}, home }), { message: /models\.providers\.OpenAI: provider ids must match/ })
})

t.test('an explicit config path that does not exist is an error', async (t) => {
  t.throws(() => loadConfig({ cliPath: '/nonexistent/rotor.json', env: {}, home: t.testdir({}) }), {
    message: 'Config file not found: /nonexistent/rotor.json (from --config)',
  })
  t.throws(() => loadConfig({ env: { ROTOR_CONFIG: '/nonexistent/r.yaml' }, home: t.testdir({}) }), {
    message: 'Config file not found: /nonexistent/r.yaml (from ROTOR_CONFIG)',
  })
})

t.test('host and port: CLI overrides beat ROTOR_HOST/ROTOR_PORT, which beat the file', async (t) => {
  const home = t.testdir({ 'rotor.json': '{ gateway: { host: "10.0.0.1", port: 7000 } }' })
  const fromFile = loadConfig({ env: {}, home })
  t.equal(fromFile.gateway.host, '10.0.0.1')
  t.equal(fromFile.gateway.port, 7000)
  const fromEnv = loadConfig({ env: { ROTOR_HOST: '0.0.0.0', ROTOR_PORT: '7100' }, home })
  t.equal(fromEnv.gateway.host, '0.0.0.0')
  t.equal(fromEnv.gateway.port, 7100)
  const fromCli = loadConfig({ env: { ROTOR_HOST: '0.0.0.0', ROTOR_PORT: '7100' }, home, overrides: { host: '127.0.0.2', port: 0 } })
  t.equal(fromCli.gateway.host, '127.0.0.2')
  t.equal(fromCli.gateway.port, 0)
  t.throws(() => loadConfig({ env: { ROTOR_PORT: 'eighty' }, home }), { message: 'ROTOR_PORT must be an integer port 0-65535' })
})

t.test('state: ROTOR_STATE beats the file; Redis URL from config, else REDIS_URL', async (t) => {
  const home = t.testdir({ 'rotor.json': '{ state: { store: "memory", redis: { prefix: "r1:" } } }' })
  const cfg = loadConfig({ env: { ROTOR_STATE: 'redis', REDIS_URL: 'redis://10.1.1.1:6380' }, home })
  t.strictSame(cfg.state, { store: 'redis', redis: { kind: 'url', url: 'redis://10.1.1.1:6380' }, prefix: 'r1:' })
  const home2 = t.testdir({ 'rotor.json': '{ state: { store: "redis", redis: { url: "redis://cfg:1" } } }' })
  t.strictSame(loadConfig({ env: { REDIS_URL: 'redis://env:2' }, home: home2 }).state, { store: 'redis', redis: { kind: 'url', url: 'redis://cfg:1' }, prefix: 'rotor:' })
  t.throws(() => loadConfig({ env: { ROTOR_STATE: 'etcd' }, home }), { message: /ROTOR_STATE must be "memory" or "redis"/ })
})

t.test('auth settings resolve to milliseconds with defaults', async (t) => {
  const home = t.testdir({
    'rotor.json': JSON.stringify({
      auth: {
        strategy: 'ordered',
        profiles: { 'anthropic:claude-cli': { provider: 'anthropic', mode: 'oauth' } },
        cooldowns: { billingBackoffHours: 2, billingBackoffHoursByProvider: { openai: 1 } },
        sessionTtlMinutes: 5,
      },
    }),
  })
  const cfg = loadConfig({ env: {}, home })
  t.equal(cfg.auth.strategy, 'ordered')
  t.same(cfg.auth.declared, { 'anthropic:claude-cli': { provider: 'anthropic', mode: 'oauth' } })
  t.same(cfg.auth.cooldowns, {
    billingBackoffMs: 2 * 3600000,
    billingBackoffMsByProvider: { openai: 3600000 },
    billingMaxMs: 24 * 3600000,
    failureWindowMs: 24 * 3600000,
  })
  t.equal(cfg.auth.sessionTtlMs, 5 * 60000)
})

t.test('agents inherit the defaults and override model, aliases and auth order', async (t) => {
  const home = t.testdir({
    'rotor.json': JSON.stringify({
      gateway: { clients: [{ name: 'ops', key: 'ops-key-123', agent: 'ops' }] },
      agents: {
        defaults: {
          model: { primary: 'anthropic/claude-opus-4-5', fallbacks: ['openai/gpt-5.2'] },
          models: {
            'anthropic/claude-opus-4-5': { alias: 'Opus' },
            'anthropic/claude-sonnet-4-5': {},
            'openai/gpt-5.2': { alias: 'big' },
          },
        },
        list: [
          { id: 'work', model: 'openai/gpt-5.2', models: { 'openai/gpt-5-mini': { alias: 'big' } }, auth: { order: { anthropic: ['anthropic:work'] } } },
          { id: 'solo', model: { fallbacks: [] } },
        ],
      },
      auth: { order: { anthropic: ['anthropic:me'], openai: ['openai:a'] } },
    }),
  })
  const cfg = loadConfig({ env: {}, home })
  const def = cfg.agents.get('default')
  t.equal(def?.aliases.get('opus'), 'anthropic/claude-opus-4-5', 'aliases are lower-cased')
  t.equal(def?.aliases.get('sonnet'), 'anthropic/claude-sonnet-4-5', 'a built-in alias fills an entry without alias')
  t.equal(def?.aliases.get('gpt'), undefined, 'a built-in alias never replaces an explicit one')
  t.equal(def?.aliases.get('haiku'), undefined, 'built-in aliases only for listed refs')
  t.same(def?.configOrder, { anthropic: ['anthropic:me'], openai: ['openai:a'] })

  const work = cfg.agents.get('work')
  t.equal(work?.primary, 'openai/gpt-5.2')
  t.same(work?.fallbacks, ['openai/gpt-5.2'], 'a string model keeps the default fallbacks')
  t.equal(work?.aliases.get('big'), 'openai/gpt-5-mini', 'the agent wins an alias clash')
  t.equal(work?.aliases.get('opus'), 'anthropic/claude-opus-4-5')
  t.same(work?.configOrder, { anthropic: ['anthropic:work'], openai: ['openai:a'] })

  const solo = cfg.agents.get('solo')
  t.equal(solo?.primary, 'anthropic/claude-opus-4-5')
  t.same(solo?.fallbacks, [])

  t.equal(cfg.agents.get('ops')?.primary, 'anthropic/claude-opus-4-5', 'a client agent without a list entry gets the defaults')
})

t.test('two clients with the same key are rejected without printing the key', async (t) => {
  const home = t.testdir({
    'rotor.json': JSON.stringify({ gateway: { clients: [{ name: 'a', key: 'same-key-123' }, { name: 'b', key: 'same-key-123' }] } }),
  })
  const err = t.throws(() => loadConfig({ env: {}, home })) as Error
  t.match(err.message, 'clients "a" and "b" have the same key')
  t.notMatch(err.message, 'same-key-123')
})
