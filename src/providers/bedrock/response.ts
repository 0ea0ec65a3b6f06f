// Converse response → OpenAI chat.completion, plus the stop-reason and usage mappings the
// stream translator shares. Pure.
import { isRecord } from '../../core/json.ts'
import { assistantMessage, chatCompletion, type CompletionResult, type FinishReason, type ResponseOptions, type ToolCall } from '../chat-output.ts'
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
  let text = ''
  let sawText = false
  let reasoning = ''
  const thinking: Record<string, unknown>[] = []
  const toolCalls: ToolCall[] = []
  for (const block of msg.content as unknown[]) {
    if (!isRecord(block)) continue
    if (typeof block.text === 'string') {
      text += block.text
      sawText = true
    } else if (isRecord(block.toolUse)) {
      const t = block.toolUse
      if (typeof t.toolUseId === 'string' && typeof t.name === 'string') {
        toolCalls.push({ id: t.toolUseId, type: 'function', function: { name: t.name, arguments: JSON.stringify(isRecord(t.input) ? t.input : {}) } })
      }
    } else if (isRecord(block.reasoningContent)) {
      const r = block.reasoningContent
      if (isRecord(r.reasoningText) && typeof r.reasoningText.text === 'string') {
        reasoning += r.reasoningText.text
        const signature = typeof r.reasoningText.signature === 'string' ? r.reasoningText.signature : ''
        thinking.push({ type: 'thinking', thinking: r.reasoningText.text, signature })
      } else if (typeof r.redactedContent === 'string') {
        thinking.push({ type: 'redacted_thinking', data: r.redactedContent })
      }
    }
    // image, document, guardContent and later block types have no OpenAI counterpart
  }
  const message = assistantMessage(sawText ? text : null, null, toolCalls)
  if (thinking.length > 0) {
    message.reasoning_content = reasoning
    message.thinking_blocks = thinking
  }
  return chatCompletion({
    id: opts.id,
    created: opts.created,
    model: opts.model,
    message,
    finishReason: finishReason(isRecord(json) ? json.stopReason : undefined),
    usage: openAIUsage(converseUsage(isRecord(json) ? json.usage : undefined)),
  })
}
