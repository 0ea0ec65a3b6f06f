import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { agentDir, authProfilesPath, findConfigPath, resolveHome } from '../../src/config/paths.ts'

t.test('home is ROTOR_HOME, else ~/.rotor', async (t) => {
  t.equal(resolveHome({ ROTOR_HOME: '/srv/rotor' }), '/srv/rotor')
  t.equal(resolveHome({ HOME: '/home/u' }), '/home/u/.rotor')
  t.equal(resolveHome({ HOME: '/home/u', ROTOR_HOME: '~/r' }), '/home/u/r')
})

t.test('the config is --config, else ROTOR_CONFIG, else the first existing file in home', async (t) => {
  const home = t.testdir({ 'rotor.yaml': 'gateway: {}\n', 'rotor.yml': 'gateway: {}\n' })
  t.equal(findConfigPath({ cliPath: '/x/cli.json', env: { ROTOR_CONFIG: '/x/env.json' }, home }), '/x/cli.json')
  t.equal(findConfigPath({ env: { ROTOR_CONFIG: '/x/env.json' }, home }), '/x/env.json')
  t.equal(findConfigPath({ env: {}, home }), join(home, 'rotor.yaml'))
  writeFileSync(join(home, 'rotor.json5'), '{}')
  t.equal(findConfigPath({ env: {}, home }), join(home, 'rotor.json5'))
  writeFileSync(join(home, 'rotor.json'), '{}')
  t.equal(findConfigPath({ env: {}, home }), join(home, 'rotor.json'))
  t.equal(findConfigPath({ env: {}, home: join(home, 'nope') }), undefined)
})

t.test('agent files live under home/agents/<id>/agent', async (t) => {
  t.equal(agentDir('/h', 'work'), '/h/agents/work/agent')
  t.equal(authProfilesPath('/h', 'default'), '/h/agents/default/agent/auth-profiles.json')
})
