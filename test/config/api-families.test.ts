// An `api` without an adapter is a load error naming provider and value; the adapter
// registry and config's list of implemented families agree.
import t from 'tap'
import { IMPLEMENTED_API_FAMILIES } from '../../src/config/api-families.ts'
import { loadConfig } from '../../src/config/load.ts'
import { ConfigError } from '../../src/core/errors.ts'
import { assertMatchesConfig, createAdapterRegistry } from '../../src/providers/registry.ts'

const family = (api: string): string => JSON.stringify({ models: { providers: { mine: { baseUrl: 'http://127.0.0.1:9/v1', api, models: [{ id: 'm' }] } } } })

t.test('a provider api with no adapter is rejected at load, naming the provider and the value', async (t) => {
  // Every `api` the schema accepts that has no adapter yet (none left once all are built).
  const unimplemented = ['openai-completions', 'anthropic-messages', 'openai-responses', 'bedrock-converse-stream', 'google-gemini-cli', 'github-copilot']
    .filter((api) => !(IMPLEMENTED_API_FAMILIES as ReadonlySet<string>).has(api))
  if (unimplemented.length === 0) t.pass('every schema api has an adapter')
  for (const api of unimplemented) {
    const home = t.testdir({ 'rotor.json': family(api) })
    t.throws(() => loadConfig({ env: {}, home }), new ConfigError(`Invalid config ${home}/rotor.json: models.providers.mine.api "${api}" has no adapter in this rotor (implemented: ${[...IMPLEMENTED_API_FAMILIES].join(', ')})`))
  }
})

t.test('a model api with no adapter is rejected too, and every implemented family loads', async (t) => {
  for (const api of IMPLEMENTED_API_FAMILIES) {
    const home = t.testdir({ 'rotor.json': family(api) })
    t.equal(loadConfig({ env: {}, home }).catalog.providers.get('mine')?.api, api, `${api} loads`)
  }
  if (!(IMPLEMENTED_API_FAMILIES as ReadonlySet<string>).has('google-gemini-cli')) {
    const home = t.testdir({ 'rotor.json': JSON.stringify({ models: { providers: { mine: { baseUrl: 'http://127.0.0.1:9/v1', models: [{ id: 'm', api: 'google-gemini-cli' }] } } } }) })
    t.throws(() => loadConfig({ env: {}, home }), { message: /models\.providers\.mine\.models\[0\]\.api "google-gemini-cli" has no adapter/ })
  }
})

t.test('the adapter registry serves exactly the implemented families', async (t) => {
  const registry = createAdapterRegistry()
  t.strictSame([...registry.keys()].sort(), [...IMPLEMENTED_API_FAMILIES].sort())
  const short = new Map([...registry].filter(([api]) => api !== 'bedrock-converse-stream'))
  t.throws(() => assertMatchesConfig(short), /no adapter: bedrock-converse-stream; not listed: -/)
})
