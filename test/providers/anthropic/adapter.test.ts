import t from 'tap'
import { createAnthropicMessagesAdapter } from '../../../src/providers/anthropic-messages.ts'
import { createAdapterRegistry } from '../../../src/providers/registry.ts'
import { collect, success } from '../../helpers/attempt-request.ts'
import {
  CLAUDE_CODE_IDENTITY, errorBody, errorEvent, messageBody, messageStream, startFakeAnthropic, type FakeAnthropic,
} from '../../helpers/fake-anthropic.ts'
import { apiKey, attempt, oauth, setupToken } from './fixtures.ts'
import { assemble, parseSse } from './sse.ts'

const adapter = createAnthropicMessagesAdapter({ now: () => 1767225600_000 })
let fake: FakeAnthropic
t.beforeEach(async () => { fake = await startFakeAnthropic({ apiKeys: [apiKey.secret], oauthTokens: [oauth.secret, setupToken.secret] }) })
t.afterEach(async () => {
  await fake.close()
})

function gated (): { gate: Promise<void>, release: () => void } {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  return { gate, release }
}

const ask = { messages: [{ role: 'user', content: 'Hello' }] }

t.test('the registry serves the anthropic-messages family', async (t) => {
  t.equal(createAdapterRegistry().get('anthropic-messages')?.api, 'anthropic-messages')
})

t.test('an API key goes in x-api-key with anthropic-version, and a non-stream answer comes back as chat.completion', async (t) => {
  fake.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'Hi!' }], usage: { input: 5, output: 2 } }) })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: ask })))
  t.equal(r.contentType, 'application/json')
  t.equal(r.status, 200)
  const body = JSON.parse(await collect(r))
  t.equal(body.object, 'chat.completion')
  t.equal(body.created, 1767225600)
  t.equal(body.choices[0].message.content, 'Hi!')
  t.same(body.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 } })
  t.same(fake.violations, [])
  const seen = fake.requests[0]
  t.equal(seen.headers['x-api-key'], apiKey.secret)
  t.equal(seen.headers['anthropic-version'], '2023-06-01')
  t.equal(seen.headers.authorization, undefined)
  t.equal(seen.headers['anthropic-beta'], undefined)
  t.same(seen.body, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], max_tokens: 64000 })
})

t.test('OAuth and setup-token credentials use a bearer token, the Claude Code betas, headers and system prompt', async (t) => {
  for (const credential of [oauth, setupToken, { ...apiKey, secret: setupToken.secret }]) {
    fake.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'ok' }] }) })
    success(await adapter.attempt(attempt({
      baseUrl: fake.baseUrl,
      credential,
      headers: { 'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14' },
      body: { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] },
    })))
  }
  t.same(fake.violations, [])
  t.equal(fake.requests.length, 3)
  for (const [i, seen] of fake.requests.entries()) {
    t.equal(seen.headers.authorization, i === 0 ? `Bearer ${oauth.secret}` : `Bearer ${setupToken.secret}`)
    t.equal(seen.headers['x-api-key'], undefined)
    t.equal(seen.headers['anthropic-beta'], 'fine-grained-tool-streaming-2025-05-14,claude-code-20250219,oauth-2025-04-20')
    t.match(seen.headers['user-agent'], /^claude-cli\/\S+ \(external, cli\)$/)
    t.equal(seen.headers['x-app'], 'cli')
    t.same((seen.body as Record<string, unknown>).system, [{ type: 'text', text: CLAUDE_CODE_IDENTITY }, { type: 'text', text: 'Be brief.' }])
  }
})

t.test('a streamed answer is translated chunk by chunk and ends in [DONE]', async (t) => {
  fake.reply({ kind: 'sse', events: messageStream({ blocks: [{ type: 'text', parts: ['Hello', ', world'] }] }) })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })))
  t.equal(r.contentType, 'text/event-stream')
  t.match(r.first.toString(), /^data: \{.*"delta":\{"role":"assistant","content":""\}/)
  const chunks = parseSse(await collect(r))
  t.equal(chunks.at(-1), '[DONE]')
  t.same(assemble(chunks), { content: 'Hello, world', reasoning: '', toolCalls: [], finish: 'stop', thinkingBlocks: [] })
  t.equal((fake.requests[0].body as Record<string, unknown>).stream, true)
  t.equal(fake.requests[0].headers.accept, 'text/event-stream')
  t.same(fake.violations, [])
})

t.test('events split across tiny chunks, inside multi-byte characters, are reassembled', async (t) => {
  const text = ['Grüße, ', '世界 ', '🎉 done']
  fake.reply({ kind: 'sse', chunkSize: 3, events: messageStream({ blocks: [{ type: 'text', parts: text }] }) })
  const chunks = parseSse(await collect(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } }))))
  t.equal(assemble(chunks).content, text.join(''))
})

t.test('several streamed tool calls and a usage chunk with cache tokens reach the client', async (t) => {
  fake.reply({
    kind: 'sse',
    chunkSize: 17,
    events: messageStream({
      stopReason: 'tool_use',
      usage: { input: 40, cacheRead: 5000, cacheWrite: 1200, output: 88 },
      blocks: [
        { type: 'text', parts: ['I will check both cities.'] },
        { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', parts: ['{"location": "San', ' Francisco, CA"}'] },
        { type: 'tool_use', id: 'toolu_01QbeFbYx7kVHd4ZGTtbJh2h', name: 'get_weather', parts: ['{"location"', ': "Paris"}'] },
      ],
    }),
  })
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }]
  const chunks = parseSse(await collect(await adapter.attempt(attempt({
    baseUrl: fake.baseUrl,
    body: { ...ask, stream: true, stream_options: { include_usage: true }, tools, tool_choice: 'auto' },
  }))))
  const msg = assemble(chunks)
  t.same(msg.toolCalls, [
    { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' },
    { id: 'toolu_01QbeFbYx7kVHd4ZGTtbJh2h', name: 'get_weather', arguments: '{"location": "Paris"}' },
  ])
  t.equal(msg.finish, 'tool_calls')
  const usage = chunks.at(-2) as Record<string, any>
  t.same(usage.usage, { prompt_tokens: 6240, completion_tokens: 88, total_tokens: 6328, prompt_tokens_details: { cached_tokens: 5000, cache_write_tokens: 1200 } })
  t.same(fake.violations, [])
})

t.test('images reach Anthropic as base64 and url sources', async (t) => {
  fake.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'A cat and a dog.' }] }) })
  success(await adapter.attempt(attempt({
    baseUrl: fake.baseUrl,
    body: {
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'Describe.' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' } },
          { type: 'image_url', image_url: { url: 'https://upload.example.org/dog.jpg' } },
        ],
      }],
    },
  })))
  t.same(fake.violations, [])
  const content = (fake.requests[0].body as any).messages[0].content
  t.equal(content[1].source.type, 'base64')
  t.equal(content[1].source.media_type, 'image/png')
  t.same(content[2].source, { type: 'url', url: 'https://upload.example.org/dog.jpg' })
})

t.test('reasoning_effort asks for thinking, and streamed thinking comes back as reasoning_content', async (t) => {
  fake.reply({
    kind: 'sse',
    events: messageStream({
      blocks: [
        { type: 'thinking', parts: ['The user wants ', 'a number.'], signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
        { type: 'text', parts: ['42'] },
      ],
    }),
  })
  const chunks = parseSse(await collect(await adapter.attempt(attempt({
    baseUrl: fake.baseUrl,
    body: { ...ask, stream: true, reasoning_effort: 'low', temperature: 0.3 },
  }))))
  t.same(fake.violations, [])
  const sent = fake.requests[0].body as Record<string, unknown>
  t.same(sent.thinking, { type: 'enabled', budget_tokens: 2048 })
  t.equal(sent.temperature, undefined)
  const msg = assemble(chunks)
  t.equal(msg.reasoning, 'The user wants a number.')
  t.equal(msg.content, '42')
  t.same(msg.thinkingBlocks, [{ type: 'thinking', thinking: 'The user wants a number.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' }])
})

t.test('each finish reason comes through a stream and a plain response', async (t) => {
  for (const [stop, finish] of [['end_turn', 'stop'], ['max_tokens', 'length'], ['tool_use', 'tool_calls'], ['stop_sequence', 'stop']]) {
    const blocks = stop === 'tool_use'
      ? [{ type: 'tool_use' as const, id: 'toolu_1', name: 'f', parts: ['{}'] }]
      : [{ type: 'text' as const, parts: ['x'] }]
    fake.reply({ kind: 'sse', events: messageStream({ blocks, stopReason: stop }) })
    const chunks = parseSse(await collect(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } }))))
    t.equal(assemble(chunks).finish, finish, `stream ${stop}`)
    fake.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'x' }], stopReason: stop }) })
    const body = JSON.parse(await collect(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: ask }))))
    t.equal(body.choices[0].finish_reason, finish, `json ${stop}`)
  }
})

t.test('an error event after output ends the stream with the upstream message', async (t) => {
  const events = messageStream({ blocks: [{ type: 'text', parts: ['Once upon', ' a time'] }] }).slice(0, 5)
  events.push(errorEvent('overloaded_error', 'Overloaded'))
  // The error is held back until the attempt has returned: only then is the stream committed.
  const { gate, release } = gated()
  fake.reply({ kind: 'sse', events, gate: { after: 4, release: gate } })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })))
  release()
  let text = r.first.toString()
  await t.rejects(async () => { for await (const c of r.rest) text += c.toString() }, { message: 'Overloaded' })
  r.close()
  t.equal(assemble(parseSse(text)).content, 'Once upon a time', 'the text before the error was delivered')
})

t.test('an error event before any output is a failure the gateway can fail over on', async (t) => {
  const start = messageStream({ blocks: [] })[0]
  fake.reply({ kind: 'sse', events: [start, { event: 'ping', data: { type: 'ping' } }, errorEvent('overloaded_error', 'Overloaded')] })
  const r = await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } }))
  t.match(r, { kind: 'failure', reason: 'rate_limit', message: 'stream error overloaded_error: Overloaded' })
  fake.reply({ kind: 'sse', events: [start, errorEvent('api_error', 'Internal server error')] })
  t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })), { kind: 'failure', reason: 'unknown' })
})

t.test('an error in the same upstream chunk as the first output still fails over: nothing was committed', async (t) => {
  const events = messageStream({ blocks: [{ type: 'text', parts: ['Hi'] }] }).slice(0, 4)
  events.push(errorEvent('rate_limit_error', 'Rate limited'))
  fake.reply({ kind: 'sse', events, oneWrite: true })
  t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })), { kind: 'failure', reason: 'rate_limit' })
})

t.test('HTTP errors are classified for routing: 529, 429, credit balance, 401, 403, 404, 413, 400', async (t) => {
  const cases: Array<[number, string, string, Record<string, unknown>, Record<string, string>?]> = [
    [529, 'overloaded_error', 'Overloaded', { kind: 'failure', reason: 'rate_limit', status: 529 }],
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', { kind: 'failure', reason: 'rate_limit', status: 429, retryAfterMs: 30000 }, { 'retry-after': '30' }],
    [400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.', { kind: 'failure', reason: 'billing', status: 400 }],
    [401, 'authentication_error', 'invalid x-api-key', { kind: 'failure', reason: 'auth', status: 401 }],
    [403, 'permission_error', 'OAuth token does not meet scope requirement', { kind: 'failure', reason: 'auth', status: 403 }],
    [404, 'not_found_error', 'model: claude-nope', { kind: 'model_not_found', status: 404 }],
    [413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', { kind: 'bad_request', status: 413 }],
    [400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum', { kind: 'bad_request', status: 400 }],
  ]
  for (const [status, type, message, want, headers] of cases) {
    fake.reply({ kind: 'json', status, body: errorBody(type, message), headers })
    const r = await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } }))
    t.match(r, want, `${status} ${type}`)
  }
})

t.test('input Anthropic cannot take is a 400 without any upstream call', async (t) => {
  const r = await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, n: 3 } }))
  t.same(r, { kind: 'bad_request', status: 400, message: 'n=3 is not supported by Anthropic models (only n=1)' })
  t.equal(fake.requests.length, 0)
})

t.test('the stream is passed on as it arrives, not buffered', async (t) => {
  const { gate, release } = gated()
  const events = messageStream({ blocks: [{ type: 'text', parts: ['first', ' second'] }] })
  // Hold the upstream after the first text delta: everything up to it must already be out.
  fake.reply({ kind: 'sse', events, gate: { after: 4, release: gate } })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })))
  const it = r.rest[Symbol.asyncIterator]()
  let early = r.first.toString()
  while (!early.includes('"content":"first"')) {
    const step = await it.next()
    if (step.done === true) throw new Error('stream ended early')
    early += step.value.toString()
  }
  t.notMatch(early, /second/, 'later text has not been sent by the upstream yet')
  release()
  let text = early
  for (let step = await it.next(); step.done !== true; step = await it.next()) text += step.value.toString()
  r.close()
  t.equal(assemble(parseSse(text)).content, 'first second')
})

t.test('an upstream that dies mid-stream fails the attempt before output and ends the stream after it', async (t) => {
  const events = messageStream({ blocks: [{ type: 'text', parts: ['partial', ' more'] }] })
  fake.reply({ kind: 'sse', events, cutAfter: 1 })
  t.match(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })), { kind: 'failure' })
  const { gate, release } = gated()
  fake.reply({ kind: 'sse', events, gate: { after: 4, release: gate }, cutAfter: 5 })
  const r = success(await adapter.attempt(attempt({ baseUrl: fake.baseUrl, body: { ...ask, stream: true } })))
  release()
  await t.rejects(async () => { for await (const c of r.rest) void c })
  r.close()
})
