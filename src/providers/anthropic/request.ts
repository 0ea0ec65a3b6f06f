// OpenAI Chat Completions body → Anthropic Messages body. Pure: no I/O, no clock.
//
// Parameter rule. Every OpenAI parameter falls in exactly one of three groups:
//  1. Translated: messages (system/developer → top-level `system`; user/assistant/tool with
//     text, image_url (data: URL → base64 source, http(s) URL → url source), tool_calls ↔ tool_use,
//     tool messages ↔ tool_result, assistant `thinking_blocks` replayed as thinking blocks),
//     tools, tool_choice, parallel_tool_calls:false, max_completion_tokens | max_tokens (default:
//     the catalog's maxTokens), temperature (clamped to Anthropic's 0–1), top_p, stop,
//     reasoning_effort (→ thinking budget, see THINKING_BUDGET), user (→ metadata.user_id), stream.
//     Anthropic-only extras are passed through when well formed: top_k, thinking, and
//     cache_control on content parts, system parts and tools.
//  2. Rejected with 400 before any upstream call — the client asked for something Anthropic
//     cannot produce, and dropping it would silently change what the answer means: n > 1,
//     logprobs: true, top_logprobs, response_format other than {type:"text"}, audio, modalities
//     other than text, web_search_options, legacy functions/function_call and role "function",
//     content parts other than text/image_url, images that are not data:/http(s) URLs, and
//     malformed messages, tools or tool calls.
//  3. Dropped: tuning or bookkeeping with no Anthropic counterpart that does not change the kind
//     of answer — frequency_penalty, presence_penalty, logit_bias, seed, service_tier, store,
//     metadata, prediction, prompt_cache_key, safety_identifier, verbosity, `name` on messages,
//     stream_options (read by the response translator), and any key not listed here.
// Constraint fixes: with thinking on, temperature and top_p are dropped (Anthropic requires them
// unset); when both temperature and top_p are given, top_p is dropped (Claude 4.5 models accept
// only one of them); reasoning_effort is dropped on a model without `reasoning` and when
// tool_choice forces a tool (Anthropic refuses thinking with forced tool use).
import { RequestTranslationError } from '../../core/errors.ts'
import type { ModelDef } from '../../config/types.ts'
import { isRecord } from '../../core/json.ts'
import {
  functionTools, namedToolChoice, optionalInt, optionalNumber, rejectChoiceOptions, rejectLegacyFunctions,
  rejectNonText, stopSequences, TOOL_CHOICE_ERROR, translateInput, type TranslateResult,
} from '../chat-input.ts'
import { toAnthropicMessages, type AnthropicMessage, type Block } from './messages.ts'

/** The first system block subscription (OAuth / setup-token) credentials must send. */
export const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."

/** reasoning_effort → thinking budget_tokens. `none` turns thinking off. */
export const THINKING_BUDGET: Readonly<Record<string, number>> = {
  minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768,
}
const MIN_BUDGET = 1024
/** Room kept for the visible answer when the budget must shrink to fit max_tokens. */
const ANSWER_ROOM = 1024

export interface AnthropicRequest {
  model: string
  messages: AnthropicMessage[]
  max_tokens: number
  system?: Block[]
  stream?: boolean
  temperature?: number
  top_p?: number
  top_k?: number
  stop_sequences?: string[]
  tools?: Block[]
  tool_choice?: Block
  thinking?: Block
  metadata?: { user_id: string }
}

export interface ToAnthropicOptions {
  readonly stream: boolean
  /** Subscription credential: the Claude Code identity must lead the system prompt. */
  readonly claudeCode: boolean
}

export type ToAnthropicResult = TranslateResult<AnthropicRequest>

const REJECT_MESSAGE = 'is not supported by Anthropic models'

export function toAnthropicRequest (
  body: Readonly<Record<string, unknown>>,
  model: ModelDef,
  opts: ToAnthropicOptions,
): ToAnthropicResult {
  return translateInput(() => build(body, model, opts))
}

/** `text` of a `{type:"text", text}` block, else undefined. */
function textOf (block: unknown): string | undefined {
  return isRecord(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : undefined
}

function build (body: Readonly<Record<string, unknown>>, model: ModelDef, opts: ToAnthropicOptions): AnthropicRequest {
  rejectUnsupported(body)
  const { system, messages } = toAnthropicMessages(body.messages)
  if (opts.claudeCode && textOf(system[0]) !== CLAUDE_CODE_IDENTITY) {
    system.unshift({ type: 'text', text: CLAUDE_CODE_IDENTITY })
  }

  const requestedMax = optionalInt(body.max_completion_tokens, 'max_completion_tokens') ??
    optionalInt(body.max_tokens, 'max_tokens')
  const out: AnthropicRequest = { model: model.id, messages, max_tokens: requestedMax ?? model.maxTokens }
  if (system.length > 0) out.system = system
  if (opts.stream) out.stream = true

  const tools = toolsOf(body.tools)
  const choice = tools === undefined ? undefined : toolChoiceOf(body.tool_choice, body.parallel_tool_calls)
  const forced = choice?.type === 'any' || choice?.type === 'tool'
  const thinking = thinkingFor(body, model, out.max_tokens, forced)
  if (thinking !== undefined) out.thinking = thinking
  const thinkingOn = thinking !== undefined && thinking.type !== 'disabled'

  const temperature = optionalNumber(body.temperature, 'temperature')
  const topP = optionalNumber(body.top_p, 'top_p')
  if (!thinkingOn) {
    if (temperature !== undefined) out.temperature = Math.min(1, Math.max(0, temperature))
    else if (topP !== undefined) out.top_p = topP
  }
  const topK = optionalInt(body.top_k, 'top_k')
  if (topK !== undefined && !thinkingOn) out.top_k = topK

  const stop = stopSequences(body.stop)
  if (stop !== undefined) out.stop_sequences = stop

  if (tools !== undefined) out.tools = tools
  if (choice !== undefined) out.tool_choice = choice

  if (typeof body.user === 'string' && body.user !== '') out.metadata = { user_id: body.user }
  return out
}

function rejectUnsupported (body: Readonly<Record<string, unknown>>): void {
  rejectChoiceOptions(body, REJECT_MESSAGE)
  const rf = body.response_format
  if (rf !== undefined && rf !== null && !(isRecord(rf) && rf.type === 'text')) {
    const type = isRecord(rf) && typeof rf.type === 'string' ? rf.type : 'this'
    throw new RequestTranslationError(`response_format ${type} ${REJECT_MESSAGE}; ask for JSON in the prompt or use a tool`)
  }
  rejectNonText(body, REJECT_MESSAGE)
  if (body.web_search_options !== undefined && body.web_search_options !== null) {
    throw new RequestTranslationError(`web_search_options ${REJECT_MESSAGE}`)
  }
  rejectLegacyFunctions(body, REJECT_MESSAGE)
}

/**
 * Budget from reasoning_effort, or a client-sent Anthropic `thinking` object as is (the
 * client then owns its constraints). The
 * budget must be ≥ 1024 and < max_tokens; it shrinks to leave ANSWER_ROOM tokens for the
 * answer, and thinking stays off when even the minimum does not fit.
 */
export function thinkingFor (body: Readonly<Record<string, unknown>>, model: ModelDef, maxTokens: number, forcedTool: boolean): Block | undefined {
  if (isRecord(body.thinking) && typeof body.thinking.type === 'string') return { ...body.thinking }
  const effort = body.reasoning_effort
  if (effort === undefined || effort === null) return undefined
  if (typeof effort !== 'string' || (effort !== 'none' && THINKING_BUDGET[effort] === undefined)) {
    throw new RequestTranslationError(`reasoning_effort must be one of none, ${Object.keys(THINKING_BUDGET).join(', ')}`)
  }
  if (effort === 'none' || !model.reasoning || forcedTool) return undefined
  const budget = Math.min(THINKING_BUDGET[effort], maxTokens - ANSWER_ROOM)
  if (budget < MIN_BUDGET) return undefined
  return { type: 'enabled', budget_tokens: budget }
}

function toolsOf (tools: unknown): Block[] | undefined {
  return functionTools(tools, 'Anthropic')?.map((t) => {
    const out: Block = { name: t.name }
    if (t.description !== undefined) out.description = t.description
    out.input_schema = t.parameters
    if (isRecord(t.tool.cache_control)) out.cache_control = t.tool.cache_control
    return out
  })
}

function toolChoiceOf (choice: unknown, parallel: unknown): Block | undefined {
  let out: Block | undefined
  const named = namedToolChoice(choice)
  if (choice === undefined || choice === null || choice === 'auto') out = parallel === false ? { type: 'auto' } : undefined
  else if (choice === 'none') return { type: 'none' }
  else if (choice === 'required') out = { type: 'any' }
  else if (named !== undefined) out = { type: 'tool', name: named }
  else throw new RequestTranslationError(TOOL_CHOICE_ERROR)
  if (out !== undefined && parallel === false) out.disable_parallel_tool_use = true
  return out
}
