// OpenAI Chat Completions output built by the translating adapters: the chat.completion
// object and the chat.completion.chunk SSE text. Pure.
import { isRecord } from '../core/json.ts'

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter'

export interface ToolCall { id: string, type: 'function', function: { name: string, arguments: string } }

export interface ResponseOptions {
  /** Unix seconds for `created` when the upstream gives none. */
  readonly created: number
  /** Model id used when the upstream body names none. */
  readonly model: string
}

export type CompletionResult =
  | { readonly kind: 'ok', readonly completion: Record<string, unknown> }
  | { readonly kind: 'invalid', readonly message: string }

/** The assistant message of a chat.completion; `tool_calls` only when there are some. */
export function assistantMessage (content: string | null, refusal: string | null, toolCalls: ToolCall[]): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content, refusal }
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  return message
}

/**
 * One assistant answer gathered block by block (Anthropic Messages, Bedrock Converse): its text,
 * tool calls and thinking, then the OpenAI assistant message they make.
 */
export class AssistantParts {
  #text = ''
  #sawText = false
  #reasoning = ''
  readonly #thinking: Record<string, unknown>[] = []
  readonly #toolCalls: ToolCall[] = []

  text (s: string): void {
    this.#text += s
    this.#sawText = true
  }

  /** `input` is the tool's argument object; anything else becomes `{}`. */
  toolCall (id: string, name: string, input: unknown): void {
    this.#toolCalls.push({ id, type: 'function', function: { name, arguments: JSON.stringify(isRecord(input) ? input : {}) } })
  }

  thinking (text: string, signature: string): void {
    this.#reasoning += text
    this.#thinking.push({ type: 'thinking', thinking: text, signature })
  }

  redactedThinking (data: string): void {
    this.#thinking.push({ type: 'redacted_thinking', data })
  }

  /** Content is null without any text block; thinking comes back as reasoning_content and thinking_blocks. */
  message (): Record<string, unknown> {
    const message = assistantMessage(this.#sawText ? this.#text : null, null, this.#toolCalls)
    if (this.#thinking.length > 0) {
      message.reasoning_content = this.#reasoning
      message.thinking_blocks = this.#thinking
    }
    return message
  }
}

export interface CompletionParts {
  readonly id: string
  readonly created: number
  readonly model: string
  readonly message: Record<string, unknown>
  readonly finishReason: FinishReason
  readonly usage: unknown
}

export function chatCompletion (p: CompletionParts): CompletionResult {
  // Usage goes last: telemetry reads it from the tail of the body.
  return {
    kind: 'ok',
    completion: {
      id: p.id,
      object: 'chat.completion',
      created: p.created,
      model: p.model,
      choices: [{ index: 0, message: p.message, logprobs: null, finish_reason: p.finishReason }],
      usage: p.usage,
    },
  }
}

export interface StreamOptions {
  /** `stream_options.include_usage`: send a final usage chunk. */
  readonly includeUsage: boolean
  /** Unix seconds for `created`. */
  readonly created: number
  /** Model id used until (or unless) the upstream names one. */
  readonly model: string
}

export const DONE_EVENT = 'data: [DONE]\n\n'

/**
 * chat.completion.chunk SSE events of one stream. `id` and `model` may change until the
 * role chunk (the first output) fixes the chunk head; the usage chunk takes them as they are then.
 */
export class ChunkWriter {
  id: string
  model: string
  readonly #created: number
  #head = ''
  #started = false

  constructor (id: string, model: string, created: number) {
    this.id = id
    this.model = model
    this.#created = created
  }

  /** True once the role chunk was produced. */
  get started (): boolean { return this.#started }

  /** The role chunk {"role":"assistant","content":""} the first time, then ''. */
  role (): string {
    if (this.#started) return ''
    this.#started = true
    this.#head = `{"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.#created},` +
      `"model":${JSON.stringify(this.model)},"choices":[{"index":0,"delta":`
    return this.chunk('{"role":"assistant","content":""}')
  }

  /** One choice chunk: `delta` and `finish` are JSON text. */
  chunk (delta: string, finish = 'null'): string {
    return `data: ${this.#head}${delta},"logprobs":null,"finish_reason":${finish}}]}\n\n`
  }

  /** The usage chunk (`choices: []`) sent when the client asked for include_usage. */
  usage (usage: unknown): string {
    return `data: {"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.#created},` +
      `"model":${JSON.stringify(this.model)},"choices":[],"usage":${JSON.stringify(usage)}}\n\n`
  }

  /** `{"tool_calls":[{index, function:{arguments}}]}` chunk. */
  toolArgs (index: number, args: string): string {
    return this.chunk(`{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(args)}}}]}`)
  }
}
