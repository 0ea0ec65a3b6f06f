// Cloud Code Assist answers → OpenAI shapes: the `response` envelope, finish reasons, usage,
// tool call ids, and one non-stream generateContent answer → chat.completion. Pure, except
// that tool calls the upstream left without an id get a random one.
import { randomBytes } from 'node:crypto'
import { isRecord } from '../../core/json.ts'
import { assistantMessage, chatCompletion, type CompletionResult, type FinishReason, type ResponseOptions, type ToolCall } from '../chat-output.ts'
// Same usage shape as the Responses family's (cached inside prompt, reasoning inside completion).
import type { OpenAIUsage } from '../responses/response.ts'

/** `{response: {...}, traceId}` → the inner GenerateContentResponse; a bare one passes as is. */
export function unwrap (json: unknown): Record<string, unknown> | undefined {
  if (!isRecord(json)) return undefined
  if (isRecord(json.response)) return json.response
  return Array.isArray(json.candidates) || isRecord(json.usageMetadata) || isRecord(json.promptFeedback) ? json : undefined
}

/** Gemini finishReason → OpenAI finish_reason; a turn that called tools ends with `tool_calls`. */
export function finishReason (reason: unknown, calledTools: boolean): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length'
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter'
    default: // STOP, MALFORMED_FUNCTION_CALL, OTHER, FINISH_REASON_UNSPECIFIED and later values
      return calledTools ? 'tool_calls' : 'stop'
  }
}

const count = (v: unknown): number => typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0

/**
 * usageMetadata → OpenAI usage. promptTokenCount already includes cachedContentTokenCount;
 * completion = candidates + thoughts (thinking is billed as output).
 */
export function openAIUsage (meta: unknown): OpenAIUsage {
  const m = isRecord(meta) ? meta : {}
  const prompt = count(m.promptTokenCount)
  const thoughts = count(m.thoughtsTokenCount)
  const completion = count(m.candidatesTokenCount) + thoughts
  const total = count(m.totalTokenCount)
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: total > 0 ? total : prompt + completion,
    prompt_tokens_details: { cached_tokens: count(m.cachedContentTokenCount) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  }
}

/** A tool call id for a functionCall the upstream sent without one (Gemini models do). */
export function newCallId (): string {
  return `call_${randomBytes(12).toString('base64url')}`
}

/** The OpenAI tool call of a functionCall part, with its signature as Google's `extra_content`. */
export function toolCallOf (part: Record<string, unknown>, id: string): ToolCall & { extra_content?: unknown } {
  const fc = isRecord(part.functionCall) ? part.functionCall : {}
  const call: ToolCall & { extra_content?: unknown } = {
    id,
    type: 'function',
    function: { name: typeof fc.name === 'string' ? fc.name : '', arguments: JSON.stringify(isRecord(fc.args) ? fc.args : {}) },
  }
  if (typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '') {
    call.extra_content = { google: { thought_signature: part.thoughtSignature } }
  }
  return call
}

/** The upstream's id for a functionCall part when it sent a fresh one, else a new id. */
export function callIdOf (part: Record<string, unknown>, seen: Set<string>): string {
  const fc = isRecord(part.functionCall) ? part.functionCall : {}
  const id = typeof fc.id === 'string' && fc.id !== '' && !seen.has(fc.id) ? fc.id : newCallId()
  seen.add(id)
  return id
}

export function firstCandidate (r: Record<string, unknown>): Record<string, unknown> | undefined {
  return Array.isArray(r.candidates) && isRecord(r.candidates[0]) ? r.candidates[0] : undefined
}

export function partsOf (candidate: Record<string, unknown> | undefined): Record<string, unknown>[] {
  const content = candidate?.content
  if (!isRecord(content) || !Array.isArray(content.parts)) return []
  return content.parts.filter(isRecord)
}

/** A non-stream generateContent answer → chat.completion. */
export function fromCloudCodeResponse (json: unknown, opts: ResponseOptions): CompletionResult {
  const r = unwrap(json)
  if (r === undefined) return { kind: 'invalid', message: 'Antigravity response has no candidates' }
  const candidate = firstCandidate(r)
  if (candidate === undefined && !isRecord(r.promptFeedback)) return { kind: 'invalid', message: 'Antigravity response has no candidates' }
  let text = ''
  let sawText = false
  let reasoning = ''
  const thinking: Record<string, unknown>[] = []
  let thought: { text: string, signature: string } | undefined
  const closeThought = (): void => {
    if (thought !== undefined && thought.signature !== '') thinking.push({ type: 'thinking', thinking: thought.text, signature: thought.signature })
    thought = undefined
  }
  const calls: ToolCall[] = []
  const seen = new Set<string>()
  for (const part of partsOf(candidate)) {
    if (part.thought === true) {
      thought ??= { text: '', signature: '' }
      if (typeof part.text === 'string') { thought.text += part.text; reasoning += part.text }
      if (typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '') thought.signature = part.thoughtSignature
      continue
    }
    closeThought()
    if (isRecord(part.functionCall)) calls.push(toolCallOf(part, callIdOf(part, seen)))
    else if (typeof part.text === 'string') { text += part.text; sawText = true }
  }
  closeThought()
  const blocked = candidate === undefined
  const message = assistantMessage(sawText ? text : null, null, calls)
  if (reasoning !== '' || thinking.length > 0) message.reasoning_content = reasoning
  if (thinking.length > 0) message.thinking_blocks = thinking
  return chatCompletion({
    id: typeof r.responseId === 'string' ? r.responseId : 'chatcmpl-antigravity',
    created: opts.created,
    model: typeof r.modelVersion === 'string' ? r.modelVersion : opts.model,
    message,
    finishReason: blocked ? 'content_filter' : finishReason(candidate.finishReason, calls.length > 0),
    usage: openAIUsage(r.usageMetadata),
  })
}
