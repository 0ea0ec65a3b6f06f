// OpenAI Chat Completions body → Bedrock Converse body (the model id goes in the URL). Pure.
//
// Parameter rule, as for the Anthropic family:
//  1. Translated: messages (see ./messages.ts), tools → toolConfig.tools[].toolSpec,
//     tool_choice (auto → auto, required → any, {function} → tool), max_completion_tokens |
//     max_tokens (default: the catalog's maxTokens) → inferenceConfig.maxTokens, temperature
//     (clamped to 0–1), top_p, stop → stopSequences, and on Anthropic models reasoning_effort →
//     additionalModelRequestFields.thinking (same budgets as the Anthropic family), a client-sent
//     Anthropic `thinking` object and top_k as they are.
//  2. Rejected with 400 before any upstream call: n > 1, logprobs, top_logprobs,
//     response_format other than text, audio, modalities other than text, web_search_options,
//     legacy functions, content parts other than text/image_url, images that are not data: URLs.
//  3. Dropped: frequency/presence penalties, logit_bias, seed, user, metadata, store,
//     service_tier, parallel_tool_calls, stream_options (read by the stream translator) and any
//     other key. tool_choice "none" has no Converse counterpart: the tools are left out unless
//     the conversation already holds tool blocks (Converse then requires toolConfig), in which
//     case the model keeps the choice.
// Constraint fixes (Anthropic models): with thinking on, temperature, top_p and top_k are
// dropped; with both temperature and top_p, top_p is dropped; thinking stays off when
// tool_choice forces a tool.
import { RequestTranslationError } from '../../core/errors.ts'
import type { ModelDef } from '../../config/types.ts'
import { isRecord } from '../../core/json.ts'
import {
  functionTools, namedToolChoice, optionalInt, optionalNumber, rejectChoiceOptions, rejectLegacyFunctions,
  rejectNonText, stopSequences, TOOL_CHOICE_ERROR, translateInput, type TranslateResult,
} from '../chat-input.ts'
import { THINKING_BUDGET, thinkingFor } from '../anthropic/request.ts'
import { toConverseMessages, type Block, type ConverseMessage } from './messages.ts'

const REJECT = 'is not supported by Bedrock models'

export interface ConverseRequest {
  messages: ConverseMessage[]
  system?: Block[]
  inferenceConfig?: { maxTokens?: number, temperature?: number, topP?: number, stopSequences?: string[] }
  toolConfig?: { tools: Block[], toolChoice?: Block }
  additionalModelRequestFields?: Record<string, unknown>
}

/** Anthropic's Claude on Bedrock: base ids, inference profiles (`us.`, `global.`…) and ARNs. */
export function isAnthropicModel (modelId: string): boolean {
  return /(?:^|[./])anthropic\.claude/.test(modelId)
}

export function toConverseRequest (body: Readonly<Record<string, unknown>>, model: ModelDef): TranslateResult<ConverseRequest> {
  return translateInput(() => build(body, model))
}

function build (body: Readonly<Record<string, unknown>>, model: ModelDef): ConverseRequest {
  rejectUnsupported(body)
  const { system, messages } = toConverseMessages(body.messages)
  const anthropic = isAnthropicModel(model.id)
  const maxTokens = optionalInt(body.max_completion_tokens, 'max_completion_tokens') ??
    optionalInt(body.max_tokens, 'max_tokens') ?? model.maxTokens
  const out: ConverseRequest = { messages }
  if (system.length > 0) out.system = system

  const toolChoice = body.tool_choice
  const tools = toolsOf(body.tools)
  const hasToolBlocks = messages.some((m) => m.content.some((b) => b.toolUse !== undefined || b.toolResult !== undefined))
  let forced = false
  if (tools !== undefined && (toolChoice !== 'none' || hasToolBlocks)) {
    const choice = toolChoice === 'none' ? undefined : toolChoiceOf(toolChoice)
    forced = choice !== undefined && (choice.any !== undefined || choice.tool !== undefined)
    out.toolConfig = choice === undefined ? { tools } : { tools, toolChoice: choice }
  } else if (tools !== undefined || (toolChoice !== undefined && toolChoice !== null)) {
    toolChoiceOf(toolChoice) // still validated
  }

  const extra: Record<string, unknown> = {}
  // The Anthropic family's rule: same budgets, client `thinking` objects passed as they are.
  const thinking = anthropic ? thinkingFor(body, model, maxTokens, forced) : undefined
  if (thinking !== undefined) extra.thinking = thinking
  const thinkingOn = thinking !== undefined && thinking.type !== 'disabled'
  if (!anthropic) checkEffort(body.reasoning_effort)

  const inference: NonNullable<ConverseRequest['inferenceConfig']> = { maxTokens }
  const temperature = optionalNumber(body.temperature, 'temperature')
  const topP = optionalNumber(body.top_p, 'top_p')
  if (!thinkingOn) {
    if (temperature !== undefined) inference.temperature = Math.min(1, Math.max(0, temperature))
    // Claude 4.5 accepts only one of temperature and top_p.
    if (topP !== undefined && !(anthropic && temperature !== undefined)) inference.topP = topP
  }
  const topK = optionalInt(body.top_k, 'top_k')
  if (topK !== undefined && anthropic && !thinkingOn) extra.top_k = topK
  const stop = stopSequences(body.stop)
  if (stop !== undefined) inference.stopSequences = stop
  out.inferenceConfig = inference
  if (Object.keys(extra).length > 0) out.additionalModelRequestFields = extra
  return out
}

function rejectUnsupported (body: Readonly<Record<string, unknown>>): void {
  rejectChoiceOptions(body, REJECT)
  const rf = body.response_format
  if (rf !== undefined && rf !== null && !(isRecord(rf) && rf.type === 'text')) {
    const type = isRecord(rf) && typeof rf.type === 'string' ? rf.type : 'this'
    throw new RequestTranslationError(`response_format ${type} ${REJECT}; ask for JSON in the prompt or use a tool`)
  }
  rejectNonText(body, REJECT)
  if (body.web_search_options !== undefined && body.web_search_options !== null) throw new RequestTranslationError(`web_search_options ${REJECT}`)
  rejectLegacyFunctions(body, REJECT)
}

function checkEffort (effort: unknown): void {
  if (effort === undefined || effort === null) return
  if (typeof effort !== 'string' || (effort !== 'none' && THINKING_BUDGET[effort] === undefined)) {
    throw new RequestTranslationError(`reasoning_effort must be one of none, ${Object.keys(THINKING_BUDGET).join(', ')}`)
  }
}

function toolsOf (tools: unknown): Block[] | undefined {
  const list = functionTools(tools, 'Bedrock')
  if (list === undefined) return undefined
  const out: Block[] = []
  for (const t of list) {
    const spec: Block = { name: t.name }
    if (t.description !== undefined) spec.description = t.description
    spec.inputSchema = { json: t.parameters }
    out.push({ toolSpec: spec })
    if (isRecord(t.tool.cache_control)) out.push({ cachePoint: { type: 'default' } })
  }
  return out
}

function toolChoiceOf (choice: unknown): Block | undefined {
  if (choice === undefined || choice === null || choice === 'none') return undefined
  if (choice === 'auto') return { auto: {} }
  if (choice === 'required') return { any: {} }
  const named = namedToolChoice(choice)
  if (named !== undefined) return { tool: { name: named } }
  throw new RequestTranslationError(TOOL_CHOICE_ERROR)
}
