// OpenAI Chat Completions body → the Cloud Code Assist envelope
// `{project, model, request: {contents, systemInstruction, generationConfig, tools, toolConfig,
// sessionId}, requestType, userAgent, requestId}`. Pure: ids and the clock come in as options.
//
// Parameter rule, as for the Anthropic family. Every OpenAI parameter is one of:
//  1. Translated: messages (see ./messages.ts), tools (schemas sanitised, ./schema.ts),
//     tool_choice (auto → AUTO, none → NONE, required → ANY, a named function → ANY limited to
//     it; Claude models use VALIDATED for auto, as the Antigravity client does),
//     max_completion_tokens | max_tokens → maxOutputTokens (Claude models: the catalog's
//     maxTokens when unset, since Anthropic requires one), temperature, top_p, top_k, stop,
//     seed, presence_penalty, frequency_penalty, reasoning_effort (→ thinkingConfig, see
//     thinkingFor), response_format json_object / json_schema (Gemini models only).
//  2. Rejected with 400 before any upstream call: n > 1, logprobs, top_logprobs, audio,
//     modalities other than text, web_search_options, legacy functions, role "function",
//     content parts other than text/image_url, images that are not base64 data: URLs,
//     response_format json on Claude/GPT-OSS models, malformed messages or tools.
//  3. Dropped: logit_bias, service_tier, store, metadata, prediction, prompt_cache_key,
//     safety_identifier, verbosity, user, parallel_tool_calls, `name` on messages,
//     stream_options (read by the response translator), and any key not listed here.
import { RequestTranslationError } from '../../core/errors.ts'
import type { ModelDef } from '../../config/types.ts'
import { isRecord } from '../../core/json.ts'
import {
  functionTools, namedToolChoice, optionalInt, optionalNumber, rejectChoiceOptions, rejectLegacyFunctions,
  rejectNonText, TOOL_CHOICE_ERROR, translateInput, type TranslateResult,
} from '../chat-input.ts'
import { REJECT, toGeminiContents, type Content, type Part } from './messages.ts'
import { sanitizeResponseSchema, sanitizeToolSchema } from './schema.ts'

/** The identity the Antigravity client puts first in every system instruction. */
export const ANTIGRAVITY_IDENTITY = 'You are Antigravity, a powerful agentic AI coding assistant designed by the Google Deepmind team working on Advanced Agentic Coding.\n' +
  'You are pair programming with a USER to solve their coding task. The task may require creating a new codebase, modifying or debugging an existing codebase, or simply answering a question.'

/** reasoning_effort → thinkingBudget (Claude and Gemini 2.x models). */
export const THINKING_BUDGET: Readonly<Record<string, number>> = {
  minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768,
}
const EFFORTS = ['none', ...Object.keys(THINKING_BUDGET)]
/** Room kept for the visible answer when a Claude budget must shrink to fit maxOutputTokens. */
const ANSWER_ROOM = 1024
const MIN_CLAUDE_BUDGET = 1024

export interface GenerationConfig {
  maxOutputTokens?: number
  temperature?: number
  topP?: number
  topK?: number
  stopSequences?: string[]
  seed?: number
  presencePenalty?: number
  frequencyPenalty?: number
  responseMimeType?: string
  responseSchema?: Record<string, unknown>
  thinkingConfig?: { includeThoughts?: boolean, thinkingBudget?: number, thinkingLevel?: string }
}

export interface CloudCodeRequest {
  project: string
  model: string
  request: {
    contents: Content[]
    systemInstruction?: { role: 'user', parts: Part[] }
    generationConfig?: GenerationConfig
    tools?: Array<{ functionDeclarations: Part[] }>
    toolConfig?: { functionCallingConfig: { mode: string, allowedFunctionNames?: string[] } }
    sessionId?: string
  }
  requestType: 'agent'
  userAgent: 'antigravity'
  requestId: string
}

export interface ToCloudCodeOptions {
  readonly projectId: string
  /** `agent-<ts>-<rand>`, unique per request. */
  readonly requestId: string
  /** Mixed into the session id so two accounts never share one. */
  readonly profileId: string
}

export function isClaude (modelId: string): boolean {
  return modelId.startsWith('claude-')
}

export function toCloudCodeRequest (
  body: Readonly<Record<string, unknown>>,
  model: ModelDef,
  opts: ToCloudCodeOptions,
): TranslateResult<CloudCodeRequest> {
  return translateInput(() => build(body, model, opts))
}

function build (body: Readonly<Record<string, unknown>>, model: ModelDef, opts: ToCloudCodeOptions): CloudCodeRequest {
  rejectChoiceOptions(body, REJECT)
  rejectNonText(body, REJECT)
  rejectLegacyFunctions(body, REJECT)
  if (body.web_search_options !== undefined && body.web_search_options !== null) throw new RequestTranslationError(`web_search_options ${REJECT}`)
  const { system, contents } = toGeminiContents(body.messages, model.id)
  const request: CloudCodeRequest['request'] = { contents }
  request.systemInstruction = { role: 'user', parts: [{ text: ANTIGRAVITY_IDENTITY }, ...system.map((text) => ({ text }))] }

  const tools = toolsOf(body.tools)
  if (tools !== undefined) {
    request.tools = [{ functionDeclarations: tools }]
    const mode = toolConfigOf(body.tool_choice, model.id)
    if (mode !== undefined) request.toolConfig = { functionCallingConfig: mode }
  }
  const generationConfig = generationConfigOf(body, model, tools !== undefined && request.toolConfig?.functionCallingConfig.mode === 'ANY')
  if (Object.keys(generationConfig).length > 0) request.generationConfig = generationConfig
  request.sessionId = sessionId(opts.profileId, contents)
  return { project: opts.projectId, model: model.id, request, requestType: 'agent', userAgent: 'antigravity', requestId: opts.requestId }
}

/** FNV-1a over a string's UTF-16 units, 32 bits. */
function fnv1a (s: string, seed: number): number {
  let h = seed
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** How much of the first user turn identifies a conversation (its head is enough, and cheap). */
const SESSION_TEXT = 1024

/**
 * Stable per conversation (the head of its first user turn) and account, so the upstream can
 * keep its cache for it; the `-<digits>` shape is the Antigravity client's. Not a secret and not
 * unique by design: a collision only shares cache affinity.
 */
export function sessionId (profileId: string, contents: Content[]): string {
  const first = contents.find((c) => c.role === 'user')
  let text = profileId + '\0'
  for (const p of first?.parts ?? []) {
    if (typeof p.text === 'string') text += p.text.slice(0, SESSION_TEXT)
    if (text.length > SESSION_TEXT) break
  }
  return `-${fnv1a(text, 0x811c9dc5)}${fnv1a(text, 0x050c5d1f).toString().padStart(10, '0')}`
}

function toolsOf (tools: unknown): Part[] | undefined {
  return functionTools(tools, 'Antigravity')?.map((t) => {
    const decl: Part = { name: t.name }
    if (t.description !== undefined) decl.description = t.description
    const parameters = sanitizeToolSchema(t.parameters)
    if (parameters !== undefined) decl.parameters = parameters
    return decl
  })
}

function toolConfigOf (choice: unknown, modelId: string): { mode: string, allowedFunctionNames?: string[] } | undefined {
  const named = namedToolChoice(choice)
  if (choice === undefined || choice === null || choice === 'auto') return isClaude(modelId) ? { mode: 'VALIDATED' } : undefined
  if (choice === 'none') return { mode: 'NONE' }
  if (choice === 'required') return { mode: 'ANY' }
  if (named !== undefined) return { mode: 'ANY', allowedFunctionNames: [named] }
  throw new RequestTranslationError(TOOL_CHOICE_ERROR)
}

function stopSequences (stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined
  const list = typeof stop === 'string' ? [stop] : stop
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw new RequestTranslationError('stop must be a string or an array of strings')
  const kept = (list as string[]).filter((s) => s !== '')
  return kept.length > 0 ? kept : undefined
}

function generationConfigOf (body: Readonly<Record<string, unknown>>, model: ModelDef, forcedTool: boolean): GenerationConfig {
  const g: GenerationConfig = {}
  const claude = isClaude(model.id)
  const requested = optionalInt(body.max_completion_tokens, 'max_completion_tokens') ?? optionalInt(body.max_tokens, 'max_tokens')
  const maxOut = requested ?? (claude ? model.maxTokens : undefined)
  if (maxOut !== undefined) g.maxOutputTokens = maxOut
  const temperature = optionalNumber(body.temperature, 'temperature')
  if (temperature !== undefined) g.temperature = temperature
  const topP = optionalNumber(body.top_p, 'top_p')
  if (topP !== undefined) g.topP = topP
  const topK = optionalInt(body.top_k, 'top_k')
  if (topK !== undefined) g.topK = topK
  const stop = stopSequences(body.stop)
  if (stop !== undefined) g.stopSequences = stop
  const seed = optionalNumber(body.seed, 'seed')
  if (seed !== undefined && !claude) g.seed = Math.trunc(seed)
  const presence = optionalNumber(body.presence_penalty, 'presence_penalty')
  if (presence !== undefined && !claude) g.presencePenalty = presence
  const frequency = optionalNumber(body.frequency_penalty, 'frequency_penalty')
  if (frequency !== undefined && !claude) g.frequencyPenalty = frequency
  responseFormat(body.response_format, model.id, g)
  const thinking = thinkingFor(body.reasoning_effort, model, g.maxOutputTokens, forcedTool)
  if (thinking !== undefined) {
    g.thinkingConfig = thinking
    // Anthropic requires temperature and top_p unset while thinking.
    if (claude && thinking.thinkingBudget !== undefined) { delete g.temperature; delete g.topP; delete g.topK }
  }
  return g
}

function responseFormat (rf: unknown, modelId: string, g: GenerationConfig): void {
  if (rf === undefined || rf === null || (isRecord(rf) && rf.type === 'text')) return
  if (!isRecord(rf) || (rf.type !== 'json_object' && rf.type !== 'json_schema')) throw new RequestTranslationError('response_format must be {type: "text" | "json_object" | "json_schema"}')
  if (!modelId.startsWith('gemini-')) throw new RequestTranslationError(`response_format ${String(rf.type)} is not supported by ${modelId} on Antigravity; ask for JSON in the prompt or use a tool`)
  g.responseMimeType = 'application/json'
  if (rf.type === 'json_schema') {
    const js = rf.json_schema
    if (!isRecord(js) || !isRecord(js.schema)) throw new RequestTranslationError('response_format.json_schema.schema must be a JSON schema object')
    g.responseSchema = sanitizeResponseSchema(js.schema)
  }
}

/** Gemini 3 level names per effort; Pro knows only LOW and HIGH. */
function gemini3Level (effort: string, modelId: string): string {
  const flash = modelId.includes('flash')
  switch (effort) {
    case 'minimal': return flash ? 'MINIMAL' : 'LOW'
    case 'low': return 'LOW'
    case 'medium': return flash ? 'MEDIUM' : 'HIGH'
    default: return 'HIGH'
  }
}

/**
 * reasoning_effort → thinkingConfig. Gemini 3 models think by default: they get includeThoughts
 * (so reasoning reaches the client as reasoning_content) and a thinkingLevel when an effort is
 * given; `none` only hides the thoughts. Claude models think only with a budget, which must
 * stay below maxOutputTokens (it shrinks, or thinking stays off when even the minimum does not
 * fit, or a tool is forced — Anthropic refuses thinking with forced tool use). Other Gemini
 * models take a budget; `none` is a budget of 0.
 */
function thinkingFor (effort: unknown, model: ModelDef, maxOut: number | undefined, forcedTool: boolean): GenerationConfig['thinkingConfig'] {
  if (effort !== undefined && effort !== null && (typeof effort !== 'string' || !EFFORTS.includes(effort))) {
    throw new RequestTranslationError(`reasoning_effort must be one of ${EFFORTS.join(', ')}`)
  }
  if (!model.reasoning) return undefined
  const id = model.id
  if (id.startsWith('gemini-3')) {
    if (effort === 'none') return undefined
    return typeof effort === 'string' ? { includeThoughts: true, thinkingLevel: gemini3Level(effort, id) } : { includeThoughts: true }
  }
  if (typeof effort !== 'string') return undefined
  if (isClaude(id)) {
    if (effort === 'none' || forcedTool || maxOut === undefined) return undefined
    const budget = Math.min(THINKING_BUDGET[effort], maxOut - ANSWER_ROOM)
    return budget < MIN_CLAUDE_BUDGET ? undefined : { includeThoughts: true, thinkingBudget: budget }
  }
  if (effort === 'none') return { thinkingBudget: 0 }
  return { includeThoughts: true, thinkingBudget: THINKING_BUDGET[effort] }
}
