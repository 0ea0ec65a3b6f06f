import t from 'tap'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import { writeModelsJson } from '../../src/config/models-json.ts'

const SECRET = 'sk-config-secret-value-1a2b'

t.test('models.json holds env var names, never a secret, with mode 0600 in a 0700 dir', async (t) => {
  const home = join(t.testdir({}), 'home')
  const cfgDir = t.testdir({
    'rotor.json': JSON.stringify({
      models: {
        providers: {
          openai: { apiKey: '${MY_OPENAI_KEY}' },
          deepseek: { apiKey: 'sk-literal-deepseek-9z9z' },
          mine: { baseUrl: 'https://x.example', headers: { Authorization: 'Bearer sk-header-secret' }, models: [{ id: 'm', headers: { 'x-api-key': 'sk-model-secret' } }] },
        },
      },
    }),
  })
  const cfg = loadConfig({ cliPath: join(cfgDir, 'rotor.json'), env: { MY_OPENAI_KEY: SECRET, ANTHROPIC_API_KEY: 'sk-ant-env-secret' }, home })
  t.equal(writeModelsJson(home, cfg.catalog), true)
  const file = join(home, 'models.json')
  const text = readFileSync(file, 'utf8')
  for (const secret of [SECRET, 'sk-literal-deepseek-9z9z', 'sk-header-secret', 'sk-model-secret', 'sk-ant-env-secret']) {
    t.notMatch(text, secret, `no ${secret.slice(0, 8)}… in the file`)
  }
  const json = JSON.parse(text) as { providers: Record<string, { apiKey?: string, baseUrl: string, models: { id: string }[] }> }
  t.equal(json.providers.openai.apiKey, 'MY_OPENAI_KEY', 'a ${VAR} key is recorded by name')
  t.equal(json.providers.deepseek.apiKey, undefined, 'a literal key is left out')
  t.equal(json.providers.anthropic.apiKey, 'ANTHROPIC_API_KEY', 'the conventional env var name')
  t.equal(json.providers.ollama.apiKey, undefined)
  t.equal(json.providers.mine.baseUrl, 'https://x.example/v1')
  t.same(json.providers.mine.models.map((m) => m.id), ['m'])
  t.ok(text.endsWith('\n'))
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.equal(statSync(home).mode & 0o777, 0o700)
})

t.test('models.json is rewritten only when its content changes', async (t) => {
  const home = t.testdir({})
  const cfg = loadConfig({ env: {}, home })
  t.equal(writeModelsJson(home, cfg.catalog), true)
  const before = statSync(join(home, 'models.json')).ino
  t.equal(writeModelsJson(home, cfg.catalog), false)
  t.equal(statSync(join(home, 'models.json')).ino, before, 'same file, not replaced')
  writeFileSync(join(home, 'models.json'), '{}')
  t.equal(writeModelsJson(home, cfg.catalog), true)
  t.equal(statSync(join(home, 'models.json')).mode & 0o777, 0o600)
})
