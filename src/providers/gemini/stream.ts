// Cloud Code Assist SSE (`data:` lines only, each `{response: GenerateContentResponse, traceId}`,
// no [DONE]: the stream ends when the connection closes) → OpenAI chat.completion.chunk SSE
// text, one event at a time. Pure and incremental.
//
// Per part:
//   first output        → role chunk {"role":"assistant","content":""} (held back until then, so
//                         an error event before any output can still fail over)
//   text                → {"content": …}
//   thought text        → {"reasoning_content": …}; a run of signed thought parts (Claude models)
//                         ends with {"thinking_blocks":[{type:"thinking", thinking, signature}]}
//   functionCall        → one chunk with the whole call: {"tool_calls":[{index, id, type,
//                         function:{name, arguments}, extra_content?:{google:{thought_signature}}}]}
//   finishReason        → {} with finish_reason (tool_calls when the turn called tools)
//   upstream EOF        → usage chunk when include_usage (from the last usageMetadata), [DONE];
//                         without a finishReason before it, an error: the answer was cut short
//   {"error": …}        → throws UpstreamEventError (type cloudcode_error, status from its code)
import { UpstreamBodyError, UpstreamEventError } from '../../core/errors.ts'
import { isRecord } from '../../core/json.ts'
import { ChunkWriter, DONE_EVENT, type StreamOptions } from '../chat-output.ts'
import { callIdOf, finishReason, firstCandidate, openAIUsage, partsOf, toolCallOf, unwrap } from './response.ts'

export class GeminiStreamTranslator {
  readonly #opts: StreamOptions
  readonly #w: ChunkWriter
  #toolCount = 0
  #finishSent = false
  #finished = false
  #usage: unknown
  #thought: { text: string, signature: string } | undefined
  readonly #ids = new Set<string>()

  constructor (opts: StreamOptions) {
    this.#opts = opts
    this.#w = new ChunkWriter('chatcmpl-antigravity', opts.model, opts.created)
  }

  get started (): boolean { return this.#w.started }
  get finished (): boolean { return this.#finished }

  push (_eventName: string | undefined, data: string): string {
    if (this.#finished) return ''
    let ev: unknown
    try { ev = JSON.parse(data) } catch { ev = undefined }
    if (Array.isArray(ev)) ev = ev[0]
    if (!isRecord(ev)) throw new UpstreamBodyError('malformed', 'Antigravity stream sent an unreadable event')
    if (isRecord(ev.error)) {
      const code = typeof ev.error.code === 'number' ? ev.error.code : 500
      throw new UpstreamEventError('cloudcode_error', code, typeof ev.error.message === 'string' ? ev.error.message : 'stream error', JSON.stringify({ error: ev.error }))
    }
    const r = unwrap(ev)
    if (r === undefined) return ''
    if (r.usageMetadata !== undefined) this.#usage = r.usageMetadata
    if (!this.#w.started) {
      if (typeof r.responseId === 'string') this.#w.id = r.responseId
      if (typeof r.modelVersion === 'string') this.#w.model = r.modelVersion
    }
    if (this.#finishSent) return ''
    const candidate = firstCandidate(r)
    let out = ''
    for (const part of partsOf(candidate)) out += this.#part(part)
    const reason = candidate?.finishReason
    const blocked = candidate === undefined && isRecord(r.promptFeedback) && r.promptFeedback.blockReason !== undefined
    if ((typeof reason === 'string' && reason !== '') || blocked) {
      out += this.#closeThought()
      const finish = blocked ? 'content_filter' : finishReason(reason, this.#toolCount > 0)
      out += this.#emit('{}', JSON.stringify(finish))
      this.#finishSent = true
    }
    return out
  }

  end (): string {
    if (this.#finished) return ''
    if (!this.#finishSent) throw new UpstreamBodyError('truncated', 'Antigravity stream ended before a finish reason')
    this.#finished = true
    return (this.#opts.includeUsage ? this.#w.usage(openAIUsage(this.#usage)) : '') + DONE_EVENT
  }

  #emit (delta: string, finish?: string): string {
    return this.#w.role() + this.#w.chunk(delta, finish)
  }

  #part (part: Record<string, unknown>): string {
    if (part.thought === true) {
      this.#thought ??= { text: '', signature: '' }
      if (typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '') this.#thought.signature = part.thoughtSignature
      if (typeof part.text !== 'string' || part.text === '') return ''
      this.#thought.text += part.text
      return this.#emit(`{"reasoning_content":${JSON.stringify(part.text)}}`)
    }
    let out = this.#closeThought()
    if (isRecord(part.functionCall)) {
      const call = { index: this.#toolCount++, ...toolCallOf(part, callIdOf(part, this.#ids)) }
      out += this.#emit(`{"tool_calls":[${JSON.stringify(call)}]}`)
    } else if (typeof part.text === 'string' && part.text !== '') {
      out += this.#emit(`{"content":${JSON.stringify(part.text)}}`)
    }
    return out
  }

  /** Ends a run of thought parts: a signed run becomes a replayable thinking block. */
  #closeThought (): string {
    const t = this.#thought
    this.#thought = undefined
    if (t === undefined || t.signature === '') return ''
    return this.#emit(JSON.stringify({ thinking_blocks: [{ type: 'thinking', thinking: t.text, signature: t.signature }] }))
  }
}
