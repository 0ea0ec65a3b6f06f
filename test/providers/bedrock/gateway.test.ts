// The official openai SDK → rotor → fake Bedrock (SigV4 checked by aws4): chat, streams,
// tools over two turns, images, reasoning replay and usage with cache tokens.
import t from 'tap'
import { converseBody, converseStream } from '../../helpers/fake-bedrock.ts'
import { weatherTool } from '../../helpers/provider-gateway.ts'
import { BEDROCK_API_KEY, KEYS, MODEL, REF, REGION, setupBedrock } from './fixtures.ts'

/** The value at `path` inside a JSON value (undefined when absent). */
function at (v: unknown, ...path: Array<string | number>): unknown {
  let cur = v
  for (const k of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string | number, unknown>)[k] : undefined
  return cur
}

t.test('a non-stream chat is signed with the AWS chain, translated both ways, and reports cache tokens', async (t) => {
  const { client, bedrock } = await setupBedrock(t)
  bedrock.reply({
    kind: 'json',
    body: converseBody({ content: [{ text: 'Bonjour.' }], usage: { input: 30, output: 4, cacheRead: 1000, cacheWrite: 50 } }),
  })
  const { data, response } = await client.chat.completions.create({
    model: 'sonnet',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello in French.' }],
    max_tokens: 300,
    temperature: 0.2,
    stop: ['\n\n'],
  }).withResponse()
  t.equal(response.headers.get('x-rotor-model'), REF)
  t.equal(response.headers.get('x-rotor-profile'), 'amazon-bedrock:aws-sdk')
  t.equal(data.choices[0].message.content, 'Bonjour.')
  t.equal(data.choices[0].finish_reason, 'stop')
  t.match(data.id, /^chatcmpl-b1d7e0a4/)
  t.strictSame(data.usage, {
    prompt_tokens: 1080, completion_tokens: 4, total_tokens: 1084,
    prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 50 },
  })
  t.strictSame(bedrock.violations, [])
  const req = bedrock.requests[0]
  t.equal(req.url, `/model/${encodeURIComponent(MODEL)}/converse`)
  t.strictSame(req.auth, { kind: 'sigv4', id: KEYS.accessKeyId })
  t.match(String(req.headers.authorization), new RegExp(`/${REGION}/bedrock/aws4_request`))
  t.strictSame(req.body, {
    messages: [{ role: 'user', content: [{ text: 'Say hello in French.' }] }],
    system: [{ text: 'Be brief.' }],
    inferenceConfig: { maxTokens: 300, temperature: 0.2, stopSequences: ['\n\n'] },
  })
})

t.test('a stream split into tiny pieces arrives as chat chunks with text, tool calls and include_usage', async (t) => {
  const { client, bedrock } = await setupBedrock(t)
  bedrock.reply({
    kind: 'stream',
    chunkSize: 7,
    items: converseStream({
      stopReason: 'tool_use',
      usage: { input: 12, output: 33, cacheRead: 400 },
      blocks: [
        { type: 'text', parts: ['Checking ', 'both.'] },
        { type: 'toolUse', id: 'tooluse_P', name: 'get_weather', parts: ['{"city":', ' "Paris"}'] },
        { type: 'toolUse', id: 'tooluse_R', name: 'get_weather', parts: [] },
      ],
    }),
  })
  const stream = client.chat.completions.stream({
    model: REF,
    messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
    tools: [weatherTool],
    tool_choice: 'auto',
    stream_options: { include_usage: true },
  })
  const pieces: string[] = []
  stream.on('content.delta', ({ delta }) => { pieces.push(delta) })
  const final = await stream.finalChatCompletion()
  t.strictSame(pieces, ['Checking ', 'both.'])
  t.equal(final.choices[0].finish_reason, 'tool_calls')
  t.strictSame(final.choices[0].message.tool_calls?.map((c) => [c.id, c.function.name, c.function.arguments]), [
    ['tooluse_P', 'get_weather', '{"city": "Paris"}'],
    ['tooluse_R', 'get_weather', '{}'],
  ])
  t.equal(final.usage?.prompt_tokens, 412)
  t.equal(final.usage?.prompt_tokens_details?.cached_tokens, 400)
  t.strictSame(bedrock.violations, [])
  const req = bedrock.requests[0]
  t.equal(req.url, `/model/${encodeURIComponent(MODEL)}/converse-stream`)
  t.strictSame(at(req.body, 'toolConfig'), {
    tools: [{ toolSpec: { name: 'get_weather', description: 'Current weather', inputSchema: { json: weatherTool.function.parameters } } }],
    toolChoice: { auto: {} },
  })
})

t.test('tools over two turns: the tool call and its result go back as toolUse and toolResult', async (t) => {
  const { client, bedrock } = await setupBedrock(t)
  bedrock.reply(
    { kind: 'json', body: converseBody({ stopReason: 'tool_use', content: [{ text: 'Let me look.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }] }) },
    { kind: 'json', body: converseBody({ content: [{ text: 'Sunny, 21°C.' }] }) },
  )
  const messages: OpenAIMessage[] = [{ role: 'user', content: 'Weather in Paris?' }]
  const first = await client.chat.completions.create({ model: 'sonnet', messages, tools: [weatherTool], tool_choice: 'required' })
  const call = first.choices[0].message.tool_calls?.[0]
  t.equal(first.choices[0].finish_reason, 'tool_calls')
  t.strictSame(call?.type === 'function' ? [call.id, call.function.name, call.function.arguments] : undefined, ['tooluse_1', 'get_weather', '{"city":"Paris"}'])
  messages.push(first.choices[0].message as OpenAIMessage, { role: 'tool', tool_call_id: 'tooluse_1', content: '{"sky":"sunny","c":21}' })
  const second = await client.chat.completions.create({ model: 'sonnet', messages, tools: [weatherTool] })
  t.equal(second.choices[0].message.content, 'Sunny, 21°C.')
  t.strictSame(bedrock.violations, [])
  t.strictSame(at(bedrock.requests[0].body, 'toolConfig', 'toolChoice'), { any: {} })
  t.strictSame(at(bedrock.requests[1].body, 'messages'), [
    { role: 'user', content: [{ text: 'Weather in Paris?' }] },
    { role: 'assistant', content: [{ text: 'Let me look.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }] },
    { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: '{"sky":"sunny","c":21}' }] } }] },
  ])
})

type OpenAIMessage = Parameters<ReturnType<typeof import('../../helpers/provider-gateway.ts').openaiClient>['chat']['completions']['create']>[0]['messages'][number]

t.test('an image data URL reaches Bedrock as image bytes with its format', async (t) => {
  const { client, bedrock } = await setupBedrock(t)
  bedrock.reply({ kind: 'json', body: converseBody({ content: [{ text: 'A red dot.' }] }) })
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='
  const res = await client.chat.completions.create({
    model: 'sonnet',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
  })
  t.equal(res.choices[0].message.content, 'A red dot.')
  t.strictSame(bedrock.violations, [])
  t.strictSame(at(bedrock.requests[0].body, 'messages', 0, 'content'), [{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: png } } }])
  await t.rejects(client.chat.completions.create({
    model: 'sonnet',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
  }), { status: 400, message: /data: URL for Bedrock models/ }, 'a URL Bedrock cannot fetch is the client\'s 400, before any upstream call')
  t.equal(bedrock.requests.length, 1)
})

t.test('reasoning streams as reasoning_content and its signed block is replayed on the next turn', async (t) => {
  const { gw, bedrock } = await setupBedrock(t)
  bedrock.reply(
    { kind: 'stream', items: converseStream({ blocks: [{ type: 'reasoning', parts: ['Think ', 'first.'], signature: 'sig-abc' }, { type: 'text', parts: ['42'] }] }) },
    { kind: 'json', body: converseBody({ content: [{ text: 'Still 42.' }] }) },
  )
  const res = await gw.chat({ model: 'sonnet', stream: true, reasoning_effort: 'high', max_tokens: 20000, messages: [{ role: 'user', content: 'Answer?' }] })
  const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as unknown)
  const deltas = events.map((e) => at(e, 'choices', 0, 'delta'))
  t.equal(deltas.map((d) => at(d, 'reasoning_content') ?? '').join(''), 'Think first.')
  const block = deltas.map((d) => at(d, 'thinking_blocks')).find((b) => b !== undefined)
  t.strictSame(block, [{ type: 'thinking', thinking: 'Think first.', signature: 'sig-abc' }])
  t.equal(deltas.map((d) => at(d, 'content') ?? '').join(''), '42')
  t.strictSame(at(bedrock.requests[0].body, 'additionalModelRequestFields'), { thinking: { type: 'enabled', budget_tokens: 16384 } })
  t.strictSame(at(bedrock.requests[0].body, 'inferenceConfig'), { maxTokens: 20000 }, 'no temperature while thinking')

  const again = await gw.chat({
    model: 'sonnet',
    messages: [
      { role: 'user', content: 'Answer?' },
      { role: 'assistant', content: '42', thinking_blocks: block },
      { role: 'user', content: 'Sure?' },
    ],
  })
  t.equal(again.status, 200)
  t.strictSame(at(bedrock.requests[1].body, 'messages', 1, 'content'), [
    { reasoningContent: { reasoningText: { text: 'Think first.', signature: 'sig-abc' } } },
    { text: '42' },
  ])
  t.strictSame(bedrock.violations, [])
})

t.test('a Bedrock API key profile is sent as a bearer token, without SigV4', async (t) => {
  const { gw, bedrock } = await setupBedrock(t, {
    awsVars: {},
    profiles: { 'amazon-bedrock:key': { type: 'api_key', provider: 'amazon-bedrock', key: BEDROCK_API_KEY } },
  })
  bedrock.reply({ kind: 'json', body: converseBody({ content: [{ text: 'ok' }] }) })
  const res = await gw.chat({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-profile'), 'amazon-bedrock:key')
  t.strictSame(bedrock.requests[0].auth, { kind: 'bearer', id: BEDROCK_API_KEY })
  t.equal(bedrock.requests[0].headers['x-amz-date'], undefined)
  t.strictSame(bedrock.violations, [])
})
