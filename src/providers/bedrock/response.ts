// Converse response → OpenAI chat.completion, plus the stop-reason and usage mappings the
// stream translator shares. Pure.
import { isRecord } from '../../core/json.ts'
import { AssistantParts, chatCompletion, type CompletionResult, type FinishReason, type ResponseOptions } from '../chat-output.ts'
import { emptyUsage, openAIUsage, type AnthropicUsage } from '../anthropic/response.ts'

/** Converse stopReason → OpenAI finish_reason. Unknown or missing reasons read as `stop`. */
export function finishReason (stop: unknown): FinishReason {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'tool_use':
      return 'tool_calls'
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter'
    default: // end_turn, stop_sequence
      return 'stop'
  }
}

/**
 * Converse usage → token counts. Like Anthropic's, `inputTokens` leaves out the cache reads
 * and writes, so the same OpenAI mapping applies (prompt_tokens counts all three).
 */
export function converseUsage (u: unknown, into: AnthropicUsage = emptyUsage()): AnthropicUsage {
  if (!isRecord(u)) return into
  if (typeof u.inputTokens === 'number') into.input = u.inputTokens
  if (typeof u.outputTokens === 'number') into.output = u.outputTokens
  if (typeof u.cacheReadInputTokens === 'number') into.cacheRead = u.cacheReadInputTokens
  if (typeof u.cacheWriteInputTokens === 'number') into.cacheWrite = u.cacheWriteInputTokens
  return into
}

export { openAIUsage }

export interface ConverseResponseOptions extends ResponseOptions {
  /** `chatcmpl-…` id (Converse answers carry none; the request id is used). */
  readonly id: string
}

export function fromConverseResponse (json: unknown, opts: ConverseResponseOptions): CompletionResult {
  const output = isRecord(json) && isRecord(json.output) ? json.output : undefined
  const msg = output !== undefined && isRecord(output.message) ? output.message : undefined
  if (msg === undefined || !Array.isArray(msg.content)) {
    return { kind: 'invalid', message: 'Bedrock response has no output.message.content' }
  }
  const parts = new AssistantParts()
  for (const block of msg.content as unknown[]) {
    if (!isRecord(block)) continue
    if (typeof block.text === 'string') {
      parts.text(block.text)
    } else if (isRecord(block.toolUse)) {
      const t = block.toolUse
      if (typeof t.toolUseId === 'string' && typeof t.name === 'string') parts.toolCall(t.toolUseId, t.name, t.input)
    } else if (isRecord(block.reasoningContent)) {
      const r = block.reasoningContent
      if (isRecord(r.reasoningText) && typeof r.reasoningText.text === 'string') {
        parts.thinking(r.reasoningText.text, typeof r.reasoningText.signature === 'string' ? r.reasoningText.signature : '')
      } else if (typeof r.redactedContent === 'string') {
        parts.redactedThinking(r.redactedContent)
      }
    }
    // image, document, guardContent and later block types have no OpenAI counterpart
  }
  return chatCompletion({
    id: opts.id,
    created: opts.created,
    model: opts.model,
    message: parts.message(),
    finishReason: finishReason(isRecord(json) ? json.stopReason : undefined),
    usage: openAIUsage(converseUsage(isRecord(json) ? json.usage : undefined)),
  })
}
