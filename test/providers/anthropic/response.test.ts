import t from 'tap'
import { finishReason, fromAnthropicResponse } from '../../../src/providers/anthropic/response.ts'
import { messageBody } from '../../helpers/fake-anthropic.ts'

const opts = { created: 1767225600, model: 'claude-sonnet-4-5' }

function completion (json: unknown): Record<string, any> {
  const r = fromAnthropicResponse(json, opts)
  if (r.kind !== 'ok') throw new Error(r.message)
  return r.completion
}

t.test('a text answer becomes a chat.completion with id, model, created and usage last', async (t) => {
  const c = completion(messageBody({ content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ' there.' }] }))
  t.same(c, {
    id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
    object: 'chat.completion',
    created: 1767225600,
    model: 'claude-sonnet-4-5-20250929',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 } },
  })
  t.same(Object.keys(c).at(-1), 'usage')
})

t.test('tool_use blocks become tool_calls with JSON string arguments', async (t) => {
  const c = completion(messageBody({
    stopReason: 'tool_use',
    content: [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_01B', name: 'get_time', input: {} },
    ],
  }))
  const choice = c.choices[0]
  t.equal(choice.finish_reason, 'tool_calls')
  t.equal(choice.message.content, 'Let me check.')
  t.same(choice.message.tool_calls, [
    { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    { id: 'toolu_01B', type: 'function', function: { name: 'get_time', arguments: '{}' } },
  ])
})

t.test('a tool-only answer has null content', async (t) => {
  const c = completion(messageBody({ stopReason: 'tool_use', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } }] }))
  t.equal(c.choices[0].message.content, null)
})

t.test('thinking becomes reasoning_content plus replayable thinking_blocks', async (t) => {
  const c = completion(messageBody({
    content: [
      { type: 'thinking', thinking: 'Two plus two...', signature: 'EqQBCgIYAhIM' },
      { type: 'redacted_thinking', data: 'EmwKAhgB' },
      { type: 'text', text: '4' },
    ],
  }))
  const m = c.choices[0].message
  t.equal(m.content, '4')
  t.equal(m.reasoning_content, 'Two plus two...')
  t.same(m.thinking_blocks, [
    { type: 'thinking', thinking: 'Two plus two...', signature: 'EqQBCgIYAhIM' },
    { type: 'redacted_thinking', data: 'EmwKAhgB' },
  ])
})

t.test('usage counts cache reads and writes in prompt_tokens and reports cached_tokens', async (t) => {
  const c = completion(messageBody({ content: [{ type: 'text', text: 'x' }], usage: { input: 10, cacheRead: 2000, cacheWrite: 300, output: 42 } }))
  t.same(c.usage, { prompt_tokens: 2310, completion_tokens: 42, total_tokens: 2352, prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 300 } })
})

t.test('each stop_reason maps to its finish_reason', async (t) => {
  const cases: Array<[string, string]> = [
    ['end_turn', 'stop'], ['stop_sequence', 'stop'], ['max_tokens', 'length'], ['tool_use', 'tool_calls'],
    ['pause_turn', 'stop'], ['refusal', 'content_filter'], ['model_context_window_exceeded', 'length'],
  ]
  for (const [stop, finish] of cases) {
    t.equal(finishReason(stop), finish, stop)
    t.equal(completion(messageBody({ content: [{ type: 'text', text: 'x' }], stopReason: stop })).choices[0].finish_reason, finish)
  }
  t.equal(finishReason(null), 'stop')
})

t.test('a body without a content array is reported as invalid', async (t) => {
  t.same(fromAnthropicResponse({ type: 'message' }, opts), { kind: 'invalid', message: 'Anthropic response has no content array' })
  t.equal(fromAnthropicResponse('nope', opts).kind, 'invalid')
})
