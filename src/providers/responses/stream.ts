// OpenAI Responses SSE events → OpenAI chat.completion.chunk SSE text, one event at a time,
// and an aggregator that folds the same events into one `response` object (Codex only
// streams, so a non-stream client request is answered from the aggregated stream).
// Pure and incremental; the SSE framing is parsed by the caller.
//
// Output per event:
//   first content-bearing event              → role chunk {"role":"assistant","content":""} (held
//                                              back until then, so an early failure can still fail over)
//   response.output_text.delta               → {"content": …}
//   response.refusal.delta                   → {"refusal": …}
//   output_item.added (function_call)        → {"tool_calls":[{index, id: call_id, type:"function", function:{name, arguments:""}}]}
//   function_call_arguments.delta            → {"tool_calls":[{index, function:{arguments: delta}}]}
//   function_call_arguments.done / item.done → the whole arguments, only when no delta carried them
//   reasoning_summary_text.delta (and
//   reasoning_text.delta)                    → {"reasoning_content": …} (parts separated by a blank line)
//   response.completed / response.incomplete → {} with finish_reason, usage chunk when include_usage, [DONE]
//   response.failed, error                   → throws UpstreamEventError
//   created, in_progress, other events       → nothing
import { isRecord } from '../../core/json.ts'
import { ChunkWriter, DONE_EVENT, type StreamOptions } from '../chat-output.ts'
import { UpstreamBodyError, UpstreamEventError } from '../../core/errors.ts'
import { parseEvent } from '../sse.ts'
import { finishReason, openAIUsage } from './response.ts'

/** Responses error `code` → the HTTP status it stands for, to classify in-stream failures. */
const CODE_STATUS: Readonly<Record<string, number>> = {
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  usage_limit_reached: 429,
  usage_not_included: 402,
  invalid_api_key: 401,
  token_expired: 401,
  unauthorized: 401,
  model_not_found: 404,
  context_length_exceeded: 400,
  invalid_prompt: 400,
  invalid_request_error: 400,
  server_is_overloaded: 503,
  server_error: 500,
}

/** A `response.failed` or `error` event; `raw` is its `{"error":{…}}` JSON text (wait hints such as resets_in_seconds). */
function errorFrom (ev: Record<string, unknown>): UpstreamEventError {
  const response = isRecord(ev.response) ? ev.response : undefined
  const err = isRecord(response?.error) ? response.error : isRecord(ev.error) ? ev.error : ev
  const code = typeof err.code === 'string' ? err.code : typeof err.type === 'string' && err.type !== 'error' ? err.type : 'server_error'
  const message = typeof err.message === 'string' ? err.message : `upstream reported ${code}`
  const { type: _t, ...rest } = err
  return new UpstreamEventError(code, CODE_STATUS[code] ?? 500, message, JSON.stringify({ error: { ...rest, code, message } }))
}

interface ToolState { readonly index: number, args: boolean }

export class ResponsesStreamTranslator {
  readonly #opts: StreamOptions
  readonly #w: ChunkWriter
  #finished = false
  #toolCount = 0
  #lastReasoning: string | undefined
  /** Tool state by `o<output_index>` and by `i<item_id>` (deltas may carry either). */
  readonly #tools = new Map<string, ToolState>()

  constructor (opts: StreamOptions) {
    this.#opts = opts
    this.#w = new ChunkWriter('chatcmpl-responses', opts.model, opts.created)
  }

  /** True once any output chunk has been produced. */
  get started (): boolean { return this.#w.started }
  /** True once response.completed was translated ([DONE] emitted). */
  get finished (): boolean { return this.#finished }

  /** Translates one upstream event (its `event:` name and `data:` text). */
  push (eventName: string | undefined, data: string): string {
    if (this.#finished) return ''
    const { type, ev } = parseEvent('Responses', eventName, data)
    switch (type) {
      case 'response.created':
      case 'response.in_progress': {
        const r = ev.response
        if (isRecord(r)) {
          if (typeof r.id === 'string') this.#w.id = r.id
          if (typeof r.model === 'string') this.#w.model = r.model
        }
        return ''
      }
      case 'response.output_text.delta':
        return typeof ev.delta === 'string' && ev.delta !== '' ? this.#w.role() + this.#w.chunk(`{"content":${JSON.stringify(ev.delta)}}`) : ''
      case 'response.refusal.delta':
        return typeof ev.delta === 'string' && ev.delta !== '' ? this.#w.role() + this.#w.chunk(`{"refusal":${JSON.stringify(ev.delta)}}`) : ''
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return this.#reasoning(ev)
      case 'response.output_item.added':
        return isRecord(ev.item) && ev.item.type === 'function_call' ? this.#toolStart(ev, ev.item) : ''
      case 'response.function_call_arguments.delta': {
        if (typeof ev.delta !== 'string' || ev.delta === '') return ''
        const tool = this.#tool(ev)
        if (tool === undefined) return ''
        tool.args = true
        return this.#w.toolArgs(tool.index, ev.delta)
      }
      case 'response.function_call_arguments.done':
        return this.#argsDone(this.#tool(ev), ev.arguments)
      case 'response.output_item.done': {
        const item = ev.item
        if (!isRecord(item) || item.type !== 'function_call') return ''
        // A call seen only at its end (no .added event) still reaches the client whole.
        const start = this.#tool(ev) === undefined ? this.#toolStart(ev, item) : ''
        return start + this.#argsDone(this.#tool(ev), item.arguments)
      }
      case 'response.completed':
      case 'response.incomplete': {
        const r = isRecord(ev.response) ? ev.response : {}
        return this.#w.role() + this.#close(r)
      }
      case 'response.failed':
      case 'error':
        throw errorFrom(ev)
      default: // content_part, *.done text events, keep-alives and later event types
        return ''
    }
  }

  /** Upstream EOF. Throws when the stream was cut short of response.completed. */
  end (): string {
    if (this.#finished) return ''
    throw new UpstreamBodyError('truncated', 'Responses stream ended before response.completed')
  }

  #close (response: Record<string, unknown>): string {
    this.#finished = true
    let out = this.#w.chunk('{}', JSON.stringify(finishReason(response, this.#toolCount > 0)))
    if (this.#opts.includeUsage) out += this.#w.usage(openAIUsage(response.usage))
    return out + DONE_EVENT
  }

  #reasoning (ev: Record<string, unknown>): string {
    if (typeof ev.delta !== 'string' || ev.delta === '') return ''
    const part = `${String(ev.item_id ?? ev.output_index)}:${String(ev.summary_index ?? ev.content_index ?? 0)}`
    const sep = this.#lastReasoning !== undefined && this.#lastReasoning !== part ? '\n\n' : ''
    this.#lastReasoning = part
    return this.#w.role() + this.#w.chunk(`{"reasoning_content":${JSON.stringify(sep + ev.delta)}}`)
  }

  #tool (ev: Record<string, unknown>): ToolState | undefined {
    const byIndex = typeof ev.output_index === 'number' ? this.#tools.get(`o${ev.output_index}`) : undefined
    if (byIndex !== undefined) return byIndex
    const itemId = typeof ev.item_id === 'string' ? ev.item_id : isRecord(ev.item) && typeof ev.item.id === 'string' ? ev.item.id : undefined
    return itemId === undefined ? undefined : this.#tools.get(`i${itemId}`)
  }

  #toolStart (ev: Record<string, unknown>, item: Record<string, unknown>): string {
    const state: ToolState = { index: this.#toolCount++, args: false }
    if (typeof ev.output_index === 'number') this.#tools.set(`o${ev.output_index}`, state)
    if (typeof item.id === 'string') this.#tools.set(`i${item.id}`, state)
    const id = typeof item.call_id === 'string' ? item.call_id : typeof item.id === 'string' ? item.id : `call_${state.index}`
    const call = { index: state.index, id, type: 'function', function: { name: typeof item.name === 'string' ? item.name : '', arguments: '' } }
    return this.#w.role() + this.#w.chunk(`{"tool_calls":[${JSON.stringify(call)}]}`)
  }

  #argsDone (tool: ToolState | undefined, args: unknown): string {
    if (tool === undefined || tool.args) return ''
    tool.args = true
    // OpenAI clients parse the arguments: a call without any must still be a JSON object.
    return this.#w.toolArgs(tool.index, typeof args === 'string' && args !== '' ? args : '{}')
  }
}

/**
 * Folds a Responses event stream into the final `response` object. Output items come from
 * response.completed when it lists them, else from the items built up from the events
 * (Codex sends an empty `output` in response.completed at times).
 */
export class ResponsesAggregator {
  #final: Record<string, unknown> | undefined
  readonly #items = new Map<number, Record<string, unknown>>()
  #head: Record<string, unknown> = {}

  get done (): boolean { return this.#final !== undefined }

  push (eventName: string | undefined, data: string): void {
    if (this.#final !== undefined) return
    const { type, ev } = parseEvent('Responses', eventName, data)
    const index = typeof ev.output_index === 'number' ? ev.output_index : -1
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
        if (isRecord(ev.response)) this.#head = ev.response
        return
      case 'response.output_item.added':
      case 'response.output_item.done':
        if (isRecord(ev.item)) this.#items.set(index, structuredClone(ev.item))
        return
      case 'response.output_text.delta': {
        const item = this.#items.get(index)
        if (item === undefined || typeof ev.delta !== 'string') return
        const content = Array.isArray(item.content) ? item.content as unknown[] : (item.content = [])
        let part = content.find((p): p is Record<string, unknown> => isRecord(p) && p.type === 'output_text')
        if (part === undefined) { part = { type: 'output_text', text: '' }; content.push(part) }
        part.text = String(part.text ?? '') + ev.delta
        return
      }
      case 'response.function_call_arguments.delta': {
        const item = this.#items.get(index)
        if (item !== undefined && typeof ev.delta === 'string') item.arguments = String(item.arguments ?? '') + ev.delta
        return
      }
      case 'response.reasoning_summary_text.done': {
        const item = this.#items.get(index)
        if (item === undefined || typeof ev.text !== 'string') return
        const summary = Array.isArray(item.summary) ? item.summary as unknown[] : (item.summary = [])
        const at = typeof ev.summary_index === 'number' ? ev.summary_index : summary.length
        summary[at] = { type: 'summary_text', text: ev.text }
        return
      }
      case 'response.completed':
      case 'response.incomplete': {
        const r = isRecord(ev.response) ? ev.response : {}
        const listed = Array.isArray(r.output) && r.output.length > 0
        const output = listed ? r.output : [...this.#items.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])
        this.#final = { ...this.#head, ...r, output }
        return
      }
      case 'response.failed':
      case 'error':
        throw errorFrom(ev)
      default:
        return
    }
  }

  /** The final response object; throws when the stream never completed. */
  result (): Record<string, unknown> {
    if (this.#final === undefined) throw new UpstreamBodyError('truncated', 'Responses stream ended before response.completed')
    return this.#final
  }
}
