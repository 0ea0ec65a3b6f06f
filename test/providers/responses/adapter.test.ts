import t from 'tap'
import { createOpenAIResponsesAdapter } from '../../../src/providers/openai-responses.ts'
import { createAdapterRegistry } from '../../../src/providers/registry.ts'
import { collect, success } from '../../helpers/attempt-request.ts'
import { assemble, parseSse } from '../anthropic/sse.ts'
import { failedTranscript, startFakeCodex, transcript, type FakeCodex } from './fake-codex.ts'
import { ACCESS, attempt, codexCredNoExtra, gpt41, openaiKey } from './fixtures.ts'

const SESSION = '0b7e2a55-3c1d-4e8f-9a6b-2d4c6e8f0a1b'
const adapter = createOpenAIResponsesAdapter({ now: () => 1767225600_000, sessionId: () => SESSION })
const ask = { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }] }
const usage = { input: 1200, cached: 1024, output: 300, reasoning: 128 }
const toolItems = [
  { type: 'reasoning' as const, summary: ['Two cities.'] },
  { type: 'function_call' as const, callId: 'call_paris', name: 'get_weather', args: ['{"city":', '"Paris"}'] },
  { type: 'function_call' as const, callId: 'call_rome', name: 'get_weather', args: ['{"city":', '"Rome"}'] },
]

let fake: FakeCodex
t.beforeEach(async () => { fake = await startFakeCodex({ accounts: { [ACCESS]: 'acc-1' } }) })
t.afterEach(async () => { await fake.close() })

t.test('the registry serves the openai-responses and github-copilot families', async (t) => {
  const reg = createAdapterRegistry()
  t.equal(reg.get('openai-responses')?.api, 'openai-responses')
  t.equal(reg.get('github-copilot')?.api, 'github-copilot')
})

t.test('a Codex stream carries the headers Codex needs and comes back as chat.completion.chunk SSE with usage', async (t) => {
  fake.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['Hi', ' there'] }], { usage }) })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true, stream_options: { include_usage: true } } })))
  t.equal(r.contentType, 'text/event-stream')
  const chunks = parseSse(await collect(r))
  t.same(fake.violations, [])
  const seen = fake.requests[0]
  t.equal(seen.url, '/backend-api/codex/responses')
  t.equal(seen.headers.authorization, `Bearer ${ACCESS}`)
  t.equal(seen.headers['chatgpt-account-id'], 'acc-1')
  t.equal(seen.headers['openai-beta'], 'responses=experimental')
  t.equal(seen.headers.originator, 'codex_cli_rs')
  t.equal(seen.headers.session_id, SESSION)
  t.equal(seen.headers.accept, 'text/event-stream')
  t.match(seen.headers['user-agent'], /^codex_cli_rs\//)
  t.same(seen.body, {
    model: 'gpt-5.2',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }],
    store: false,
    stream: true,
    instructions: 'Be brief.',
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { summary: 'auto' },
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: SESSION,
  })
  t.equal(assemble(chunks).content, 'Hi there')
  t.equal(chunks.at(-1), '[DONE]')
  t.same((chunks.at(-2) as Record<string, any>).usage, {
    prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500,
    prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 128 },
  })
})

t.test('tool calls and reasoning stream through even when the upstream splits events into tiny pieces', async (t) => {
  fake.reply({ kind: 'sse', events: transcript(toolItems), chunkSize: 7 })
  const body = { messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }], stream: true, reasoning_effort: 'low', tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }] }
  const a = assemble(parseSse(await collect(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body })))))
  t.same(fake.violations, [])
  t.same(fake.requests[0].body.reasoning, { effort: 'low', summary: 'auto' })
  t.same(a.toolCalls, [
    { id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { id: 'call_rome', name: 'get_weather', arguments: '{"city":"Rome"}' },
  ])
  t.equal(a.reasoning, 'Two cities.')
  t.equal(a.finish, 'tool_calls')
})

t.test('a non-stream client request still streams from Codex and gets one aggregated chat.completion', async (t) => {
  fake.reply({ kind: 'sse', events: transcript([...toolItems, { type: 'message', text: ['Checking.'] }], { usage, emptyFinalOutput: true }) })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: ask })))
  t.equal(r.contentType, 'application/json')
  const body = JSON.parse(await collect(r))
  t.same(fake.violations, [])
  t.equal(fake.requests[0].body.stream, true)
  t.equal(body.object, 'chat.completion')
  t.equal(body.choices[0].message.content, 'Checking.')
  t.equal(body.choices[0].message.tool_calls.length, 2)
  t.equal(body.choices[0].finish_reason, 'tool_calls')
  t.same(body.usage.prompt_tokens_details, { cached_tokens: 1024 })
})

t.test('without extra.accountId the account id is read from the access token claim', async (t) => {
  fake.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['ok'] }]) })
  await collect(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: ask, credential: codexCredNoExtra })))
  t.same(fake.violations, [])
  t.equal(fake.requests[0].headers['chatgpt-account-id'], 'acc-1')
})

t.test('a token with no account id fails as an auth problem without calling Codex', async (t) => {
  const r = await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: ask, credential: { profileId: 'openai-codex:x', type: 'oauth', secret: 'opaque-token-without-claims' } }))
  t.match(r, { kind: 'failure', reason: 'auth' })
  t.equal(fake.requests.length, 0)
})

t.test('response.failed before any output is a failover outcome, with the reset hint, for stream and non-stream clients', async (t) => {
  for (const stream of [true, false]) {
    fake.reply({ kind: 'sse', events: failedTranscript('usage_limit_reached', 'The usage limit has been reached', { resets_in_seconds: 1800 }) })
    const r = await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream } }))
    t.match(r, { kind: 'failure', reason: 'billing', retryAfterMs: 1_800_000 }, `stream=${String(stream)}`)
    t.match((r as { message: string }).message, /usage_limit_reached/)
    fake.reply({ kind: 'sse', events: failedTranscript('rate_limit_exceeded', 'Slow down') })
    t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream } })), { kind: 'failure', reason: 'rate_limit' })
    fake.reply({ kind: 'sse', events: failedTranscript('server_error', 'oops') })
    t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream } })), { kind: 'failure', reason: 'unknown' })
  }
})

t.test('HTTP errors from Codex are classified like any upstream (429 usage limit → billing until the reset)', async (t) => {
  fake.reply({ kind: 'json', status: 429, body: { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_in_seconds: 600 } } })
  t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })), { kind: 'failure', reason: 'billing', status: 429, retryAfterMs: 600_000 })
})

t.test('an error event after output is thrown from the rest of the stream', async (t) => {
  const events = transcript([{ type: 'message', text: ['partial', ' answer'] }]).slice(0, 6)
  events.push({ event: 'error', data: { type: 'error', sequence_number: 99, code: 'server_error', message: 'The server had an error while processing your request' } })
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  fake.reply({ kind: 'sse', events, gate: { after: 5, release: gate } })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })))
  release()
  let text = r.first.toString('utf8')
  await t.rejects((async () => { for await (const c of r.rest) text += c.toString('utf8') })(), /upstream server_error: The server had an error/)
  r.close()
  t.equal(assemble(parseSse(text)).content, 'partial answer')
})

t.test('a connection cut mid-stream is thrown from the rest, not turned into a normal end', async (t) => {
  fake.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['a', 'b', 'c'] }]), cutAfter: 6 })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })))
  await t.rejects((async () => { for await (const _c of r.rest) { /* drain */ } })())
  r.close()
})

t.test('the first chunk is handed over while the upstream is still streaming', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  fake.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['first', 'second'] }]), gate: { after: 6, release: gate } })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })))
  t.match(r.first.toString('utf8'), /"role":"assistant"/)
  release()
  let text = r.first.toString('utf8')
  for await (const c of r.rest) text += c.toString('utf8')
  r.close()
  t.equal(assemble(parseSse(text)).content, 'firstsecond')
})

t.test('an untranslatable request is a 400 bad_request and never reaches Codex', async (t) => {
  t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, n: 3 } })), { kind: 'bad_request', status: 400 })
  t.equal(fake.requests.length, 0)
})

t.test('config headers override the default Codex identity headers', async (t) => {
  fake.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['ok'] }]) })
  await collect(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: ask, headers: { 'User-Agent': 'my-agent/1.0' } })))
  t.same(fake.violations, [])
  t.equal(fake.requests[0].headers['user-agent'], 'my-agent/1.0')
})

t.test('a Codex baseUrl that already ends in /codex gets just /responses', async (t) => {
  fake.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['ok'] }]) })
  await collect(await adapter.attempt(attempt({ baseUrl: `${fake.baseUrl}/codex`, body: ask, providerId: 'my-codex-proxy' })))
  t.same(fake.violations, [])
  t.equal(fake.requests[0].url, '/backend-api/codex/responses')
})

t.test('the plain OpenAI flavour posts to /responses with the key, non-stream as JSON and stream as SSE', async (t) => {
  const key = openaiKey.secret
  const api = await startFakeCodex({ accounts: { [key]: '' }, flavour: 'openai' })
  t.teardown(() => api.close())
  const response = {
    id: 'resp_json', object: 'response', created_at: 1767225601, status: 'completed', model: 'gpt-4.1',
    output: [{ id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Plain answer', annotations: [] }] }],
    usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 13 },
  }
  api.reply({ kind: 'json', body: response })
  const body = JSON.parse(await collect(await adapter.attempt(attempt({
    baseUrl: api.baseUrl, providerId: 'openai', credential: openaiKey, model: gpt41, body: { ...ask, max_tokens: 50, temperature: 0.3 },
  }))))
  t.same(api.violations, [])
  const seen = api.requests[0]
  t.equal(seen.url, '/v1/responses')
  t.equal(seen.headers.authorization, `Bearer ${key}`)
  t.equal(seen.headers['chatgpt-account-id'], undefined)
  t.equal(seen.headers.session_id, undefined)
  t.same(seen.body, {
    model: 'gpt-4.1', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }],
    store: false, stream: false, instructions: 'Be brief.', max_output_tokens: 50, temperature: 0.3,
  })
  t.equal(body.choices[0].message.content, 'Plain answer')
  t.equal(body.choices[0].finish_reason, 'stop')
  t.equal(body.usage.total_tokens, 13)

  api.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['Streamed'] }], { model: 'gpt-4.1' }) })
  const chunks = parseSse(await collect(await adapter.attempt(attempt({
    baseUrl: api.baseUrl, providerId: 'openai', credential: openaiKey, model: gpt41, body: { ...ask, stream: true },
  }))))
  t.same(api.violations, [])
  t.equal(api.requests[1].body.stream, true)
  t.equal(api.requests[1].headers.accept, 'text/event-stream')
  t.equal(assemble(chunks).content, 'Streamed')
})

t.test('an error that arrives in the same upstream chunk as the first output still fails over: nothing was committed yet', async (t) => {
  const events = transcript([{ type: 'message', text: ['partial'] }]).slice(0, 5)
  events.push({ event: 'error', data: { type: 'error', sequence_number: 9, code: 'rate_limit_exceeded', message: 'Rate limit reached' } })
  fake.reply({ kind: 'sse', events, oneWrite: true })
  t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })), { kind: 'failure', reason: 'rate_limit' })
})
