import t from 'tap'
import { DEFAULT_INSTRUCTIONS, toResponsesRequest, type ToResponsesOptions } from '../../../src/providers/responses/request.ts'
import { checkBody } from './fake-codex.ts'
import { gpt41, gpt52 } from './fixtures.ts'

const codex: ToResponsesOptions = { flavour: 'codex', stream: false, sessionId: '11111111-2222-4333-8444-555555555555' }
const openai: ToResponsesOptions = { flavour: 'openai', stream: false }

function ok (body: Record<string, unknown>, opts = codex, model = gpt52): Record<string, any> {
  const r = toResponsesRequest(body, model, opts)
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${r.message}`)
  return r.request as unknown as Record<string, any>
}

function invalid (body: Record<string, unknown>, opts = codex): string {
  const r = toResponsesRequest(body, gpt52, opts)
  if (r.kind !== 'invalid') throw new Error('expected invalid')
  return r.message
}

const weather = { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }

t.test('system and developer messages become instructions, user text becomes input_text, and Codex always streams statelessly', async (t) => {
  const req = ok({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: [{ type: 'text', text: 'Use metric.' }] }, { role: 'user', content: 'Hi' }] })
  t.same(req, {
    model: 'gpt-5.2',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }],
    store: false,
    stream: true,
    instructions: 'Be brief.\n\nUse metric.',
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { summary: 'auto' },
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: codex.sessionId,
  })
  t.same(checkBody(req, 'codex'), [])
})

t.test('Codex gets default instructions when the client sent no system prompt', async (t) => {
  t.equal(ok({ messages: [{ role: 'user', content: 'Hi' }] }).instructions, DEFAULT_INSTRUCTIONS)
  t.equal(ok({ messages: [{ role: 'user', content: 'Hi' }] }, openai).instructions, undefined)
})

t.test('a tool round trip becomes function_call and function_call_output items with the call ids kept', async (t) => {
  const req = ok({
    messages: [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '18C' },
      { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '21' }, { type: 'text', text: 'C' }] },
      { role: 'assistant', content: 'Paris 18C, Rome 21C.' },
      { role: 'user', content: [{ type: 'text', text: 'And this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
    ],
    tools: [weather],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    parallel_tool_calls: true,
  })
  t.same(req.input, [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris and Rome?' }] },
    { type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { type: 'function_call', call_id: 'call_b', name: 'get_weather', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_a', output: '18C' },
    { type: 'function_call_output', call_id: 'call_b', output: '21C' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Paris 18C, Rome 21C.', annotations: [] }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And this?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' }] },
  ])
  t.same(req.tools, [{ type: 'function', name: 'get_weather', description: 'Weather now', parameters: weather.function.parameters, strict: false }])
  t.same(req.tool_choice, { type: 'function', name: 'get_weather' })
  t.equal(req.parallel_tool_calls, true)
  t.same(checkBody(req, 'codex'), [])
})

t.test('reasoning_effort becomes reasoning.effort with an automatic summary, only on reasoning models', async (t) => {
  t.same(ok({ messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'high' }).reasoning, { effort: 'high', summary: 'auto' })
  const plain = ok({ messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'high' }, openai, gpt41)
  t.equal(plain.reasoning, undefined)
  t.equal(plain.include, undefined)
  t.match(invalid({ messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'max' }), /reasoning_effort must be one of/)
})

t.test('Codex drops what it refuses while the OpenAI flavour translates it', async (t) => {
  const body = { messages: [{ role: 'user', content: 'x' }], max_tokens: 100, max_completion_tokens: 200, temperature: 0.2, top_p: 0.9, user: 'u1', stream: true }
  const c = ok(body)
  for (const k of ['max_output_tokens', 'temperature', 'top_p', 'user']) t.notOk(k in c, `codex has no ${k}`)
  const o = ok(body, { flavour: 'openai', stream: true })
  t.equal(o.max_output_tokens, 200)
  t.equal(o.temperature, 0.2)
  t.equal(o.top_p, 0.9)
  t.equal(o.user, 'u1')
  t.equal(o.stream, true)
  t.equal(o.store, false)
  t.same(checkBody(o, 'openai'), [])
  t.equal(ok(body, openai).stream, false, 'the OpenAI flavour streams only when asked')
})

t.test('response_format and verbosity become text.format and text.verbosity', async (t) => {
  const req = ok({
    messages: [{ role: 'user', content: 'x' }],
    response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
    verbosity: 'low',
  })
  t.same(req.text, { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' })
})

t.test('a client prompt_cache_key wins over the Codex session id', async (t) => {
  t.equal(ok({ messages: [{ role: 'user', content: 'x' }], prompt_cache_key: 'mine' }).prompt_cache_key, 'mine')
})

t.test('requests the Responses API cannot honour are rejected with a reason', async (t) => {
  const m = [{ role: 'user', content: 'x' }]
  t.match(invalid({ messages: m, n: 2 }), /n=2/)
  t.match(invalid({ messages: m, stop: ['END'] }), /stop/)
  t.match(invalid({ messages: m, logprobs: true }), /logprobs/)
  t.match(invalid({ messages: m, functions: [] }), /legacy functions/)
  t.match(invalid({ messages: m, tools: [{ type: 'web_search' }] }), /only \{type:"function"/)
  t.match(invalid({ messages: [{ role: 'function', content: 'x' }] }), /role "function"/)
  t.match(invalid({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }), /input_audio/)
  t.match(invalid({ messages: [{ role: 'tool', content: 'x' }] }), /tool_call_id is required/)
  t.match(invalid({ messages: [{ role: 'system', content: 'only system' }] }), /at least one user or assistant/)
  t.match(invalid({ messages: 'hi' }), /messages must be an array/)
  t.equal(ok({ messages: m, stop: [] }).model, 'gpt-5.2', 'an empty stop list is harmless')
})
