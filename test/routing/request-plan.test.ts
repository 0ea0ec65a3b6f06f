import t from 'tap'
import { InvalidRequestError, ModelNotFoundError } from '../../src/core/errors.ts'
import { buildPlan } from '../../src/routing/plan.ts'
import { parseRef, splitPin } from '../../src/routing/model-ref.ts'
import { CATALOG, agent } from './fixtures.ts'

const NOT_FOUND = new ModelNotFoundError('x').code

t.test('splitPin splits at the first @ that is followed by <provider>:', async t => {
  const cases: Array<[string, string, string | undefined]> = [
    ['sonnet', 'sonnet', undefined],
    ['sonnet@anthropic:work', 'sonnet', 'anthropic:work'],
    ['sonnet@anthropic:me@example.com', 'sonnet', 'anthropic:me@example.com'],
    ['anthropic/claude-opus-4-5@anthropic:work', 'anthropic/claude-opus-4-5', 'anthropic:work'],
    ['ollama/model@v2', 'ollama/model@v2', undefined],
    ['ollama/model@v2@ollama:none', 'ollama/model@v2', 'ollama:none'],
    ['  gpt@openai:work  ', 'gpt', 'openai:work'],
  ]
  for (const [raw, ref, profileId] of cases) t.same(splitPin(raw), { ref, profileId }, raw)
})

t.test('parseRef splits at the first slash and lower-cases the provider', async t => {
  t.same(parseRef('openrouter/anthropic/claude-sonnet-4-5'), { provider: 'openrouter', model: 'anthropic/claude-sonnet-4-5' })
  t.same(parseRef('OpenAI/gpt-5.2'), { provider: 'openai', model: 'gpt-5.2' })
  t.equal(parseRef('gpt-5.2'), undefined)
  t.equal(parseRef('/gpt'), undefined)
  t.equal(parseRef('openai/'), undefined)
})

const refs = (requested: string | undefined, a = agent()): string[] => buildPlan(requested, a, CATALOG).chain.map(c => c.ref)

t.test('default, empty and missing models mean the agent primary', async t => {
  for (const m of [undefined, '', 'default', 'DEFAULT']) t.same(refs(m), ['anthropic/claude-opus-4-5'], String(m))
})

t.test('a missing primary makes the default model not found', async t => {
  t.throws(() => buildPlan(undefined, agent({ primary: undefined }), CATALOG), { code: NOT_FOUND, status: 404 })
  t.throws(() => buildPlan('default', agent({ primary: undefined }), CATALOG), { message: /^Model "default" not found/ })
})

t.test('aliases resolve case-insensitively', async t => {
  for (const m of ['sonnet', 'Sonnet', 'SONNET', ' sonnet ']) t.same(refs(m), ['anthropic/claude-sonnet-4-5'], m)
})

t.test('an alias may point to another alias or a bare id', async t => {
  const a = agent({ aliases: new Map([['fast', 'quick'], ['quick', 'gpt-5-mini']]) })
  t.same(refs('fast', a), ['openai/gpt-5-mini'])
})

t.test('an alias cycle is model not found, not a hang', async t => {
  const a = agent({ aliases: new Map([['a', 'b'], ['b', 'a']]) })
  t.throws(() => buildPlan('a', a, CATALOG), { code: NOT_FOUND })
})

t.test('aliases are not consulted for inputs containing a slash', async t => {
  const a = agent({ aliases: new Map([['openai/gpt-5.2', 'anthropic/claude-opus-4-5']]) })
  t.same(refs('openai/gpt-5.2', a), ['openai/gpt-5.2'])
})

t.test('openrouter refs split at the first slash', async t => {
  const plan = buildPlan('openrouter/anthropic/claude-sonnet-4-5', agent(), CATALOG)
  t.same(plan.chain, [{ provider: 'openrouter', model: 'anthropic/claude-sonnet-4-5', ref: 'openrouter/anthropic/claude-sonnet-4-5' }])
})

t.test('openrouter and ollama accept model ids missing from the catalog', async t => {
  t.same(refs('openrouter/meta-llama/llama-4:free'), ['openrouter/meta-llama/llama-4:free'])
  t.same(refs('ollama/qwen3:8b'), ['ollama/qwen3:8b'])
})

t.test('unknown providers and unknown bare ids are model not found', async t => {
  for (const m of ['nope/gpt-5.2', 'gpt-9']) {
    t.throws(() => buildPlan(m, agent(), CATALOG), { message: new RegExp(`^Model "${m.replace(/[.]/g, '\\.')}" not found`) }, m)
    t.throws(() => buildPlan(m, agent(), CATALOG), { code: NOT_FOUND, publicCode: 'model_not_found' }, m)
  }
})

t.test('a known provider takes a model id its catalog does not list, unless models.strict', async t => {
  t.same(refs('openai/gpt-9'), ['openai/gpt-9'])
  t.same(refs('deepseek/deepseek-r1'), ['deepseek/deepseek-r1'], 'split at the first slash: the deepseek provider, not OpenRouter\'s id')
  const strict = { ...CATALOG, strict: true }
  for (const m of ['openai/gpt-9', 'deepseek/deepseek-r1']) {
    t.throws(() => buildPlan(m, agent(), strict), { message: new RegExp(`^Model "${m.replace(/[.]/g, '\\.')}" not found`), code: NOT_FOUND, publicCode: 'model_not_found' }, m)
  }
  t.same(buildPlan('ollama/anything-pulled', agent(), strict).chain.map(c => c.ref), ['ollama/anything-pulled'], 'Ollama stays open')
})

t.test('the provider is case-insensitive and the model falls back to a unique case-insensitive match', async t => {
  t.same(refs('OpenAI/GPT-5.2'), ['openai/gpt-5.2'])
})

t.test('a bare id unique across providers is accepted', async t => {
  t.same(refs('gpt-5.2'), ['openai/gpt-5.2'])
  t.same(refs('llama3.3'), ['ollama/llama3.3'])
})

t.test('an ambiguous bare id is model not found and lists the candidates', async t => {
  const err = t.throws(() => buildPlan('shared-model', agent(), CATALOG))
  t.ok(err instanceof ModelNotFoundError)
  t.match(err, { message: 'Model "shared-model" not found: ambiguous, use one of openai/shared-model, openrouter/shared-model', status: 404 })
})

t.test('a ref whose provider is unknown may be a vendor-prefixed id of another provider', async t => {
  const cat = { providers: new Map([...CATALOG.providers].filter(([id]) => id !== 'anthropic')) }
  t.same(buildPlan('anthropic/claude-sonnet-4-5', agent(), cat).chain.map(c => c.ref), ['openrouter/anthropic/claude-sonnet-4-5'])
})

t.test('the chain is the requested model then the fallbacks not already in it', async t => {
  const a = agent({ fallbacks: ['openai/gpt-5.2', 'sonnet', 'anthropic/claude-opus-4-5', 'gpt', 'missing/model', 'Sonnet'] })
  t.same(refs('opus', a), ['anthropic/claude-opus-4-5', 'openai/gpt-5.2', 'anthropic/claude-sonnet-4-5'])
  t.equal(buildPlan('opus', a, CATALOG).pinnedProfile, undefined)
})

t.test('unresolvable fallbacks are skipped', async t => {
  const a = agent({ fallbacks: ['nope', 'shared-model', 'deepseek-chat'] })
  t.same(refs(undefined, a), ['anthropic/claude-opus-4-5', 'deepseek/deepseek-chat'])
})

t.test('a pin keeps only the requested model and records the profile', async t => {
  const a = agent({ fallbacks: ['openai/gpt-5.2'] })
  const plan = buildPlan('sonnet@anthropic:work', a, CATALOG)
  t.same(plan, { chain: [{ provider: 'anthropic', model: 'claude-sonnet-4-5', ref: 'anthropic/claude-sonnet-4-5' }], pinnedProfile: 'anthropic:work' })
  t.same(buildPlan('default@anthropic:me@example.com', a, CATALOG).pinnedProfile, 'anthropic:me@example.com')
})

t.test('a pin of another provider is an invalid request', async t => {
  const err = t.throws(() => buildPlan('sonnet@openai:work', agent(), CATALOG))
  t.ok(err instanceof InvalidRequestError)
  t.match(err, { status: 400, param: 'model', message: /openai:work/ })
})

t.test('a pinned unknown model is still model not found', async t => {
  t.throws(() => buildPlan('nope@openai:work', agent(), CATALOG), { code: NOT_FOUND })
})
