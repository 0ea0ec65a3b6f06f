import t from 'tap'
import { CLAUDE_CODE_IDENTITY, toAnthropicRequest, type AnthropicRequest } from '../../../src/providers/anthropic/request.ts'
import type { ModelDef } from '../../../src/config/types.ts'
import { checkBody } from '../../helpers/fake-anthropic.ts'
import { sonnet } from './fixtures.ts'

const plain = { stream: false, claudeCode: false }

function ok (body: Record<string, unknown>, opts = plain, model: ModelDef = sonnet): AnthropicRequest {
  const r = toAnthropicRequest(body, model, opts)
  if (r.kind !== 'ok') throw new Error(`expected ok, got: ${r.message}`)
  // Every translation must also pass the fake API's strict checks.
  const problems = checkBody(r.request, opts.claudeCode)
  if (problems.length > 0) throw new Error(`fake API would reject: ${problems.join('; ')}`)
  return r.request
}

function invalid (body: Record<string, unknown>): string {
  const r = toAnthropicRequest(body, sonnet, plain)
  if (r.kind !== 'invalid') throw new Error('expected invalid')
  return r.message
}

const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content })

t.test('system and developer messages become the top-level system, in order', async (t) => {
  const req = ok({
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in French.', cache_control: { type: 'ephemeral' } }] },
      user('Hello'),
    ],
  })
  t.same(req.system, [
    { type: 'text', text: 'You are terse.' },
    { type: 'text', text: 'Answer in French.', cache_control: { type: 'ephemeral' } },
  ])
  t.same(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }])
  t.equal(req.model, 'claude-sonnet-4-5')
})

t.test('max_tokens defaults to the catalog maxTokens; max_completion_tokens wins over max_tokens', async (t) => {
  t.equal(ok({ messages: [user('hi')] }).max_tokens, 64000)
  t.equal(ok({ messages: [user('hi')], max_tokens: 100 }).max_tokens, 100)
  t.equal(ok({ messages: [user('hi')], max_tokens: 100, max_completion_tokens: 200 }).max_tokens, 200)
  t.match(invalid({ messages: [user('hi')], max_tokens: 0 }), /max_tokens must be a positive integer/)
})

t.test('images become base64 or url sources', async (t) => {
  const req = ok({
    messages: [user([
      { type: 'text', text: 'What is in these?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'data:image/jpg;base64,/9j/4AAQ', detail: 'high' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.webp' } },
    ])],
  })
  t.same(req.messages[0].content, [
    { type: 'text', text: 'What is in these?' },
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.webp' } },
  ])
})

t.test('images Anthropic cannot read are rejected', async (t) => {
  t.match(invalid({ messages: [user([{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }])] }), /image\/bmp is not supported/)
  t.match(invalid({ messages: [user([{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }])] }), /data: URL or an http\(s\) URL/)
  t.match(invalid({ messages: [user([{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }])] }), /input_audio" is not supported/)
})

t.test('tool calls become tool_use, tool messages one user turn of tool_result blocks', async (t) => {
  const req = ok({
    messages: [
      user('Weather in Paris and Rome?'),
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          { id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_02', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: '18C' },
      { role: 'tool', tool_call_id: 'toolu_02', content: [{ type: 'text', text: '24C' }] },
      user('Thanks, which is warmer?'),
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  })
  t.same(req.messages, [
    { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking both.' },
        { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_02', name: 'get_weather', input: { city: 'Rome' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_01', content: '18C' },
        { type: 'tool_result', tool_use_id: 'toolu_02', content: [{ type: 'text', text: '24C' }] },
        { type: 'text', text: 'Thanks, which is warmer?' },
      ],
    },
  ])
  t.same(req.tools, [{ name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }])
  t.equal(req.tool_choice, undefined)
})

t.test('an assistant message with null content and a no-argument tool call translates', async (t) => {
  const req = ok({
    messages: [
      user('time?'),
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'now', arguments: '' } }] },
      { role: 'tool', tool_call_id: 'toolu_9', content: '12:00' },
    ],
    tools: [{ type: 'function', function: { name: 'now' } }],
  })
  t.same(req.messages[1].content, [{ type: 'tool_use', id: 'toolu_9', name: 'now', input: {} }])
  t.same(req.tools, [{ name: 'now', input_schema: { type: 'object', properties: {} } }])
})

t.test('tool call arguments that are not a JSON object are rejected', async (t) => {
  const call = (args: string): Record<string, unknown> => ({
    messages: [user('x'), { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: args } }] }],
  })
  t.match(invalid(call('{"city":')), /arguments is not valid JSON/)
  t.match(invalid(call('[1,2]')), /must encode a JSON object/)
})

t.test('tool_choice maps auto, none, required and a named function; parallel_tool_calls:false disables parallel use', async (t) => {
  const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }]
  const base = { messages: [user('x')], tools }
  t.same(ok({ ...base, tool_choice: 'auto' }).tool_choice, undefined)
  t.same(ok({ ...base, tool_choice: 'none' }).tool_choice, { type: 'none' })
  t.same(ok({ ...base, tool_choice: 'required' }).tool_choice, { type: 'any' })
  t.same(ok({ ...base, tool_choice: { type: 'function', function: { name: 'f' } } }).tool_choice, { type: 'tool', name: 'f' })
  t.same(ok({ ...base, parallel_tool_calls: false }).tool_choice, { type: 'auto', disable_parallel_tool_use: true })
  t.same(ok({ ...base, tool_choice: 'required', parallel_tool_calls: false }).tool_choice, { type: 'any', disable_parallel_tool_use: true })
  t.equal(ok({ messages: [user('x')], tool_choice: 'required' }).tool_choice, undefined, 'no tools, no tool_choice')
  t.match(invalid({ ...base, tool_choice: 'sometimes' }), /tool_choice must be/)
  t.match(invalid({ messages: [user('x')], tools: [{ type: 'custom', custom: { name: 'g' } }] }), /only \{type:"function"/)
})

t.test('sampling: temperature is clamped to 0–1, top_p is dropped beside temperature, stop becomes stop_sequences', async (t) => {
  const a = ok({ messages: [user('x')], temperature: 1.7, top_p: 0.9, stop: 'END' })
  t.equal(a.temperature, 1)
  t.equal(a.top_p, undefined)
  t.same(a.stop_sequences, ['END'])
  const b = ok({ messages: [user('x')], top_p: 0.5, stop: ['a', '', 'b'] })
  t.equal(b.top_p, 0.5)
  t.same(b.stop_sequences, ['a', 'b'])
  t.equal(ok({ messages: [user('x')], stop: [''] }).stop_sequences, undefined)
  t.match(invalid({ messages: [user('x')], temperature: 'hot' }), /temperature must be a number/)
})

t.test('reasoning_effort becomes a thinking budget and removes temperature and top_p', async (t) => {
  const r = ok({ messages: [user('x')], reasoning_effort: 'medium', temperature: 0.2, top_p: 0.3 })
  t.same(r.thinking, { type: 'enabled', budget_tokens: 8192 })
  t.equal(r.temperature, undefined)
  t.equal(r.top_p, undefined)
  t.equal(r.max_tokens, 64000)
  t.same(ok({ messages: [user('x')], reasoning_effort: 'high', max_tokens: 4096 }).thinking, { type: 'enabled', budget_tokens: 3072 },
    'the budget shrinks to leave room for the answer')
  t.equal(ok({ messages: [user('x')], reasoning_effort: 'high', max_tokens: 1500 }).thinking, undefined, 'too small for any budget')
  t.equal(ok({ messages: [user('x')], reasoning_effort: 'none' }).thinking, undefined)
  t.equal(ok({ messages: [user('x')], reasoning_effort: 'low' }, plain, { ...sonnet, reasoning: false }).thinking, undefined,
    'dropped on a model without reasoning')
  t.equal(ok({ messages: [user('x')], reasoning_effort: 'low', tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required' }).thinking, undefined,
    'dropped when tool_choice forces a tool')
  t.match(invalid({ messages: [user('x')], reasoning_effort: 'extreme' }), /reasoning_effort must be one of/)
  t.same(ok({ messages: [user('x')], thinking: { type: 'enabled', budget_tokens: 2000 } }).thinking, { type: 'enabled', budget_tokens: 2000 },
    'an Anthropic thinking object passes through')
})

t.test('assistant thinking_blocks are replayed first and unchanged', async (t) => {
  const req = ok({
    messages: [
      user('x'),
      {
        role: 'assistant',
        content: null,
        thinking_blocks: [{ type: 'thinking', thinking: 'Let me look.', signature: 'EqQBCgIYAhIM' }, { type: 'redacted_thinking', data: 'EmwKAhgB' }],
        tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'done' },
    ],
    tools: [{ type: 'function', function: { name: 'f' } }],
    reasoning_effort: 'low',
  })
  t.same(req.messages[1].content, [
    { type: 'thinking', thinking: 'Let me look.', signature: 'EqQBCgIYAhIM' },
    { type: 'redacted_thinking', data: 'EmwKAhgB' },
    { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
  ])
})

t.test('user becomes metadata.user_id and stream is set', async (t) => {
  const r = ok({ messages: [user('x')], user: 'user-42' }, { stream: true, claudeCode: false })
  t.same(r.metadata, { user_id: 'user-42' })
  t.equal(r.stream, true)
})

t.test('subscription credentials put the Claude Code identity first in system, once', async (t) => {
  const cc = { stream: false, claudeCode: true }
  t.same(ok({ messages: [user('x')] }, cc).system, [{ type: 'text', text: CLAUDE_CODE_IDENTITY }])
  t.same(ok({ messages: [{ role: 'system', content: 'Be brief.' }, user('x')] }, cc).system,
    [{ type: 'text', text: CLAUDE_CODE_IDENTITY }, { type: 'text', text: 'Be brief.' }])
  t.same(ok({ messages: [{ role: 'system', content: CLAUDE_CODE_IDENTITY }, user('x')] }, cc).system,
    [{ type: 'text', text: CLAUDE_CODE_IDENTITY }])
})

t.test('parameters Anthropic cannot honour are rejected with a clear message', async (t) => {
  const m = [user('x')]
  t.match(invalid({ messages: m, n: 2 }), /n=2 is not supported by Anthropic models/)
  t.match(invalid({ messages: m, logprobs: true }), /logprobs is not supported/)
  t.match(invalid({ messages: m, top_logprobs: 3 }), /top_logprobs is not supported/)
  t.match(invalid({ messages: m, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } }), /response_format json_schema is not supported/)
  t.match(invalid({ messages: m, modalities: ['text', 'audio'] }), /modalities/)
  t.match(invalid({ messages: m, functions: [{ name: 'f' }] }), /legacy functions/)
  t.match(invalid({ messages: [{ role: 'function', name: 'f', content: 'x' }] }), /role "function"/)
  t.match(invalid({ messages: [{ role: 'system', content: 'only a system prompt' }] }), /at least one user or assistant message/)
  t.match(invalid({ messages: 'hello' }), /messages must be an array/)
})

t.test('parameters without an Anthropic counterpart are dropped', async (t) => {
  const r = ok({
    messages: [{ role: 'user', content: 'x', name: 'alice' }],
    n: 1, logprobs: false, response_format: { type: 'text' }, frequency_penalty: 0.5, presence_penalty: 0.1,
    logit_bias: { 50256: -100 }, seed: 7, service_tier: 'auto', store: true, metadata: { k: 'v' },
    stream_options: { include_usage: true }, prompt_cache_key: 'k', safety_identifier: 's', verbosity: 'low',
  })
  t.same(Object.keys(r).sort(), ['max_tokens', 'messages', 'model'])
})
