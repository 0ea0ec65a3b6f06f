// One loopback upstream that answers every family rotor's fuzzed providers speak, always
// correctly: OpenAI chat completions, Anthropic messages and OpenAI responses, JSON or SSE as
// asked. Whatever the fuzz finds is then rotor's own doing, never an upstream's.
import { completion, sseChunk, startFakeUpstream, type FakeUpstream, type RecordedRequest, type Scripted } from '../helpers/fake-upstream.ts'
import { encodeEvent, transcript, type SseEvent } from '../providers/responses/fake-codex.ts'

function sse (events: readonly SseEvent[]): Scripted {
  return { chunks: events.map(encodeEvent), headers: { 'content-type': 'text/event-stream; charset=utf-8' } }
}

function anthropic (req: RecordedRequest): Scripted {
  const model = typeof req.body.model === 'string' ? req.body.model : 'claude'
  const message = { id: 'msg_fuzz', type: 'message', role: 'assistant', model, content: [] as unknown[], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 0 } }
  if (req.body.stream !== true) {
    return { body: { ...message, content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 1 } } }
  }
  return sse([
    { event: 'message_start', data: { type: 'message_start', message } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } } },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ])
}

function responses (req: RecordedRequest): Scripted {
  const model = typeof req.body.model === 'string' ? req.body.model : 'gpt'
  const events = transcript([{ type: 'message', text: ['o', 'k'] }], { model })
  if (req.body.stream === true) return sse(events)
  const completed = events[events.length - 1].data as { response: unknown }
  return { body: completed.response }
}

function chat (req: RecordedRequest): Scripted {
  const model = typeof req.body.model === 'string' ? req.body.model : 'm'
  if (req.body.stream !== true) return { body: completion('ok', model) }
  const done = `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1700000000, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`
  return { chunks: [sseChunk('ok', model), done, 'data: [DONE]\n\n'] }
}

export function startWellBehavedUpstream (): Promise<FakeUpstream> {
  return startFakeUpstream((req) => {
    const path = req.url.split('?')[0]
    if (path.endsWith('/messages')) return anthropic(req)
    if (path.endsWith('/responses')) return responses(req)
    return chat(req)
  })
}
