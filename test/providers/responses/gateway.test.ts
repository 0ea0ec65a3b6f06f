// The official openai SDK → rotor → fake Codex backend, with an oauth profile whose token is
// far from expiry (no refresh needed), and failover from Codex to an OpenAI-chat model.
import t, { type Test } from 'tap'
import OpenAI from 'openai'
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.ts'
import type { TestGateway } from '../../helpers/gateway.ts'
import { chatAnswer, openaiClient, startProviderGateway, weatherTool } from '../../helpers/provider-gateway.ts'
import { assemble, parseSse } from '../anthropic/sse.ts'
import { chatgptJwt, failedTranscript, startFakeCodex, transcript, type FakeCodex } from './fake-codex.ts'

const ACCESS = chatgptJwt('acc-1')
const OTHER_KEY = 'sk-other-gatewaytest-5e6f'

interface Setup { gw: TestGateway, codex: FakeCodex, other: FakeUpstream, client: OpenAI }

async function setup (t: Test, profile: Record<string, unknown> = {}): Promise<Setup> {
  const codex = await startFakeCodex({ accounts: { [ACCESS]: 'acc-1' } })
  const other = await startFakeUpstream(chatAnswer(['from other']))
  const gw = await startProviderGateway(t, {
    providers: {
      'openai-codex': { baseUrl: codex.baseUrl, api: 'openai-responses', auth: 'oauth', models: [{ id: 'gpt-5.2', reasoning: true, input: ['text', 'image'] }] },
      other: { baseUrl: `${other.url}/v1`, api: 'openai-completions', models: [{ id: 'o1' }] },
    },
    model: { primary: 'openai-codex/gpt-5.2', fallbacks: ['other/o1'] },
    models: { 'openai-codex/gpt-5.2': { alias: 'codex' } },
    profiles: {
      'openai-codex:default': { type: 'oauth', provider: 'openai-codex', access: ACCESS, refresh: 'r', expires: Date.now() + 3600e3, accountId: 'acc-1', ...profile },
      'other:main': { type: 'api_key', provider: 'other', key: OTHER_KEY },
    },
    upstreams: [codex, other],
  })
  return { gw, codex, other, client: openaiClient(gw) }
}

t.test('a non-stream request through rotor reaches Codex as a stream and comes back as one chat.completion', async (t) => {
  const { client, codex } = await setup(t)
  codex.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['Hello', ' from Codex'] }], { usage: { input: 50, cached: 32, output: 7, reasoning: 2 } }) })
  const { data, response } = await client.chat.completions.create({ model: 'codex', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] }).withResponse()
  t.equal(data.choices[0].message.content, 'Hello from Codex')
  t.equal(data.usage?.prompt_tokens, 50)
  t.equal(data.usage?.prompt_tokens_details?.cached_tokens, 32)
  t.equal(response.headers.get('x-rotor-model'), 'openai-codex/gpt-5.2')
  t.equal(response.headers.get('x-rotor-profile'), 'openai-codex:default')
  t.same(codex.violations, [])
  const seen = codex.requests[0]
  t.equal(seen.headers['chatgpt-account-id'], 'acc-1')
  t.equal(seen.headers.authorization, `Bearer ${ACCESS}`)
  t.equal(seen.body.instructions, 'Be brief.')
  t.equal(seen.body.stream, true)
})

t.test('a streamed tool-call answer reaches the SDK as chat.completion.chunk deltas with usage', async (t) => {
  const { client, codex } = await setup(t)
  codex.reply({
    kind: 'sse',
    events: transcript([
      { type: 'reasoning', summary: ['Look it up.'] },
      { type: 'function_call', callId: 'call_1', name: 'get_weather', args: ['{"ci', 'ty":"Oslo"}'] },
      { type: 'function_call', callId: 'call_2', name: 'get_weather', args: ['{"city":"Bergen"}'] },
    ], { usage: { input: 900, cached: 512, output: 40, reasoning: 16 } }),
  })
  const stream = await client.chat.completions.create({
    model: 'openai-codex/gpt-5.2', stream: true, stream_options: { include_usage: true }, reasoning_effort: 'medium',
    messages: [{ role: 'user', content: 'Weather in Oslo and Bergen?' }], tools: [weatherTool],
  })
  const calls: Array<{ id: string, name: string, args: string }> = []
  let finish: string | null = null
  let usage: OpenAI.CompletionUsage | undefined
  for await (const chunk of stream) {
    t.equal(chunk.object, 'chat.completion.chunk')
    if (chunk.usage != null) usage = chunk.usage
    const choice = chunk.choices[0]
    if (choice === undefined) continue
    for (const tc of choice.delta.tool_calls ?? []) {
      const slot = calls[tc.index] ?? (calls[tc.index] = { id: '', name: '', args: '' })
      if (tc.id !== undefined) slot.id = tc.id
      if (tc.function?.name !== undefined) slot.name = tc.function.name
      slot.args += tc.function?.arguments ?? ''
    }
    if (choice.finish_reason !== null) finish = choice.finish_reason
  }
  t.same(calls, [{ id: 'call_1', name: 'get_weather', args: '{"city":"Oslo"}' }, { id: 'call_2', name: 'get_weather', args: '{"city":"Bergen"}' }])
  t.equal(finish, 'tool_calls')
  t.same(usage, { prompt_tokens: 900, completion_tokens: 40, total_tokens: 940, prompt_tokens_details: { cached_tokens: 512 }, completion_tokens_details: { reasoning_tokens: 16 } })
  t.same(codex.violations, [])
  t.same(codex.requests[0].body.tools, [{ type: 'function', name: 'get_weather', description: 'Current weather', parameters: weatherTool.function.parameters, strict: false }])
  t.same(codex.requests[0].body.reasoning, { effort: 'medium', summary: 'auto' })
})

t.test('the tool results of a second turn go back to Codex as function_call_output items', async (t) => {
  const { client, codex } = await setup(t)
  codex.reply({ kind: 'sse', events: transcript([{ type: 'message', text: ['Oslo is 3C.'] }]) })
  const res = await client.chat.completions.create({
    model: 'codex',
    tools: [weatherTool],
    messages: [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '3C' },
    ],
  })
  t.equal(res.choices[0].message.content, 'Oslo is 3C.')
  t.same(codex.violations, [])
  t.same(codex.requests[0].body.input, [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Oslo?' }] },
    { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    { type: 'function_call_output', call_id: 'call_1', output: '3C' },
  ])
})

t.test('response.failed before any output fails over to the fallback model', async (t) => {
  const { gw, codex, other } = await setup(t)
  codex.reply({ kind: 'sse', events: failedTranscript('usage_limit_reached', 'The usage limit has been reached', { resets_in_seconds: 3600 }) })
  const res = await gw.chat({ model: 'codex', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'other/o1')
  t.equal(res.headers.get('x-rotor-attempts'), '2')
  t.equal(assemble(parseSse(await res.text())).content, 'from other')
  t.equal(other.requests.length, 1)
})

t.test('an error after the first chunk ends the client stream with an SSE error event', async (t) => {
  const { gw, codex } = await setup(t)
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const events = transcript([{ type: 'message', text: ['partial'] }]).slice(0, 5)
  events.push({ event: 'response.failed', data: { type: 'response.failed', sequence_number: 50, response: { id: 'resp_fake_1', status: 'failed', error: { code: 'server_error', message: 'backend went away' } } } })
  codex.reply({ kind: 'sse', events, gate: { after: 5, release: gate } })
  const res = await gw.chat({ model: 'codex', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  const reader = res.body!.getReader()
  const first = await reader.read()
  release()
  let text = Buffer.from(first.value ?? new Uint8Array()).toString('utf8')
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    text += Buffer.from(value).toString('utf8')
  }
  const frames = parseSse(text)
  t.equal(assemble(frames.filter((f) => f === '[DONE]' || Array.isArray(f.choices))).content, 'partial')
  const last = frames.filter((f) => f !== '[DONE]').at(-1) as Record<string, any>
  t.ok(last.error !== undefined, 'the stream ends with an error event')
  t.match(last.error.message, /backend went away/)
})
