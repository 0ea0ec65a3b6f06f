// ConverseStream events → OpenAI chat.completion.chunk SSE text, one event at a time. Pure
// and incremental; the binary framing is decoded by ./eventstream.ts.
//
// Output per event:
//   first content-bearing event    → role chunk (held back until then, so an exception frame
//                                    before any output can still fail over)
//   contentBlockStart toolUse      → {"tool_calls":[{index, id, type:"function", function:{name, arguments:""}}]}
//   contentBlockDelta text         → {"content": …}
//   contentBlockDelta toolUse      → {"tool_calls":[{index, function:{arguments: partial}}]}
//   contentBlockDelta reasoning    → {"reasoning_content": …} (signature kept for the block's end)
//   contentBlockStop (reasoning)   → {"thinking_blocks":[{type:"thinking", thinking, signature}]}
//   messageStop                    → {} with finish_reason
//   metadata                       → usage chunk (choices: []) when include_usage, then [DONE]
//   messageStart, unknown events   → nothing
//   exception / error frames       → throws UpstreamEventError
import { UpstreamBodyError, UpstreamEventError } from '../../core/errors.ts'
import { isRecord } from '../../core/json.ts'
import { ChunkWriter, DONE_EVENT, type StreamOptions } from '../chat-output.ts'
import { emptyUsage } from '../anthropic/response.ts'
import { ERROR_PREFIX, EXCEPTION_PREFIX } from './eventstream.ts'
import { normalizeErrorType, streamExceptionStatus } from './errors.ts'
import { converseUsage, finishReason, openAIUsage } from './response.ts'

interface BlockState {
  readonly kind: 'text' | 'tool' | 'reasoning'
  readonly toolIndex: number
  args: boolean
  thinking: string
  signature: string
}

export interface BedrockStreamOptions extends StreamOptions {
  /** `chatcmpl-…` id for every chunk. */
  readonly id: string
}

export class BedrockStreamTranslator {
  readonly #opts: StreamOptions
  readonly #w: ChunkWriter
  #finishSent = false
  #finished = false
  #toolCount = 0
  readonly #blocks = new Map<number, BlockState>()
  readonly #usage = emptyUsage()

  constructor (opts: BedrockStreamOptions) {
    this.#opts = opts
    this.#w = new ChunkWriter(opts.id, opts.model, opts.created)
  }

  get started (): boolean { return this.#w.started }
  get finished (): boolean { return this.#finished }

  push (eventName: string | undefined, data: string): string {
    if (this.#finished) return ''
    const name = eventName ?? ''
    if (name.startsWith(EXCEPTION_PREFIX) || name.startsWith(ERROR_PREFIX)) throw streamError(name, data)
    let ev: unknown
    try { ev = JSON.parse(data) } catch { ev = undefined }
    if (!isRecord(ev)) throw new UpstreamBodyError('malformed', `Bedrock stream sent an unreadable ${name || 'message'} event`)
    switch (name) {
      case 'contentBlockStart': return this.#w.role() + this.#blockStart(ev)
      case 'contentBlockDelta': return this.#w.role() + this.#blockDelta(ev)
      case 'contentBlockStop': return this.#w.role() + this.#blockStop(ev)
      case 'messageStop':
        this.#finishSent = true
        return this.#w.role() + this.#w.chunk('{}', JSON.stringify(finishReason(ev.stopReason)))
      case 'metadata':
        converseUsage(ev.usage, this.#usage)
        return this.#finishSent ? this.#close() : ''
      default: // messageStart and event types added later
        return ''
    }
  }

  /** Upstream EOF: the closing chunks, or throws when the stream was cut before messageStop. */
  end (): string {
    if (this.#finished) return ''
    // messageStop carried the finish reason: only the usage metadata is missing.
    if (this.#finishSent) return this.#close()
    throw new UpstreamBodyError('truncated', 'Bedrock stream ended before messageStop')
  }

  #close (): string {
    this.#finished = true
    const usage = this.#opts.includeUsage ? this.#w.usage(openAIUsage(this.#usage)) : ''
    return usage + DONE_EVENT
  }

  #block (index: number, kind: BlockState['kind']): BlockState {
    let s = this.#blocks.get(index)
    if (s === undefined) {
      s = { kind, toolIndex: kind === 'tool' ? this.#toolCount++ : -1, args: false, thinking: '', signature: '' }
      this.#blocks.set(index, s)
    }
    return s
  }

  #blockStart (ev: Record<string, unknown>): string {
    const index = typeof ev.contentBlockIndex === 'number' ? ev.contentBlockIndex : -1
    const start = isRecord(ev.start) ? ev.start : {}
    if (!isRecord(start.toolUse)) return ''
    const s = this.#block(index, 'tool')
    const call = { index: s.toolIndex, id: start.toolUse.toolUseId, type: 'function', function: { name: start.toolUse.name, arguments: '' } }
    return this.#w.chunk(`{"tool_calls":[${JSON.stringify(call)}]}`)
  }

  #blockDelta (ev: Record<string, unknown>): string {
    const index = typeof ev.contentBlockIndex === 'number' ? ev.contentBlockIndex : -1
    const d = isRecord(ev.delta) ? ev.delta : {}
    if (typeof d.text === 'string') {
      this.#block(index, 'text')
      return d.text === '' ? '' : this.#w.chunk(`{"content":${JSON.stringify(d.text)}}`)
    }
    if (isRecord(d.toolUse)) {
      const s = this.#blocks.get(index)
      const input = d.toolUse.input
      if (s?.kind !== 'tool' || typeof input !== 'string' || input === '') return ''
      s.args = true
      return this.#w.toolArgs(s.toolIndex, input)
    }
    if (isRecord(d.reasoningContent)) {
      const r = d.reasoningContent
      const s = this.#block(index, 'reasoning')
      if (typeof r.signature === 'string') { s.signature += r.signature; return '' }
      if (typeof r.redactedContent === 'string') {
        return this.#w.chunk(JSON.stringify({ thinking_blocks: [{ type: 'redacted_thinking', data: r.redactedContent }] }))
      }
      if (typeof r.text !== 'string' || r.text === '') return ''
      s.thinking += r.text
      return this.#w.chunk(`{"reasoning_content":${JSON.stringify(r.text)}}`)
    }
    return '' // citations and later delta types
  }

  #blockStop (ev: Record<string, unknown>): string {
    const index = typeof ev.contentBlockIndex === 'number' ? ev.contentBlockIndex : -1
    const s = this.#blocks.get(index)
    this.#blocks.delete(index)
    if (s === undefined) return ''
    // A tool called without arguments streams none; OpenAI clients expect a JSON object.
    if (s.kind === 'tool' && !s.args) return this.#w.toolArgs(s.toolIndex, '{}')
    if (s.kind === 'reasoning' && s.thinking !== '') {
      return this.#w.chunk(JSON.stringify({ thinking_blocks: [{ type: 'thinking', thinking: s.thinking, signature: s.signature }] }))
    }
    return ''
  }
}

function streamError (name: string, data: string): UpstreamEventError {
  const raw = name.slice(name.indexOf(':') + 1)
  let message = raw
  try {
    const v: unknown = JSON.parse(data)
    if (isRecord(v) && typeof v.message === 'string') message = v.message
    else if (isRecord(v) && typeof v.Message === 'string') message = v.Message
  } catch { /* keep the type as the message */ }
  const type = normalizeErrorType(raw)
  return new UpstreamEventError(type, streamExceptionStatus(type, message), message)
}
