// OpenAI Responses `response` object → OpenAI chat.completion, plus the usage and finish-reason
// mappings the stream translator shares. Pure.
import { isRecord } from '../../core/json.ts'
import { assistantMessage, chatCompletion, type CompletionResult, type FinishReason, type ResponseOptions, type ToolCall } from '../chat-output.ts'

export interface OpenAIUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number }
  completion_tokens_details: { reasoning_tokens: number }
}

const num = (v: unknown): number => typeof v === 'number' && Number.isFinite(v) ? v : 0

/**
 * Responses usage → Chat usage. `input_tokens` already includes cached tokens and
 * `output_tokens` already includes reasoning tokens, as in Chat Completions.
 */
export function openAIUsage (u: unknown): OpenAIUsage {
  const r = isRecord(u) ? u : {}
  const input = num(r.input_tokens)
  const output = num(r.output_tokens)
  const inDetails = isRecord(r.input_tokens_details) ? r.input_tokens_details : {}
  const outDetails = isRecord(r.output_tokens_details) ? r.output_tokens_details : {}
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: typeof r.total_tokens === 'number' ? r.total_tokens : input + output,
    prompt_tokens_details: { cached_tokens: num(inDetails.cached_tokens) },
    completion_tokens_details: { reasoning_tokens: num(outDetails.reasoning_tokens) },
  }
}

/** Finish reason from the final response's status; tool calls win over a plain stop. */
export function finishReason (response: unknown, sawToolCall: boolean): FinishReason {
  const r = isRecord(response) ? response : {}
  if (r.status === 'incomplete') {
    const why = isRecord(r.incomplete_details) ? r.incomplete_details.reason : undefined
    return why === 'content_filter' ? 'content_filter' : 'length'
  }
  return sawToolCall ? 'tool_calls' : 'stop'
}

/** Text of a reasoning item's summary parts (or its raw reasoning text), parts separated by a blank line. */
export function reasoningText (item: Record<string, unknown>): string {
  const parts: string[] = []
  for (const key of ['summary', 'content']) {
    const list = item[key]
    if (!Array.isArray(list)) continue
    for (const p of list) if (isRecord(p) && typeof p.text === 'string' && p.text !== '') parts.push(p.text)
    if (parts.length > 0) break
  }
  return parts.join('\n\n')
}

export function fromResponsesObject (json: unknown, opts: ResponseOptions): CompletionResult {
  if (!isRecord(json) || !Array.isArray(json.output)) return { kind: 'invalid', message: 'Responses API answer has no output array' }
  let text = ''
  let sawText = false
  let refusal: string | null = null
  const reasoning: string[] = []
  const toolCalls: ToolCall[] = []
  for (const item of json.output as unknown[]) {
    if (!isRecord(item)) continue
    switch (item.type) {
      case 'message':
        if (!Array.isArray(item.content)) break
        for (const part of item.content as unknown[]) {
          if (!isRecord(part)) continue
          if (part.type === 'output_text' && typeof part.text === 'string') { text += part.text; sawText = true }
          if (part.type === 'refusal' && typeof part.refusal === 'string') refusal = (refusal ?? '') + part.refusal
        }
        break
      case 'function_call':
        if (typeof item.name === 'string') {
          const id = typeof item.call_id === 'string' ? item.call_id : typeof item.id === 'string' ? item.id : `call_${toolCalls.length}`
          const args = typeof item.arguments === 'string' && item.arguments !== '' ? item.arguments : '{}'
          toolCalls.push({ id, type: 'function', function: { name: item.name, arguments: args } })
        }
        break
      case 'reasoning': {
        const r = reasoningText(item)
        if (r !== '') reasoning.push(r)
        break
      }
      default: // built-in tool calls and later item types have no Chat counterpart
        break
    }
  }
  const message = assistantMessage(sawText ? text : null, refusal, toolCalls)
  if (reasoning.length > 0) message.reasoning_content = reasoning.join('\n\n')
  return chatCompletion({
    id: typeof json.id === 'string' ? json.id : 'chatcmpl-responses',
    created: typeof json.created_at === 'number' ? Math.floor(json.created_at) : opts.created,
    model: typeof json.model === 'string' ? json.model : opts.model,
    message,
    finishReason: finishReason(json, toolCalls.length > 0),
    usage: openAIUsage(json.usage),
  })
}
