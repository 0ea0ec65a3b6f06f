// Anthropic Messages SSE events → OpenAI chat.completion.chunk SSE text, one event at a time.
// Pure and incremental: it keeps only per-block state (tool index, thinking text for the
// replayable thinking block), never the output. The SSE framing is parsed by the caller.
//
// Output per event:
//   first content-bearing event → role chunk {"role":"assistant","content":""} (held back until
//                                 then, so an early `error` event can still fail over)
//   text block start/delta      → {"content": …}
//   tool_use start              → {"tool_calls":[{index, id, type:"function", function:{name, arguments:""}}]}
//   input_json_delta            → {"tool_calls":[{index, function:{arguments: partial}}]}
//   thinking_delta              → {"reasoning_content": …}
//   thinking block stop         → {"thinking_blocks":[{type:"thinking", thinking, signature}]} (replay it as is)
//   message_delta               → {} with finish_reason
//   message_stop                → usage chunk (choices: []) when include_usage, then [DONE]
//   ping, unknown events        → nothing
//   error                       → throws UpstreamEventError
import { isRecord } from '../../core/json.ts'
import { ChunkWriter, DONE_EVENT, type StreamOptions } from '../chat-output.ts'
import { UpstreamBodyError, UpstreamEventError } from '../../core/errors.ts'
import { parseEvent } from '../sse.ts'
import { emptyUsage, finishReason, mergeUsage, openAIUsage } from './response.ts'

/** Anthropic `error.type` → the HTTP status it comes with, to classify stream `error` events. */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
}

interface BlockState {
  readonly kind: 'text' | 'tool' | 'thinking' | 'other'
  readonly toolIndex: number
  /** Tool: arguments emitted so far? */
  args: boolean
  /** Tool: input given in content_block_start (server-filled), as JSON. */
  readonly input: string
  thinking: string
  signature: string
}

export class AnthropicStreamTranslator {
  readonly #opts: StreamOptions
  readonly #w: ChunkWriter
  #finishSent = false
  #finished = false
  #toolCount = 0
  readonly #blocks = new Map<number, BlockState>()
  readonly #usage = emptyUsage()

  constructor (opts: StreamOptions) {
    this.#opts = opts
    this.#w = new ChunkWriter('chatcmpl-anthropic', opts.model, opts.created)
  }

  /** True once any output chunk has been produced. */
  get started (): boolean { return this.#w.started }
  /** True once message_stop was translated ([DONE] emitted). */
  get finished (): boolean { return this.#finished }

  /** Translates one upstream event (its `event:` name and `data:` text). */
  push (eventName: string | undefined, data: string): string {
    if (this.#finished) return ''
    const { type, ev } = parseEvent('Anthropic', eventName, data)
    switch (type) {
      case 'message_start': {
        const msg = ev.message
        if (isRecord(msg)) {
          if (typeof msg.id === 'string') this.#w.id = msg.id
          if (typeof msg.model === 'string') this.#w.model = msg.model
          mergeUsage(this.#usage, msg.usage)
        }
        return ''
      }
      case 'content_block_start': return this.#w.role() + this.#blockStart(ev)
      case 'content_block_delta': return this.#w.role() + this.#blockDelta(ev)
      case 'content_block_stop': return this.#w.role() + this.#blockStop(ev)
      case 'message_delta': {
        mergeUsage(this.#usage, ev.usage)
        const stop = isRecord(ev.delta) ? ev.delta.stop_reason : undefined
        if (stop === undefined || stop === null) return this.#w.role()
        this.#finishSent = true
        return this.#w.role() + this.#w.chunk('{}', JSON.stringify(finishReason(stop)))
      }
      case 'message_stop': return this.#w.role() + this.#close()
      case 'error': {
        const err = isRecord(ev.error) ? ev.error : {}
        const errType = typeof err.type === 'string' ? err.type : 'api_error'
        throw new UpstreamEventError(errType, ERROR_STATUS[errType] ?? 500, typeof err.message === 'string' ? err.message : errType, data)
      }
      default: // ping and event types added later
        return ''
    }
  }

  /** Upstream EOF. Returns the closing chunks, or throws when the stream was cut short. */
  end (): string {
    if (this.#finished) return ''
    // message_delta carried the finish reason: only message_stop is missing, nothing is lost.
    if (this.#finishSent) return this.#close()
    throw new UpstreamBodyError('truncated', 'Anthropic stream ended before message_stop')
  }

  #close (): string {
    this.#finished = true
    let out = this.#finishSent ? '' : this.#w.chunk('{}', '"stop"')
    this.#finishSent = true
    if (this.#opts.includeUsage) out += this.#w.usage(openAIUsage(this.#usage))
    return out + DONE_EVENT
  }

  #blockStart (ev: Record<string, unknown>): string {
    const index = typeof ev.index === 'number' ? ev.index : -1
    const cb = isRecord(ev.content_block) ? ev.content_block : {}
    const state = (kind: BlockState['kind'], toolIndex = -1, input = ''): BlockState =>
      ({ kind, toolIndex, args: false, input, thinking: '', signature: '' })
    switch (cb.type) {
      case 'text':
        this.#blocks.set(index, state('text'))
        return typeof cb.text === 'string' && cb.text !== '' ? this.#w.chunk(`{"content":${JSON.stringify(cb.text)}}`) : ''
      case 'tool_use': {
        const toolIndex = this.#toolCount++
        const input = isRecord(cb.input) && Object.keys(cb.input).length > 0 ? JSON.stringify(cb.input) : ''
        this.#blocks.set(index, state('tool', toolIndex, input))
        const call = { index: toolIndex, id: cb.id, type: 'function', function: { name: cb.name, arguments: '' } }
        return this.#w.chunk(`{"tool_calls":[${JSON.stringify(call)}]}`)
      }
      case 'thinking': {
        const s = state('thinking')
        this.#blocks.set(index, s)
        if (typeof cb.thinking !== 'string' || cb.thinking === '') return ''
        s.thinking = cb.thinking
        return this.#w.chunk(`{"reasoning_content":${JSON.stringify(cb.thinking)}}`)
      }
      case 'redacted_thinking':
        this.#blocks.set(index, state('other'))
        return this.#w.chunk(JSON.stringify({ thinking_blocks: [{ type: 'redacted_thinking', data: cb.data }] }))
      default:
        this.#blocks.set(index, state('other'))
        return ''
    }
  }

  #blockDelta (ev: Record<string, unknown>): string {
    const s = this.#blocks.get(typeof ev.index === 'number' ? ev.index : -1)
    const d = isRecord(ev.delta) ? ev.delta : {}
    switch (d.type) {
      case 'text_delta':
        return typeof d.text === 'string' && d.text !== '' ? this.#w.chunk(`{"content":${JSON.stringify(d.text)}}`) : ''
      case 'input_json_delta':
        if (s?.kind !== 'tool' || typeof d.partial_json !== 'string' || d.partial_json === '') return ''
        s.args = true
        return this.#w.toolArgs(s.toolIndex, d.partial_json)
      case 'thinking_delta':
        if (typeof d.thinking !== 'string' || d.thinking === '') return ''
        if (s?.kind === 'thinking') s.thinking += d.thinking
        return this.#w.chunk(`{"reasoning_content":${JSON.stringify(d.thinking)}}`)
      case 'signature_delta':
        if (s?.kind === 'thinking' && typeof d.signature === 'string') s.signature += d.signature
        return ''
      default: // citations_delta and later types
        return ''
    }
  }

  #blockStop (ev: Record<string, unknown>): string {
    const index = typeof ev.index === 'number' ? ev.index : -1
    const s = this.#blocks.get(index)
    this.#blocks.delete(index)
    if (s === undefined) return ''
    // A tool called without arguments streams none; OpenAI clients expect a JSON object.
    if (s.kind === 'tool' && !s.args) return this.#w.toolArgs(s.toolIndex, s.input === '' ? '{}' : s.input)
    if (s.kind === 'thinking') {
      return this.#w.chunk(JSON.stringify({ thinking_blocks: [{ type: 'thinking', thinking: s.thinking, signature: s.signature }] }))
    }
    return ''
  }
}
