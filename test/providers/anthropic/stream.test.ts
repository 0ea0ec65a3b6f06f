import t from 'tap'
import { AnthropicStreamTranslator } from '../../../src/providers/anthropic/stream.ts'
import { UpstreamEventError } from '../../../src/core/errors.ts'
import { errorEvent, messageStream, type SseEvent } from '../../helpers/fake-anthropic.ts'
import { assemble, deltas, parseSse } from './sse.ts'

function run (events: SseEvent[], includeUsage = false): string {
  const tr = new AnthropicStreamTranslator({ includeUsage, created: 1767225600, model: 'claude-sonnet-4-5' })
  let out = ''
  for (const e of events) out += tr.push(e.event, JSON.stringify(e.data))
  return out + tr.end()
}

t.test('a text stream starts with the role chunk and ends with finish_reason and [DONE]', async (t) => {
  const chunks = parseSse(run(messageStream({ blocks: [{ type: 'text', parts: ['Hel', 'lo!'] }] })))
  t.equal(chunks.at(-1), '[DONE]')
  const first = chunks[0] as Record<string, any>
  t.same(first, {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    object: 'chat.completion.chunk',
    created: 1767225600,
    model: 'claude-sonnet-4-5-20250929',
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
  })
  t.same(deltas(chunks), [{ role: 'assistant', content: '' }, { content: 'Hel' }, { content: 'lo!' }, {}])
  t.equal(assemble(chunks).finish, 'stop')
  t.notOk(chunks.some((c) => c !== '[DONE]' && 'usage' in c), 'no usage chunk unless asked')
})

t.test('several tool calls stream with their own index, id, name and argument pieces', async (t) => {
  const chunks = parseSse(run(messageStream({
    stopReason: 'tool_use',
    blocks: [
      { type: 'text', parts: ['Checking.'] },
      { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', parts: ['{"city": ', '"Paris"}'] },
      { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', parts: ['{"ci', 'ty": "Rome"}'] },
      { type: 'tool_use', id: 'toolu_01C', name: 'get_time', parts: [] },
    ],
  })))
  const d = deltas(chunks)
  t.same(d[2], { tool_calls: [{ index: 0, id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } }] })
  t.same(d[3], { tool_calls: [{ index: 0, function: { arguments: '{"city": ' } }] })
  const msg = assemble(chunks)
  t.equal(msg.content, 'Checking.')
  t.same(msg.toolCalls, [
    { id: 'toolu_01A', name: 'get_weather', arguments: '{"city": "Paris"}' },
    { id: 'toolu_01B', name: 'get_weather', arguments: '{"city": "Rome"}' },
    { id: 'toolu_01C', name: 'get_time', arguments: '{}' },
  ], 'a call without arguments gets "{}"')
  t.equal(msg.finish, 'tool_calls')
})

t.test('thinking streams as reasoning_content and closes with a replayable thinking block', async (t) => {
  const chunks = parseSse(run(messageStream({
    blocks: [
      { type: 'thinking', parts: ['Let me ', 'think.'], signature: 'EqQBCgIYAhIMsig' },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy' },
      { type: 'text', parts: ['42'] },
    ],
  })))
  const msg = assemble(chunks)
  t.equal(msg.reasoning, 'Let me think.')
  t.equal(msg.content, '42')
  t.same(msg.thinkingBlocks, [
    { type: 'thinking', thinking: 'Let me think.', signature: 'EqQBCgIYAhIMsig' },
    { type: 'redacted_thinking', data: 'EmwKAhgBEgy' },
  ])
})

t.test('include_usage adds a final usage chunk with cache tokens before [DONE]', async (t) => {
  const chunks = parseSse(run(messageStream({
    blocks: [{ type: 'text', parts: ['ok'] }],
    usage: { input: 12, cacheRead: 1800, cacheWrite: 200, output: 9 },
  }), true))
  t.equal(chunks.at(-1), '[DONE]')
  const usage = chunks.at(-2) as Record<string, any>
  t.same(usage.choices, [])
  t.same(usage.usage, { prompt_tokens: 2012, completion_tokens: 9, total_tokens: 2021, prompt_tokens_details: { cached_tokens: 1800, cache_write_tokens: 200 } })
})

t.test('each stop_reason arrives as its finish_reason', async (t) => {
  for (const [stop, finish] of [['end_turn', 'stop'], ['stop_sequence', 'stop'], ['max_tokens', 'length'], ['tool_use', 'tool_calls'], ['refusal', 'content_filter']]) {
    t.equal(assemble(parseSse(run(messageStream({ blocks: [{ type: 'text', parts: ['x'] }], stopReason: stop })))).finish, finish, stop)
  }
})

t.test('ping and message_start produce nothing; the role chunk waits for content', async (t) => {
  const tr = new AnthropicStreamTranslator({ includeUsage: false, created: 1, model: 'm' })
  const events = messageStream({ blocks: [{ type: 'text', parts: ['a'] }] })
  t.equal(tr.push('message_start', JSON.stringify(events[0].data)), '')
  t.equal(tr.push('ping', '{"type": "ping"}'), '')
  t.notOk(tr.started)
  t.match(tr.push('content_block_start', JSON.stringify(events[2].data)), /"role":"assistant"/)
  t.ok(tr.started)
})

t.test('an error event throws UpstreamEventError with the upstream type and message', async (t) => {
  const events = messageStream({ blocks: [{ type: 'text', parts: ['partial'] }] }).slice(0, 4)
  events.push(errorEvent('overloaded_error', 'Overloaded'))
  let caught: unknown
  try { run(events) } catch (err) { caught = err }
  t.ok(caught instanceof UpstreamEventError)
  t.match(caught, { errorType: 'overloaded_error', message: 'Overloaded' })
})

t.test('a stream cut before message_delta is an error; one missing only message_stop is complete', async (t) => {
  const events = messageStream({ blocks: [{ type: 'text', parts: ['x'] }] })
  t.throws(() => run(events.slice(0, -2)), /ended before message_stop/)
  const chunks = parseSse(run(events.slice(0, -1)))
  t.equal(chunks.at(-1), '[DONE]')
  t.equal(assemble(chunks).finish, 'stop')
})

t.test('unknown event types and unreadable data are handled', async (t) => {
  const tr = new AnthropicStreamTranslator({ includeUsage: false, created: 1, model: 'm' })
  t.equal(tr.push('future_event', '{"type":"future_event"}'), '')
  t.throws(() => tr.push('content_block_delta', '{not json'), /unreadable content_block_delta event/)
})
