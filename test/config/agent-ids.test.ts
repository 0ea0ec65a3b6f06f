// Agent ids name directories under $ROTOR_HOME/agents, so one rule applies everywhere:
// ^[a-z0-9][a-z0-9_-]{0,63}$ — a config load error, a CLI usage error (exit 2), and a path
// builder that refuses anything else even when a caller forgot to check.
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { agentDir, authProfilesPath } from '../../src/config/paths.ts'
import { isAgentId } from '../../src/core/agent-id.ts'
import { loadConfig } from '../../src/config/load.ts'
import { ConfigError, InvalidAgentIdError } from '../../src/core/errors.ts'
import { createCredentialsDirectory } from '../../src/server/credentials-directory.ts'
import { cliHome } from '../cli/cli-env.ts'

const VALID = ['default', 'work', 'a', '0', 'team-1_b', 'x'.repeat(64)]
const INVALID = ['', 'Work', '../../tmp/x', '..', '.', '-x', '_x', 'a/b', 'a\\b', 'a b', 'a\u0000', 'x'.repeat(65), 'é', '__proto__', 'constructor.x']

t.test('the agent id rule accepts only lowercase ids of 1-64 characters', async (t) => {
  for (const id of VALID) t.ok(isAgentId(id), `valid: ${id.slice(0, 20)}`)
  for (const id of INVALID) t.notOk(isAgentId(id), `invalid: ${JSON.stringify(id).slice(0, 20)}`)
  t.notOk(isAgentId(['a']), 'not a string')
})

t.test('the credentials path builder refuses an unchecked id', async (t) => {
  t.equal(agentDir('/h', 'work'), '/h/agents/work/agent')
  for (const id of INVALID) {
    t.throws(() => authProfilesPath('/h', id), InvalidAgentIdError, JSON.stringify(id).slice(0, 20))
  }
  const home = t.testdir({})
  const credentials = createCredentialsDirectory(home)
  t.throws(() => credentials.file('../../tmp/x'), InvalidAgentIdError)
  t.notOk(existsSync(join(home, '..', '..', 'tmp', 'x')))
})

t.test('an invalid clients[].agent or agents.list[].id is a config load error', async (t) => {
  const cases = {
    'clients[].agent': { gateway: { clients: [{ name: 'app', key: 'client-key-1234', agent: '../../tmp/x' }] } },
    'agents.list[].id': { agents: { list: [{ id: 'Work' }] } },
  }
  for (const [where, config] of Object.entries(cases)) {
    const home = t.testdir({ 'rotor.json': JSON.stringify(config) })
    const err = t.throws(() => loadConfig({ env: {}, home }), ConfigError, where) as Error | undefined
    t.match(err?.message ?? '', where === 'clients[].agent' ? /\/gateway\/clients\/0\/agent/ : /\/agents\/list\/0\/id/)
  }
  const home = t.testdir({ 'rotor.json': JSON.stringify({ gateway: { clients: [{ name: 'app', key: 'client-key-1234', agent: 'team-1' }] }, agents: { list: [{ id: 'work_2' }] } }) })
  const cfg = loadConfig({ env: {}, home })
  t.ok(cfg.agents.has('team-1'))
  t.ok(cfg.agents.has('work_2'))
})

t.test('the CLI treats an invalid --agent as a usage error (exit 2) in every command that takes one', async (t) => {
  const h = await cliHome(t)
  writeFileSync(h.configFile, '{}')
  const commands = [
    ['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--agent', '../../tmp/x'],
    ['models', 'status', '--agent', 'Work'],
    ['onboard', '--anthropic-api-key', 'sk-ant-test-0000000000', '--agent', '../x'],
    ['models', 'auth', 'login', '--provider', 'anthropic', '--agent', '../x'],
  ]
  for (const args of commands) {
    const r = await h.cli(args)
    t.equal(r.code, 2, `${args.join(' ')} → ${r.code} ${r.stderr.trim()}`)
    t.match(r.stderr, /invalid agent id/)
  }
  t.notOk(existsSync(join(h.home, '..', 'x')), 'nothing written outside ROTOR_HOME')
})
