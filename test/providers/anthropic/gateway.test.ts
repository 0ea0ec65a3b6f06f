// The official openai SDK → rotor → fake Anthropic, and failover from Anthropic to an
// OpenAI-family model inside one client request.
import t, { type Test } from 'tap'
import OpenAI from 'openai'
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.ts'
import type { TestGateway } from '../../helpers/gateway.ts'
import { errorBody, errorEvent, messageBody, messageStream, startFakeAnthropic, type FakeAnthropic } from '../../helpers/fake-anthropic.ts'
import { chatAnswer, openaiClient, startProviderGateway, weatherTool } from '../../helpers/provider-gateway.ts'

const ANTHROPIC_KEY = 'sk-ant-api03-gatewaytest-1a2b'
const OPENAI_KEY = 'sk-proj-gatewaytest-3c4d'

interface Setup { gw: TestGateway, anthropic: FakeAnthropic, openai: FakeUpstream, client: OpenAI }

async function setup (t: Test): Promise<Setup> {
  const anthropic = await startFakeAnthropic({ apiKeys: [ANTHROPIC_KEY] })
  const openai = await startFakeUpstream(chatAnswer(['from openai']))
  const gw = await startProviderGateway(t, {
    providers: {
      anthropic: {
        baseUrl: anthropic.baseUrl,
        api: 'anthropic-messages',
        models: [{ id: 'claude-sonnet-4-5', reasoning: true, input: ['text', 'image'], contextWindow: 200000, maxTokens: 64000 }],
      },
      openai: { baseUrl: `${openai.url}/v1`, api: 'openai-completions', models: [{ id: 'gpt-5-mini' }] },
    },
    model: { primary: 'anthropic/claude-sonnet-4-5', fallbacks: ['openai/gpt-5-mini'] },
    models: { 'anthropic/claude-sonnet-4-5': { alias: 'sonnet' } },
    profiles: {
      'anthropic:work': { type: 'api_key', provider: 'anthropic', key: ANTHROPIC_KEY },
      'openai:main': { type: 'api_key', provider: 'openai', key: OPENAI_KEY },
    },
    upstreams: [anthropic, openai],
  })
  return { gw, anthropic, openai, client: openaiClient(gw) }
}

t.test('the openai SDK gets a translated non-stream answer from Anthropic through rotor', async (t) => {
  const { client, anthropic } = await setup(t)
  anthropic.reply({
    kind: 'json',
    body: messageBody({
      stopReason: 'tool_use',
      usage: { input: 30, cacheRead: 1000, cacheWrite: 50, output: 20 },
      content: [{ type: 'text', text: 'Looking it up.' }, { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } }],
    }),
  })
  const { data, response } = await client.chat.completions.create({
    model: 'sonnet',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris?' }],
    tools: [weatherTool],
    max_tokens: 500,
  }).withResponse()
  t.equal(response.headers.get('x-rotor-model'), 'anthropic/claude-sonnet-4-5')
  t.equal(response.headers.get('x-rotor-profile'), 'anthropic:work')
  const choice = data.choices[0]
  t.equal(choice.finish_reason, 'tool_calls')
  t.equal(choice.message.content, 'Looking it up.')
  t.same(choice.message.tool_calls, [{ id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }])
  t.equal(data.usage?.prompt_tokens, 1080)
  t.equal(data.usage?.prompt_tokens_details?.cached_tokens, 1000)
  t.same(anthropic.violations, [])
  const sent = anthropic.requests[0].body as Record<string, unknown>
  t.same(sent.system, [{ type: 'text', text: 'Be brief.' }])
  t.equal(sent.max_tokens, 500)
})

t.test('the openai SDK streams text and several tool calls from Anthropic through rotor', async (t) => {
  const { client, anthropic } = await setup(t)
  anthropic.reply({
    kind: 'sse',
    chunkSize: 40,
    events: messageStream({
      stopReason: 'tool_use',
      usage: { input: 12, cacheRead: 400, output: 33 },
      blocks: [
        { type: 'text', parts: ['Checking ', 'both.'] },
        { type: 'tool_use', id: 'toolu_01P', name: 'get_weather', parts: ['{"city":', ' "Paris"}'] },
        { type: 'tool_use', id: 'toolu_01R', name: 'get_weather', parts: ['{"city": "Ro', 'me"}'] },
      ],
    }),
  })
  const stream = client.chat.completions.stream({
    model: 'anthropic/claude-sonnet-4-5',
    messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
    tools: [weatherTool],
    stream_options: { include_usage: true },
  })
  const pieces: string[] = []
  stream.on('content.delta', ({ delta }) => { pieces.push(delta) })
  const final = await stream.finalChatCompletion()
  t.same(pieces, ['Checking ', 'both.'])
  const choice = final.choices[0]
  t.equal(choice.finish_reason, 'tool_calls')
  t.equal(choice.message.content, 'Checking both.')
  t.same(choice.message.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, args: c.function.arguments })), [
    { id: 'toolu_01P', name: 'get_weather', args: '{"city": "Paris"}' },
    { id: 'toolu_01R', name: 'get_weather', args: '{"city": "Rome"}' },
  ])
  t.equal(final.usage?.prompt_tokens, 412)
  t.equal(final.usage?.completion_tokens, 33)
  t.same(anthropic.violations, [])
})

t.test('a 529 from Anthropic falls back to the OpenAI-family model within the same request', async (t) => {
  const { gw, anthropic, openai } = await setup(t)
  anthropic.reply({ kind: 'json', status: 529, body: errorBody('overloaded_error', 'Overloaded') })
  const res = await gw.chat({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
  t.equal(res.headers.get('x-rotor-attempts'), '2')
  const body = await res.json() as { choices: Array<{ message: { content: string } }> }
  t.equal(body.choices[0].message.content, 'from openai')
  t.equal(anthropic.requests.length, 1)
  t.equal(openai.requests.length, 1)
  t.equal(openai.requests[0].headers.authorization, `Bearer ${OPENAI_KEY}`)
})

t.test('an overloaded error event before any output falls back too, and the client sees one clean stream', async (t) => {
  const { client, anthropic, openai } = await setup(t)
  anthropic.reply({ kind: 'sse', events: [messageStream({ blocks: [] })[0], errorEvent('overloaded_error', 'Overloaded')] })
  const { data, response } = await client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }], stream: true }).withResponse()
  let text = ''
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? ''
  t.equal(response.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
  t.equal(text, 'from openai')
  t.equal(openai.requests.length, 1)
})

t.test('an error event after output ends the client stream with an error event', async (t) => {
  const { gw, anthropic } = await setup(t)
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const events = messageStream({ blocks: [{ type: 'text', parts: ['Once upon', ' a time'] }] }).slice(0, 5)
  events.push(errorEvent('overloaded_error', 'Overloaded'))
  anthropic.reply({ kind: 'sse', events, gate: { after: 5, release: gate } })
  const res = await gw.chat({ model: 'sonnet', stream: true, messages: [{ role: 'user', content: 'story' }] })
  t.equal(res.status, 200)
  release()
  const text = await res.text()
  t.match(text, /"content":"Once upon"/)
  const last = text.split('\n\n').filter(Boolean).at(-1) ?? ''
  t.match(last, /^data: \{"error":\{.*Overloaded/)
  t.notMatch(text, /\[DONE\]/)
})

t.test('a request Anthropic cannot serve is a 400 for the client, with no upstream call', async (t) => {
  const { client, anthropic } = await setup(t)
  await t.rejects(
    client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }], n: 2 }),
    { status: 400, message: /n=2 is not supported by Anthropic models/ },
  )
  t.equal(anthropic.requests.length, 0)
})
