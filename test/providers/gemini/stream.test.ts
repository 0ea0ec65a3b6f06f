// Cloud Code Assist SSE events → chat.completion.chunk text, one event at a time; and the
// non-stream generateContent answer → chat.completion.
import t from 'tap'
import { fromCloudCodeResponse } from '../../../src/providers/gemini/response.ts'
import { GeminiStreamTranslator } from '../../../src/providers/gemini/stream.ts'
import { UpstreamEventError } from '../../../src/core/errors.ts'
import { googleError, textResponse } from '../../helpers/fake-cloudcode.ts'
import { assemble, deltas, parseSse } from '../anthropic/sse.ts'

const wrap = (r: unknown): string => JSON.stringify({ response: r, traceId: 't1' })
const parts = (ps: unknown[], finish?: string, usage?: unknown): Record<string, unknown> =>
  ({ candidates: [{ content: { role: 'model', parts: ps }, ...(finish !== undefined ? { finishReason: finish } : {}) }], ...(usage !== undefined ? { usageMetadata: usage } : {}) })

function run (events: unknown[], includeUsage = false): string {
  const tr = new GeminiStreamTranslator({ includeUsage, created: 1767225600, model: 'gemini-3-pro-high' })
  let out = ''
  for (const e of events) out += tr.push(undefined, wrap(e))
  return out + tr.end()
}

t.test('text streams after the role chunk and ends with finish_reason and [DONE]', async (t) => {
  const chunks = parseSse(run([textResponse(['Hel']), textResponse(['lo!'], 'STOP')]))
  t.equal(chunks.at(-1), '[DONE]')
  const first = chunks[0] as Record<string, any>
  t.strictSame(first, {
    id: 'resp-fake-1', object: 'chat.completion.chunk', created: 1767225600, model: 'gemini-3-pro-preview',
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
  })
  t.strictSame(deltas(chunks), [{ role: 'assistant', content: '' }, { content: 'Hel' }, { content: 'lo!' }, {}])
  t.equal(assemble(chunks).finish, 'stop')
  t.notOk(chunks.some((c) => c !== '[DONE]' && 'usage' in c), 'no usage chunk unless asked')
})

t.test('function calls become whole tool calls with ids, arguments and their signature', async (t) => {
  const chunks = parseSse(run([
    parts([{ text: 'Checking both.' }]),
    parts([
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'U0lHMQ==' },
      { functionCall: { name: 'get_weather', args: { city: 'Rome' }, id: 'toolu_up' } },
      { functionCall: { name: 'get_time' } },
    ], 'STOP'),
  ]))
  const d = deltas(chunks)
  t.match(d[2], { tool_calls: [{ index: 0, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'U0lHMQ==' } } }] })
  const msg = assemble(chunks)
  t.match(msg.toolCalls[0].id, /^call_[\w-]{16}$/)
  t.equal(msg.toolCalls[1].id, 'toolu_up', 'an upstream id is kept')
  t.strictSame(msg.toolCalls.map((c) => [c.name, c.arguments]), [['get_weather', '{"city":"Paris"}'], ['get_weather', '{"city":"Rome"}'], ['get_time', '{}']])
  t.equal(msg.finish, 'tool_calls')
  t.equal(msg.content, 'Checking both.')
})

t.test('thought parts stream as reasoning_content; a signed run closes with a replayable thinking block', async (t) => {
  const chunks = parseSse(run([
    parts([{ thought: true, text: 'Step one. ' }]),
    parts([{ thought: true, text: 'Step two.', thoughtSignature: 'c2ln' }]),
    parts([{ text: 'Done.' }], 'STOP'),
  ]))
  const msg = assemble(chunks)
  t.equal(msg.reasoning, 'Step one. Step two.')
  t.strictSame(msg.thinkingBlocks, [{ type: 'thinking', thinking: 'Step one. Step two.', signature: 'c2ln' }])
  t.equal(msg.content, 'Done.')
  const unsigned = assemble(parseSse(run([parts([{ thought: true, text: 'quiet' }]), parts([{ text: 'ok' }], 'STOP')])))
  t.strictSame(unsigned.thinkingBlocks, [], 'Gemini thought summaries without a signature are not replayable')
})

t.test('finish reasons map to OpenAI values', async (t) => {
  const finish = (reason: string): string | null => assemble(parseSse(run([textResponse(['x'], reason)]))).finish
  t.equal(finish('MAX_TOKENS'), 'length')
  t.equal(finish('SAFETY'), 'content_filter')
  t.equal(finish('RECITATION'), 'content_filter')
  t.equal(finish('MALFORMED_FUNCTION_CALL'), 'stop')
  t.equal(finish('OTHER'), 'stop')
})

t.test('usage comes from the last usageMetadata: cached inside prompt, thoughts inside completion', async (t) => {
  const chunks = parseSse(run([
    textResponse(['a'], undefined, { promptTokenCount: 50 }),
    parts([{ text: 'b' }], 'STOP', { promptTokenCount: 1000, cachedContentTokenCount: 800, candidatesTokenCount: 20, thoughtsTokenCount: 30, totalTokenCount: 1050 }),
  ], true))
  const usage = (chunks.at(-2) as Record<string, any>)
  t.strictSame(usage.choices, [])
  t.strictSame(usage.usage, { prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050, prompt_tokens_details: { cached_tokens: 800 }, completion_tokens_details: { reasoning_tokens: 30 } })
})

t.test('a stream cut before any finish reason is an error at EOF; an error event throws with its code', async (t) => {
  const tr = new GeminiStreamTranslator({ includeUsage: false, created: 0, model: 'm' })
  tr.push(undefined, wrap(textResponse(['partial'])))
  t.throws(() => tr.end(), /ended before a finish reason/)
  const tr2 = new GeminiStreamTranslator({ includeUsage: false, created: 0, model: 'm' })
  let thrown: unknown
  try { tr2.push(undefined, JSON.stringify(googleError(429, 'RESOURCE_EXHAUSTED', 'slow down'))) } catch (err) { thrown = err }
  t.ok(thrown instanceof UpstreamEventError)
  t.equal((thrown as UpstreamEventError).status, 429)
  t.equal(tr2.started, false, 'nothing was produced before the error, so the gateway may fail over')
})

t.test('a prompt blocked before any candidate ends with content_filter', async (t) => {
  const msg = assemble(parseSse(run([{ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4 } }])))
  t.equal(msg.finish, 'content_filter')
})

t.test('a non-stream answer becomes one chat.completion with reasoning, tool calls and usage', async (t) => {
  const r = fromCloudCodeResponse({ response: {
    ...parts([
      { thought: true, text: 'Think.', thoughtSignature: 'c2ln' },
      { text: 'Calling.' },
      { functionCall: { name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: 'U0lH' },
    ], 'STOP', { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 2, totalTokenCount: 17 }),
    responseId: 'resp-9', modelVersion: 'gemini-3-pro-preview',
  } }, { created: 1767225600, model: 'gemini-3-pro-high' })
  if (r.kind !== 'ok') throw new Error(r.message)
  const c = r.completion as Record<string, any>
  t.equal(c.id, 'resp-9')
  t.equal(c.choices[0].finish_reason, 'tool_calls')
  t.equal(c.choices[0].message.content, 'Calling.')
  t.equal(c.choices[0].message.reasoning_content, 'Think.')
  t.strictSame(c.choices[0].message.thinking_blocks, [{ type: 'thinking', thinking: 'Think.', signature: 'c2ln' }])
  t.match(c.choices[0].message.tool_calls, [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' }, extra_content: { google: { thought_signature: 'U0lH' } } }])
  t.strictSame(c.usage, { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 2 } })
  t.equal(Object.keys(c).at(-1), 'usage', 'usage last, where telemetry reads it')
  t.equal(fromCloudCodeResponse({ traceId: 'x' }, { created: 0, model: 'm' }).kind, 'invalid')
})
