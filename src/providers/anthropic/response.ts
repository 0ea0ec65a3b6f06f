// Anthropic Messages response → OpenAI chat.completion, plus the finish-reason and usage
// mappings the stream translator shares. Pure.
import { isRecord } from '../../core/json.ts'
import { AssistantParts, chatCompletion, type CompletionResult, type FinishReason, type ResponseOptions } from '../chat-output.ts'

/** Anthropic stop_reason → OpenAI finish_reason. Unknown or missing reasons read as `stop`. */
export function finishReason (stop: unknown): FinishReason {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'tool_use':
      return 'tool_calls'
    case 'refusal':
      return 'content_filter'
    default: // end_turn, stop_sequence, pause_turn
      return 'stop'
  }
}

/** Anthropic token counts; `input` excludes both cache fields. */
export interface AnthropicUsage {
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

export function emptyUsage (): AnthropicUsage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }
}

/** Copies the fields present in an Anthropic `usage` object (later events carry cumulative values). */
export function mergeUsage (into: AnthropicUsage, u: unknown): AnthropicUsage {
  if (!isRecord(u)) return into
  if (typeof u.input_tokens === 'number') into.input = u.input_tokens
  if (typeof u.output_tokens === 'number') into.output = u.output_tokens
  if (typeof u.cache_read_input_tokens === 'number') into.cacheRead = u.cache_read_input_tokens
  if (typeof u.cache_creation_input_tokens === 'number') into.cacheWrite = u.cache_creation_input_tokens
  return into
}

export interface OpenAIUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number, cache_write_tokens: number }
}

/** prompt_tokens counts everything the prompt cost: fresh input + cache reads + cache writes. */
export function openAIUsage (u: AnthropicUsage): OpenAIUsage {
  const prompt = u.input + u.cacheRead + u.cacheWrite
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, cache_write_tokens: u.cacheWrite },
  }
}

export function fromAnthropicResponse (json: unknown, opts: ResponseOptions): CompletionResult {
  if (!isRecord(json) || !Array.isArray(json.content)) {
    return { kind: 'invalid', message: 'Anthropic response has no content array' }
  }
  const parts = new AssistantParts()
  for (const block of json.content as unknown[]) {
    if (!isRecord(block)) continue
    switch (block.type) {
      case 'text':
        if (typeof block.text === 'string') parts.text(block.text)
        break
      case 'tool_use':
        if (typeof block.id === 'string' && typeof block.name === 'string') parts.toolCall(block.id, block.name, block.input)
        break
      case 'thinking':
        if (typeof block.thinking === 'string') parts.thinking(block.thinking, typeof block.signature === 'string' ? block.signature : '')
        break
      case 'redacted_thinking':
        if (typeof block.data === 'string') parts.redactedThinking(block.data)
        break
      default: // server tool blocks and future types have no OpenAI counterpart
        break
    }
  }
  return chatCompletion({
    id: typeof json.id === 'string' ? json.id : 'chatcmpl-anthropic',
    created: opts.created,
    model: typeof json.model === 'string' ? json.model : opts.model,
    message: parts.message(),
    finishReason: finishReason(json.stop_reason),
    usage: openAIUsage(mergeUsage(emptyUsage(), json.usage)),
  })
}
