// OpenAI Chat Completions body → OpenAI Responses body. Pure: no I/O, no clock.
//
// Two flavours share one translation: `codex` (chatgpt.com/backend-api/codex/responses, which
// only accepts a restricted request) and `openai` (api.openai.com/v1/responses).
//
// Parameter rule. Every Chat Completions parameter falls in exactly one group:
//  1. Translated: messages (system/developer → `instructions`; user text/image_url/file parts →
//     `message` input items; assistant text → `message` items with output_text, assistant
//     tool_calls → `function_call` items; tool messages → `function_call_output` items), tools
//     (flattened to {type:"function", name, description, parameters, strict}), tool_choice,
//     parallel_tool_calls, reasoning_effort (→ reasoning.effort, summary "auto"; only on
//     reasoning models), response_format (→ text.format), verbosity (→ text.verbosity),
//     prompt_cache_key, stream. `openai` flavour only: max_completion_tokens | max_tokens
//     (→ max_output_tokens), temperature, top_p, user, service_tier, safety_identifier,
//     metadata. Codex refuses those, so the `codex` flavour drops them.
//  2. Rejected with 400 before any upstream call (the Responses API cannot produce them, and
//     dropping them would change what the answer means): n > 1, logprobs / top_logprobs, stop,
//     audio, modalities other than text, legacy functions/function_call and role "function",
//     non-function tools, unknown content part types, malformed messages or tool calls.
//  3. Dropped: frequency_penalty, presence_penalty, logit_bias, seed, store (always false:
//     rotor is stateless), stream_options (read by the stream translator), prediction,
//     web_search_options, `name` on messages, and any key not listed here.
import { RequestTranslationError } from '../../core/errors.ts'
import type { ModelDef } from '../../config/types.ts'
import { isRecord } from '../../core/json.ts'
import {
  functionTools, mapToolCalls, namedToolChoice, optionalInt, optionalNumber, rejectChoiceOptions,
  rejectLegacyFunctions, rejectNonText, TOOL_CHOICE_ERROR, toolCallId, translateInput, walkMessages,
  type ToolCallInput, type TranslateResult,
} from '../chat-input.ts'

export type Item = Record<string, unknown>

export type ResponsesFlavour = 'codex' | 'openai'

/** Instructions Codex gets when the client sent no system prompt (the backend requires some). */
export const DEFAULT_INSTRUCTIONS = 'You are a helpful assistant.'

export const REASONING_EFFORTS: readonly string[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh']

export interface ResponsesRequest {
  model: string
  instructions?: string
  input: Item[]
  tools?: Item[]
  tool_choice?: unknown
  parallel_tool_calls?: boolean
  reasoning?: { effort?: string, summary: 'auto' }
  text?: Record<string, unknown>
  include?: string[]
  store: false
  stream: boolean
  prompt_cache_key?: string
  max_output_tokens?: number
  temperature?: number
  top_p?: number
  user?: string
  service_tier?: string
  safety_identifier?: string
  metadata?: Record<string, unknown>
}

export interface ToResponsesOptions {
  readonly flavour: ResponsesFlavour
  /** Ask the upstream for SSE (always true for Codex). */
  readonly stream: boolean
  /** Codex session id, also the prompt cache key unless the client named one. */
  readonly sessionId?: string
}

export type ToResponsesResult = TranslateResult<ResponsesRequest>

const REJECT = 'is not supported by Responses API models'

export function toResponsesRequest (
  body: Readonly<Record<string, unknown>>,
  model: ModelDef,
  opts: ToResponsesOptions,
): ToResponsesResult {
  return translateInput(() => build(body, model, opts))
}

function build (body: Readonly<Record<string, unknown>>, model: ModelDef, opts: ToResponsesOptions): ResponsesRequest {
  rejectUnsupported(body)
  const codex = opts.flavour === 'codex'
  const { instructions, input } = toInput(body.messages)
  const out: ResponsesRequest = { model: model.id, input, store: false, stream: codex || opts.stream }
  if (instructions !== '') out.instructions = instructions
  else if (codex) out.instructions = DEFAULT_INSTRUCTIONS

  const tools = toolsOf(body.tools)
  if (tools !== undefined) {
    out.tools = tools
    out.tool_choice = toolChoiceOf(body.tool_choice)
    if (typeof body.parallel_tool_calls === 'boolean') out.parallel_tool_calls = body.parallel_tool_calls
  } else if (codex) {
    // Codex expects the fields whether or not tools are offered.
    out.tool_choice = 'auto'
  }
  if (codex && out.parallel_tool_calls === undefined) out.parallel_tool_calls = tools !== undefined

  const reasoning = reasoningOf(body.reasoning_effort, model)
  if (reasoning !== undefined) out.reasoning = reasoning
  // Stateless reasoning: the encrypted reasoning comes back so a later turn could carry it.
  if (codex || reasoning !== undefined) out.include = ['reasoning.encrypted_content']

  const text = textOf(body.response_format, body.verbosity)
  if (text !== undefined) out.text = text

  if (typeof body.prompt_cache_key === 'string' && body.prompt_cache_key !== '') out.prompt_cache_key = body.prompt_cache_key
  else if (codex && opts.sessionId !== undefined) out.prompt_cache_key = opts.sessionId

  if (!codex) {
    const max = optionalInt(body.max_completion_tokens, 'max_completion_tokens') ?? optionalInt(body.max_tokens, 'max_tokens')
    if (max !== undefined) out.max_output_tokens = max
    const temperature = optionalNumber(body.temperature, 'temperature')
    if (temperature !== undefined) out.temperature = temperature
    const topP = optionalNumber(body.top_p, 'top_p')
    if (topP !== undefined) out.top_p = topP
    if (typeof body.user === 'string' && body.user !== '') out.user = body.user
    if (typeof body.service_tier === 'string') out.service_tier = body.service_tier
    if (typeof body.safety_identifier === 'string') out.safety_identifier = body.safety_identifier
    if (isRecord(body.metadata)) out.metadata = body.metadata
  }
  return out
}

function rejectUnsupported (body: Readonly<Record<string, unknown>>): void {
  rejectChoiceOptions(body, REJECT)
  const stop = body.stop
  if (stop !== undefined && stop !== null && !(Array.isArray(stop) && stop.length === 0) && stop !== '') {
    throw new RequestTranslationError(`stop ${REJECT}`)
  }
  rejectNonText(body, REJECT)
  rejectLegacyFunctions(body, REJECT)
}

// ---- messages ---------------------------------------------------------------------------------

function toInput (messages: unknown): { instructions: string, input: Item[] } {
  const system: string[] = []
  const input: Item[] = []
  walkMessages(messages, REJECT, {
    system: (m, where) => {
      const text = plainText(m.content, where)
      if (text !== '') system.push(text)
    },
    user: (m, where) => {
      const content = userContent(m.content, where)
      if (content.length > 0) input.push({ type: 'message', role: 'user', content })
    },
    assistant: (m, where) => { input.push(...assistantItems(m, where)) },
    tool: (m, where) => { input.push(toolOutput(m, where)) },
  })
  if (input.length === 0) throw new RequestTranslationError('messages must contain at least one user or assistant message')
  return { instructions: system.join('\n\n'), input }
}

/** A string, or text parts joined; used for system prompts, assistant text and tool output. */
function plainText (content: unknown, where: string): string {
  if (typeof content === 'string') return content
  if (content === undefined || content === null) return ''
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of text parts`)
  return content.map((part: unknown, j) => {
    if (isRecord(part) && (part.type === 'text' || part.type === 'input_text' || part.type === 'output_text') && typeof part.text === 'string') return part.text
    if (isRecord(part) && part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal
    throw new RequestTranslationError(`${where}.content[${j}]: only text parts are allowed here`)
  }).join('')
}

function userContent (content: unknown, where: string): Item[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'input_text', text: content }]
  if (content === undefined || content === null) return []
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of content parts`)
  const out: Item[] = []
  content.forEach((part: unknown, j) => {
    const at = `${where}.content[${j}]`
    if (!isRecord(part)) throw new RequestTranslationError(`${at} must be an object`)
    switch (part.type) {
      case 'text':
        if (typeof part.text !== 'string') throw new RequestTranslationError(`${at}.text must be a string`)
        if (part.text !== '') out.push({ type: 'input_text', text: part.text })
        break
      case 'image_url': {
        const ref = part.image_url
        const url = typeof ref === 'string' ? ref : isRecord(ref) && typeof ref.url === 'string' ? ref.url : undefined
        if (url === undefined || url === '') throw new RequestTranslationError(`${at}.image_url.url is required`)
        const detail = isRecord(ref) && typeof ref.detail === 'string' ? ref.detail : 'auto'
        out.push({ type: 'input_image', image_url: url, detail })
        break
      }
      case 'file': {
        const f = isRecord(part.file) ? part.file : undefined
        if (f === undefined) throw new RequestTranslationError(`${at}.file is required`)
        const item: Item = { type: 'input_file' }
        if (typeof f.file_data === 'string') item.file_data = f.file_data
        if (typeof f.file_id === 'string') item.file_id = f.file_id
        if (typeof f.filename === 'string') item.filename = f.filename
        if (item.file_data === undefined && item.file_id === undefined) throw new RequestTranslationError(`${at}.file needs file_data or file_id`)
        out.push(item)
        break
      }
      default:
        throw new RequestTranslationError(`${at}: content part type "${String(part.type)}" ${REJECT} (text, image_url and file only)`)
    }
  })
  return out
}

function assistantItems (m: Record<string, unknown>, where: string): Item[] {
  const out: Item[] = []
  const text = plainText(m.content, where)
  if (text !== '') out.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] })
  out.push(...mapToolCalls(m, where, functionCall))
  return out
}

function functionCall (call: ToolCallInput): Item {
  let args: string
  if (typeof call.args === 'string') args = call.args.trim() === '' ? '{}' : call.args
  else if (call.args === undefined || call.args === null) args = '{}'
  else args = JSON.stringify(call.args)
  return { type: 'function_call', call_id: call.id, name: call.name, arguments: args }
}

function toolOutput (m: Record<string, unknown>, where: string): Item {
  return { type: 'function_call_output', call_id: toolCallId(m, where), output: plainText(m.content, where) }
}

// ---- tools, reasoning, text ----------------------------------------------------------------------

function toolsOf (tools: unknown): Item[] | undefined {
  return functionTools(tools, 'Responses API')?.map((t) => {
    const out: Item = { type: 'function', name: t.name }
    if (t.description !== undefined) out.description = t.description
    out.parameters = t.parameters
    // Responses defaults strict to true; Chat Completions to false. Keep Chat's meaning.
    out.strict = t.fn.strict === true
    return out
  })
}

function toolChoiceOf (choice: unknown): unknown {
  if (choice === undefined || choice === null) return 'auto'
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice
  const named = namedToolChoice(choice)
  if (named !== undefined) return { type: 'function', name: named }
  throw new RequestTranslationError(TOOL_CHOICE_ERROR)
}

function reasoningOf (effort: unknown, model: ModelDef): ResponsesRequest['reasoning'] {
  if (effort !== undefined && effort !== null && (typeof effort !== 'string' || !REASONING_EFFORTS.includes(effort))) {
    throw new RequestTranslationError(`reasoning_effort must be one of ${REASONING_EFFORTS.join(', ')}`)
  }
  // A non-reasoning model refuses the parameter; Chat clients send it regardless.
  if (!model.reasoning) return undefined
  return typeof effort === 'string' ? { effort, summary: 'auto' } : { summary: 'auto' }
}

function textOf (format: unknown, verbosity: unknown): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {}
  if (format !== undefined && format !== null) {
    if (!isRecord(format) || typeof format.type !== 'string') throw new RequestTranslationError('response_format must be an object with a type')
    if (format.type === 'json_schema') {
      const js = format.json_schema
      if (!isRecord(js) || typeof js.name !== 'string') throw new RequestTranslationError('response_format.json_schema needs a name and a schema')
      const f: Record<string, unknown> = { type: 'json_schema', name: js.name, schema: isRecord(js.schema) ? js.schema : {} }
      if (typeof js.description === 'string') f.description = js.description
      if (typeof js.strict === 'boolean') f.strict = js.strict
      out.format = f
    } else if (format.type === 'json_object' || format.type === 'text') {
      out.format = { type: format.type }
    } else {
      throw new RequestTranslationError(`response_format ${format.type} ${REJECT}`)
    }
  }
  if (typeof verbosity === 'string') out.verbosity = verbosity
  return Object.keys(out).length > 0 ? out : undefined
}
