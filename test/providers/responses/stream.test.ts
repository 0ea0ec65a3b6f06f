import t from 'tap'
import { fromResponsesObject, openAIUsage } from '../../../src/providers/responses/response.ts'
import { ResponsesAggregator, ResponsesStreamTranslator } from '../../../src/providers/responses/stream.ts'
import { UpstreamEventError } from '../../../src/core/errors.ts'
import { assemble, deltas, parseSse } from '../anthropic/sse.ts'
import { failedTranscript, transcript, usageOf, type SseEvent } from './fake-codex.ts'

const opts = { includeUsage: true, created: 1767225600, model: 'gpt-5.2' }

function run (events: readonly SseEvent[], o = opts): string {
  const tr = new ResponsesStreamTranslator(o)
  let out = ''
  for (const e of events) out += tr.push(e.event, JSON.stringify(e.data))
  out += tr.end()
  return out
}

const toolItems = [
  { type: 'reasoning' as const, summary: ['Two cities asked.', 'Call the tool twice.'] },
  { type: 'function_call' as const, callId: 'call_paris', name: 'get_weather', args: ['{"ci', 'ty":"Par', 'is"}'] },
  { type: 'function_call' as const, callId: 'call_rome', name: 'get_weather', args: ['{"city"', ':"Rome"}'] },
]
const usage = { input: 1200, cached: 1024, output: 300, reasoning: 128 }

t.test('text deltas become content chunks after one role chunk, and the stream closes with stop, usage and [DONE]', async (t) => {
  const chunks = parseSse(run(transcript([{ type: 'message', text: ['Hel', 'lo', '!'] }], { usage })))
  t.equal(chunks.at(-1), '[DONE]')
  const d = deltas(chunks)
  t.same(d[0], { role: 'assistant', content: '' })
  t.same(d.slice(1, 4), [{ content: 'Hel' }, { content: 'lo' }, { content: '!' }])
  const a = assemble(chunks)
  t.equal(a.content, 'Hello!')
  t.equal(a.finish, 'stop')
  const last = chunks.at(-2) as Record<string, any>
  t.same(last.choices, [])
  t.same(last.usage, { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 128 } })
  for (const c of chunks) {
    if (c === '[DONE]') continue
    t.equal(c.object, 'chat.completion.chunk')
    t.equal(c.id, 'resp_fake_1')
    t.equal(c.created, 1767225600)
    t.equal(c.model, 'gpt-5.2')
  }
})

t.test('two function calls with argument deltas become indexed tool_calls deltas, with the reasoning summary as reasoning_content', async (t) => {
  const chunks = parseSse(run(transcript(toolItems, { usage })))
  const a = assemble(chunks)
  t.same(a.toolCalls, [
    { id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { id: 'call_rome', name: 'get_weather', arguments: '{"city":"Rome"}' },
  ])
  t.equal(a.reasoning, 'Two cities asked.\n\nCall the tool twice.')
  t.equal(a.finish, 'tool_calls')
  const starts = deltas(chunks).filter((d) => d.tool_calls?.[0]?.id !== undefined).map((d) => d.tool_calls[0])
  t.same(starts, [
    { index: 0, id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '' } },
    { index: 1, id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '' } },
  ])
  const argDeltas = deltas(chunks).filter((d) => d.tool_calls?.[0]?.id === undefined && d.tool_calls !== undefined).map((d) => d.tool_calls[0].function.arguments)
  t.same(argDeltas, ['{"ci', 'ty":"Par', 'is"}', '{"city"', ':"Rome"}'], 'argument fragments are forwarded as they come, never repeated')
})

t.test('a call whose arguments come only whole (done events) still gets them once', async (t) => {
  const events = transcript([{ type: 'function_call', callId: 'call_x', name: 'noop', args: [] }])
  const a = assemble(parseSse(run(events)))
  t.same(a.toolCalls, [{ id: 'call_x', name: 'noop', arguments: '{}' }])
})

t.test('without include_usage no usage chunk is sent', async (t) => {
  const chunks = parseSse(run(transcript([{ type: 'message', text: ['x'] }]), { ...opts, includeUsage: false }))
  t.notOk(chunks.some((c) => c !== '[DONE]' && 'usage' in c))
})

t.test('response.incomplete ends with finish_reason length', async (t) => {
  t.equal(assemble(parseSse(run(transcript([{ type: 'message', text: ['cut'] }], { incomplete: 'max_output_tokens' })))).finish, 'length')
})

t.test('response.failed throws an UpstreamEventError carrying code, status and wait hint; nothing was emitted before it', async (t) => {
  const tr = new ResponsesStreamTranslator(opts)
  const events = failedTranscript('usage_limit_reached', 'The usage limit has been reached', { resets_in_seconds: 1800 })
  let out = ''
  let caught: unknown
  try { for (const e of events) out += tr.push(e.event, JSON.stringify(e.data)) } catch (err) { caught = err }
  t.ok(caught instanceof UpstreamEventError)
  const e = caught as UpstreamEventError
  t.equal(e.errorType, 'usage_limit_reached')
  t.equal(e.status, 429)
  t.same(JSON.parse(e.raw ?? ''), { error: { resets_in_seconds: 1800, code: 'usage_limit_reached', message: 'The usage limit has been reached' } })
  t.equal(out, '')
  t.equal(tr.started, false)
})

t.test('an error event mid-stream throws after the text already emitted', async (t) => {
  const tr = new ResponsesStreamTranslator(opts)
  const events = transcript([{ type: 'message', text: ['partial'] }]).slice(0, 5)
  let out = ''
  for (const e of events) out += tr.push(e.event, JSON.stringify(e.data))
  t.equal(assemble(parseSse(out)).content, 'partial')
  let caught: unknown
  try { tr.push('error', JSON.stringify({ type: 'error', code: 'server_error', message: 'boom', param: null })) } catch (err) { caught = err }
  t.ok(caught instanceof UpstreamEventError, 'expected to throw')
  t.match(caught, { errorType: 'server_error', status: 500 })
})

t.test('an upstream that stops before response.completed is an error, not a silent stop', async (t) => {
  const events = transcript([{ type: 'message', text: ['a'] }]).slice(0, -1)
  t.throws(() => run(events), /ended before response.completed/)
})

t.test('the aggregator folds a stream into the final response, rebuilding output when Codex leaves it empty', async (t) => {
  for (const emptyFinalOutput of [false, true]) {
    const agg = new ResponsesAggregator()
    for (const e of transcript([...toolItems, { type: 'message', text: ['Checking', ' now.'] }], { usage, emptyFinalOutput })) agg.push(e.event, JSON.stringify(e.data))
    t.ok(agg.done)
    const r = fromResponsesObject(agg.result(), { created: 1, model: 'fallback' })
    if (r.kind !== 'ok') throw new Error(r.message)
    const c = r.completion as Record<string, any>
    t.equal(c.object, 'chat.completion')
    t.equal(c.id, 'resp_fake_1')
    t.equal(c.model, 'gpt-5.2')
    t.equal(c.created, 1767225600)
    t.same(c.choices[0].message, {
      role: 'assistant',
      content: 'Checking now.',
      refusal: null,
      tool_calls: [
        { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      ],
      reasoning_content: 'Two cities asked.\n\nCall the tool twice.',
    }, `emptyFinalOutput=${String(emptyFinalOutput)}`)
    t.equal(c.choices[0].finish_reason, 'tool_calls')
    t.same(Object.keys(c).at(-1), 'usage', 'usage is the last key (telemetry reads the tail)')
  }
})

t.test('usage maps input (cached included) to prompt tokens and reasoning into completion details', async (t) => {
  t.same(openAIUsage(usageOf(usage)), {
    prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500,
    prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 128 },
  })
  t.same(openAIUsage(undefined).prompt_tokens, 0)
})
