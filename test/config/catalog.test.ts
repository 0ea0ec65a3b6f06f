import t from 'tap'
import { buildCatalog, normalizeBaseUrl } from '../../src/config/catalog.ts'
import { builtinProviderIds } from '../../src/config/builtin-providers.ts'
import { ConfigError } from '../../src/core/errors.ts'

t.test('without config the catalog holds every built-in provider with defaults applied', async (t) => {
  const cat = buildCatalog(undefined, {})
  t.same([...cat.providers.keys()], builtinProviderIds)
  for (const id of ['openai', 'anthropic', 'openrouter', 'deepseek', 'venice', 'ollama', 'chutes', 'github-copilot', 'openai-codex', 'qwen-portal']) {
    t.ok(cat.providers.has(id), id)
  }
  const opus = cat.providers.get('anthropic')?.models.get('claude-opus-4-5')
  t.same(opus?.cost, { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 })
  t.equal(opus?.contextWindow, 200000)
  t.equal(opus?.maxTokens, 64000)
  t.equal(opus?.api, 'anthropic-messages')
  const anthropic = cat.providers.get('anthropic')
  t.same(anthropic?.envVars, ['ANTHROPIC_API_KEY'])
  t.same(anthropic?.envTokenVars, ['ANTHROPIC_OAUTH_TOKEN'])
  const venice = cat.providers.get('venice')?.models.get('llama-3.3-70b')
  t.same(venice, {
    id: 'llama-3.3-70b', name: 'Llama 3.3 70B (Venice)', api: 'openai-completions', reasoning: false, input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 200000, maxTokens: 8192,
  })
  t.equal(cat.providers.get('ollama')?.auth, 'none')
  t.equal(cat.providers.has('amazon-bedrock'), false, 'Bedrock only with AWS credentials in the environment')
})

t.test('AWS credentials in the environment add the implicit Bedrock provider', async (t) => {
  const cat = buildCatalog(undefined, { AWS_ACCESS_KEY_ID: 'AKIA', AWS_REGION: 'eu-west-1' })
  const bedrock = cat.providers.get('amazon-bedrock')
  t.equal(bedrock?.baseUrl, 'https://bedrock-runtime.eu-west-1.amazonaws.com')
  t.equal(bedrock?.api, 'bedrock-converse-stream')
  t.ok(bedrock?.models.has('eu.anthropic.claude-sonnet-4-5-20250929-v1:0'))
})

t.test('merge mode overrides built-in fields and unions models by id, explicit fields winning', async (t) => {
  const cat = buildCatalog({
    providers: {
      openai: {
        baseUrl: 'http://127.0.0.1:9999/',
        apiKey: 'sk-config',
        models: [{ id: 'gpt-5.2', maxTokens: 1000 }, { id: 'my-ft', name: 'Fine-tune' }],
      },
    },
  }, {})
  const openai = cat.providers.get('openai')
  t.equal(openai?.baseUrl, 'http://127.0.0.1:9999/v1')
  t.equal(openai?.apiKey, 'sk-config')
  t.same(openai?.envVars, ['OPENAI_API_KEY'])
  t.same([...(openai?.models.keys() ?? [])].sort(), ['gpt-5-mini', 'gpt-5.2', 'my-ft'])
  const gpt = openai?.models.get('gpt-5.2')
  t.equal(gpt?.maxTokens, 1000, 'explicit field wins')
  t.equal(gpt?.contextWindow, 400000, 'unset fields keep the built-in values')
  t.ok(cat.providers.has('anthropic'), 'other built-ins stay')
})

t.test('replace mode keeps only the explicit providers', async (t) => {
  const cat = buildCatalog({
    mode: 'replace',
    providers: {
      openai: { models: [{ id: 'gpt-5-mini' }] },
      anthropic: {},
      local: { baseUrl: 'http://localhost:11434', auth: 'none', models: [{ id: 'qwen3' }] },
    },
  }, {})
  t.same([...cat.providers.keys()], ['openai', 'anthropic', 'local'])
  const openai = cat.providers.get('openai')
  t.equal(openai?.baseUrl, 'https://api.openai.com/v1', 'a built-in id keeps its connection fields')
  t.same([...(openai?.models.keys() ?? [])], ['gpt-5-mini'], 'only the listed models')
  t.equal(openai?.models.get('gpt-5-mini')?.contextWindow, 200000, 'listed models are taken as written')
  t.ok(cat.providers.get('anthropic')?.models.has('claude-opus-4-5'), 'without `models` the built-in models stay')
})

t.test('a new provider needs a baseUrl and defaults to openai-completions with api-key auth', async (t) => {
  t.throws(() => buildCatalog({ providers: { mine: { models: [{ id: 'm' }] } } }, {}), {
    message: /models\.providers\.mine\.baseUrl is required/,
  })
  const err = t.throws(() => buildCatalog({ providers: { mine: {} } }, {}))
  t.type(err, ConfigError)
  const cat = buildCatalog({ providers: { mine: { baseUrl: 'https://llm.example.com', models: [{ id: 'm', contextWindow: 4000 }] } } }, {})
  const mine = cat.providers.get('mine')
  t.equal(mine?.api, 'openai-completions')
  t.equal(mine?.auth, 'api-key')
  t.equal(mine?.baseUrl, 'https://llm.example.com/v1')
  t.equal(mine?.models.get('m')?.maxTokens, 4000, 'maxTokens defaults to min(8192, contextWindow)')
  t.same(mine?.envVars, [])
})

t.test('base URLs without a path get /v1 for openai-completions and anthropic-messages only', async (t) => {
  t.equal(normalizeBaseUrl('http://localhost:11434', 'openai-completions'), 'http://localhost:11434/v1')
  t.equal(normalizeBaseUrl('http://localhost:11434/', 'openai-completions'), 'http://localhost:11434/v1')
  t.equal(normalizeBaseUrl('https://x/api/v1', 'openai-completions'), 'https://x/api/v1')
  t.equal(normalizeBaseUrl('https://x/api/v1/', 'openai-completions'), 'https://x/api/v1')
  t.equal(normalizeBaseUrl('http://127.0.0.1:4000', 'anthropic-messages'), 'http://127.0.0.1:4000/v1')
  t.equal(normalizeBaseUrl('http://127.0.0.1:4000/', 'openai-responses'), 'http://127.0.0.1:4000')
  t.throws(() => normalizeBaseUrl('localhost:11434', 'openai-completions', 'models.providers.ollama.baseUrl'), {
    message: 'models.providers.ollama.baseUrl must be an absolute http(s) URL',
  })
  const cat = buildCatalog({ providers: { ollama: { baseUrl: 'http://localhost:11434' }, 'openai-codex': { baseUrl: 'http://127.0.0.1:5000/' } } }, {})
  t.equal(cat.providers.get('ollama')?.baseUrl, 'http://localhost:11434/v1')
  t.equal(cat.providers.get('openai-codex')?.baseUrl, 'http://127.0.0.1:5000')
})

t.test('a provider-level api change reaches built-in models that set none', async (t) => {
  const cat = buildCatalog({ providers: { openai: { api: 'openai-responses' }, anthropic: { oauth: { tokenUrl: 'http://127.0.0.1:1/token' } } } }, {})
  t.equal(cat.providers.get('openai')?.models.get('gpt-5.2')?.api, 'openai-responses')
  t.same(cat.providers.get('anthropic')?.oauth, { tokenUrl: 'http://127.0.0.1:1/token', clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e' })
})

t.test('the same model id twice in one provider is rejected', async (t) => {
  t.throws(() => buildCatalog({ providers: { openai: { models: [{ id: 'a' }, { id: 'a' }] } } }, {}), {
    message: 'models.providers.openai.models[1].id "a" is listed twice',
  })
})

t.test('implicit providers merge under explicit config', async (t) => {
  const implicit = [{ id: 'github-copilot', baseUrl: 'https://api.business.githubcopilot.com', api: 'github-copilot' as const, auth: 'token' as const, models: [{ id: 'gpt-5' }] }]
  const cat = buildCatalog({ providers: { 'github-copilot': { models: [{ id: 'gpt-5', name: 'Mine' }] } } }, {}, { implicit })
  const copilot = cat.providers.get('github-copilot')
  t.equal(copilot?.baseUrl, 'https://api.business.githubcopilot.com')
  t.equal(copilot?.models.get('gpt-5')?.name, 'Mine')
  t.ok(copilot?.models.has('gpt-4.1'))
  t.same(copilot?.envTokenVars, ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN'])
})
