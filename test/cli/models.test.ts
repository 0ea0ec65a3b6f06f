import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { deadPort, startFakeUpstream } from '../helpers/fake-upstream.ts'
import { cliHome, ANTHROPIC_KEY, OPENAI_KEY } from './cli-env.ts'

type Cfg = { agents: { defaults: { model: { primary: string, fallbacks: string[] }, models: Record<string, { alias?: string }> } }, models: { providers: Record<string, { apiKey?: string, baseUrl?: string, models?: Array<Record<string, unknown>> }> } }

t.test('models set takes a ref or an alias, writes the resolved ref and keeps ${VAR} strings', async (t) => {
  const h = await cliHome(t, { env: { MY_KEY: 'sk-env-HHHHHHHHHHHHHHHHHHHH' } })
  h.writeConfig({ models: { providers: { openai: { apiKey: '${MY_KEY}' } } } })
  const r = await h.cli(['models', 'set', 'sonnet'])
  t.equal(r.code, 1, 'an alias nobody defined does not resolve to a listed ref')
  const byRef = await h.cli(['models', 'set', 'anthropic/claude-sonnet-4-5'])
  t.equal(byRef.code, 0, byRef.stderr)
  t.match(byRef.stdout, 'Primary model: anthropic/claude-sonnet-4-5')
  let cfg = h.readConfig() as Cfg
  t.equal(cfg.agents.defaults.model.primary, 'anthropic/claude-sonnet-4-5')
  t.same(cfg.agents.defaults.models['anthropic/claude-sonnet-4-5'], { alias: 'sonnet' }, 'the built-in alias comes along')
  t.equal(cfg.models.providers.openai.apiKey, '${MY_KEY}')
  const byAlias = await h.cli(['models', 'set', 'SONNET'])
  t.equal(byAlias.code, 0)
  t.match(byAlias.stdout, 'unchanged')
  const bare = await h.cli(['models', 'set', 'gpt-5-mini'])
  t.equal(bare.code, 0, 'a unique bare id resolves')
  cfg = h.readConfig() as Cfg
  t.equal(cfg.agents.defaults.model.primary, 'openai/gpt-5-mini')
  const unknown = await h.cli(['models', 'set', 'nope/nothing'])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, 'not found')
})

t.test('models fallbacks add, list, remove and clear', async (t) => {
  const h = await cliHome(t)
  t.equal((await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])).code, 0)
  t.equal((await h.cli(['models', 'fallbacks', 'add', 'openai/gpt-5.2'])).code, 0)
  t.equal((await h.cli(['models', 'fallbacks', 'add', 'gpt-5-mini'])).code, 0)
  const dup = await h.cli(['models', 'fallbacks', 'add', 'openai/gpt-5.2'])
  t.match(dup.stdout, 'Already a fallback')
  const list = await h.json(['models', 'fallbacks', 'list', '--json'])
  t.same(list.fallbacks, ['openai/gpt-5.2', 'openai/gpt-5-mini'])
  const text = await h.cli(['models', 'fallbacks', 'list'])
  t.equal(text.stdout, '1. openai/gpt-5.2\n2. openai/gpt-5-mini\n')
  t.equal((await h.cli(['models', 'fallbacks', 'remove', 'openai/gpt-5.2'])).code, 0)
  t.same((h.readConfig() as Cfg).agents.defaults.model.fallbacks, ['openai/gpt-5-mini'])
  const absent = await h.cli(['models', 'fallbacks', 'remove', 'openai/gpt-5.2'])
  t.equal(absent.code, 1)
  t.equal((await h.cli(['models', 'fallbacks', 'clear'])).code, 0)
  t.same((h.readConfig() as Cfg).agents.defaults.model.fallbacks, [])
  t.equal((h.readConfig() as Cfg).agents.defaults.model.primary, 'anthropic/claude-opus-4-5', 'the primary is untouched')
})

t.test('a YAML config is edited as YAML', async (t) => {
  const h = await cliHome(t)
  const file = join(h.home, 'rotor.yaml')
  writeFileSync(file, 'logging:\n  level: warn\n')
  const r = await h.cli(['models', 'set', 'openai/gpt-5.2'])
  t.equal(r.code, 0, r.stderr)
  const doc = YAML.parse(readFileSync(file, 'utf8')) as Cfg & { logging: unknown }
  t.same(doc.logging, { level: 'warn' })
  t.equal(doc.agents.defaults.model.primary, 'openai/gpt-5.2')
})

t.test('models list shows the catalog with aliases, tags and whether credentials exist', async (t) => {
  const h = await cliHome(t)
  t.equal((await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])).code, 0)
  t.equal((await h.cli(['onboard', '--openai-api-key', OPENAI_KEY])).code, 0)
  const json = await h.json(['models', 'list', '--json'])
  const models = json.models as Array<{ ref: string, aliases: string[], tags: string[], auth: boolean }>
  t.match(models.find((m) => m.ref === 'anthropic/claude-opus-4-5'), { aliases: ['opus'], tags: ['default'], auth: true })
  t.match(models.find((m) => m.ref === 'openai/gpt-5.2'), { aliases: ['gpt'], tags: ['fallback#1'], auth: true })
  t.match(models.find((m) => m.ref === 'deepseek/deepseek-chat'), { auth: false })
  const text = await h.cli(['models', 'list', '--provider', 'anthropic'])
  t.equal(text.code, 0)
  const lines = text.stdout.trim().split('\n')
  t.match(lines[0], /^MODEL\s+NAME\s+CONTEXT/)
  t.equal(lines.length, 4, 'header + three anthropic models')
  const col = lines[0].indexOf('NAME')
  t.ok(lines.slice(1).every((l) => l[col - 1] === ' ' && l[col] !== ' '), 'columns are aligned')
})

t.test('models scan reads OpenRouter-style lists (context, per-token prices) and --add writes the chosen models', async (t) => {
  const up = await startFakeUpstream((req) => {
    if (req.method === 'GET' && req.url === '/api/v1/models') {
      return {
        body: {
          data: [
            { id: 'vendor/big', name: 'Vendor Big', context_length: 131072, pricing: { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003' }, top_provider: { max_completion_tokens: 32768 }, architecture: { input_modalities: ['text', 'image'] }, supported_parameters: ['tools', 'reasoning'] },
            { id: 'vendor/free:free', name: 'Vendor Free', context_length: 8192, pricing: { prompt: '0', completion: '0' } },
          ],
        },
      }
    }
    return { status: 404, body: { error: { message: 'no' } } }
  })
  t.teardown(() => up.close())
  const h = await cliHome(t)
  h.writeConfig({ models: { providers: { openrouter: { baseUrl: `${up.url}/api/v1` } } } })
  const scan = await h.json(['models', 'scan', '--provider', 'openrouter', '--json'])
  const models = scan.models as Array<Record<string, unknown>>
  t.match(models.find((m) => m.id === 'vendor/big'), { name: 'Vendor Big', contextWindow: 131072, maxTokens: 32768, input: ['text', 'image'], reasoning: true, cost: { input: 3, output: 15, cacheRead: 0.3 }, configured: false })
  const free = await h.json(['models', 'scan', '--provider', 'openrouter', '--free', '--json'])
  t.same((free.models as Array<{ id: string }>).map((m) => m.id), ['vendor/free:free'])

  const add = await h.cli(['models', 'scan', '--provider', 'openrouter', '--add', 'vendor/big'])
  t.equal(add.code, 0, add.stderr)
  t.match(add.stdout, /vendor\/big\s+Vendor Big\s+131072\s+3\s+15/)
  t.match(add.stdout, 'Added to config: openrouter/vendor/big')
  const cfg = h.readConfig() as Cfg
  t.same(cfg.models.providers.openrouter.models, [{ id: 'vendor/big', name: 'Vendor Big', reasoning: true, input: ['text', 'image'], cost: { input: 3, output: 15, cacheRead: 0.3 }, contextWindow: 131072, maxTokens: 32768 }])
  t.equal(cfg.models.providers.openrouter.baseUrl, `${up.url}/api/v1`)
  const list = await h.json(['models', 'list', '--provider', 'openrouter', '--json'])
  t.ok((list.models as Array<{ ref: string }>).some((m) => m.ref === 'openrouter/vendor/big'), 'the gateway catalog now has it')
  const unknown = await h.cli(['models', 'scan', '--provider', 'openrouter', '--add', 'vendor/none'])
  t.equal(unknown.code, 1)
})

t.test('models scan sends the provider key to OpenAI-style /models and reads Ollama /api/tags', async (t) => {
  const up = await startFakeUpstream((req) => {
    if (req.url === '/v1/models') return { body: { object: 'list', data: [{ id: 'gpt-x', object: 'model', created: 1, owned_by: 'openai' }] } }
    if (req.url === '/api/tags') return { body: { models: [{ name: 'qwen3:8b', model: 'qwen3:8b', details: { family: 'qwen3' } }] } }
    return { status: 404, body: {} }
  })
  t.teardown(() => up.close())
  const h = await cliHome(t)
  h.writeConfig({ models: { providers: { openai: { baseUrl: `${up.url}/v1` }, ollama: { baseUrl: up.url } } } })
  t.equal((await h.cli(['onboard', '--openai-api-key', OPENAI_KEY])).code, 0)
  const openai = await h.json(['models', 'scan', '--provider', 'openai', '--json'])
  t.same((openai.models as Array<{ id: string }>).map((m) => m.id), ['gpt-x'])
  t.equal(up.requests.find((r) => r.url === '/v1/models')?.headers.authorization, `Bearer ${OPENAI_KEY}`)
  const ollama = await h.json(['models', 'scan', '--provider', 'ollama', '--json'])
  t.match(ollama.models, [{ id: 'qwen3:8b', cost: { input: 0, output: 0 } }])
  t.equal((await h.cli(['models', 'scan', '--provider', 'ollama', '--add', 'qwen3:8b'])).code, 0)
  t.same((h.readConfig() as Cfg).models.providers.ollama.models, [{ id: 'qwen3:8b', name: 'qwen3:8b', cost: { input: 0, output: 0 } }])
  const cfg = h.readConfig() as Cfg
  cfg.models.providers.deepseek = { baseUrl: `http://127.0.0.1:${await deadPort()}/v1` }
  h.writeConfig(cfg)
  const unreachable = await h.cli(['models', 'scan', '--provider', 'deepseek'])
  t.equal(unreachable.code, 1, 'a provider that cannot be reached is a failure, not a crash')
  t.match(unreachable.stderr, 'Cannot reach')
})
