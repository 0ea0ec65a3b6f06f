// The client's Chat Completions body as the translating adapters (Anthropic Messages, OpenAI
// Responses) read it: what they check the same way whatever the upstream. Each adapter maps
// the checked values to its own wire format. Pure.
import { RequestTranslationError } from '../core/errors.ts'
import { isRecord } from '../core/json.ts'

export type TranslateResult<T> =
  | { readonly kind: 'ok', readonly request: T }
  | { readonly kind: 'invalid', readonly message: string }

/** Runs a translation; a RequestTranslationError it throws becomes the `invalid` result. */
export function translateInput<T> (build: () => T): TranslateResult<T> {
  try {
    return { kind: 'ok', request: build() }
  } catch (err) {
    if (err instanceof RequestTranslationError) return { kind: 'invalid', message: err.message }
    throw err
  }
}

// ---- parameters the upstream cannot honour (`reject` ends each message, e.g. "is not supported by X models")

/** n > 1, logprobs, top_logprobs. */
export function rejectChoiceOptions (body: Readonly<Record<string, unknown>>, reject: string): void {
  const n = body.n
  if (n !== undefined && n !== null && n !== 1) throw new RequestTranslationError(`n=${String(n)} ${reject} (only n=1)`)
  if (body.logprobs === true) throw new RequestTranslationError(`logprobs ${reject}`)
  if (body.top_logprobs !== undefined && body.top_logprobs !== null) throw new RequestTranslationError(`top_logprobs ${reject}`)
}

/** Audio output and modalities other than text. */
export function rejectNonText (body: Readonly<Record<string, unknown>>, reject: string): void {
  if (body.audio !== undefined && body.audio !== null) throw new RequestTranslationError(`audio output ${reject}`)
  const modalities = body.modalities
  if (Array.isArray(modalities) && modalities.some((m) => m !== 'text')) {
    throw new RequestTranslationError(`modalities other than "text" ${reject}`)
  }
}

/** The legacy functions / function_call parameters. */
export function rejectLegacyFunctions (body: Readonly<Record<string, unknown>>, reject: string): void {
  if (body.functions !== undefined || body.function_call !== undefined) {
    throw new RequestTranslationError(`legacy functions/function_call ${reject}; use tools and tool_choice`)
  }
}

// ---- numbers --------------------------------------------------------------------------------------

export function optionalNumber (v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestTranslationError(`${name} must be a number`)
  return v
}

export function optionalInt (v: unknown, name: string): number | undefined {
  const n = optionalNumber(v, name)
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new RequestTranslationError(`${name} must be a positive integer`)
  return n
}

// ---- messages -------------------------------------------------------------------------------------

export interface MessageVisitor {
  /** A system or developer message. */
  readonly system: (m: Record<string, unknown>, where: string) => void
  readonly user: (m: Record<string, unknown>, where: string) => void
  readonly assistant: (m: Record<string, unknown>, where: string) => void
  readonly tool: (m: Record<string, unknown>, where: string) => void
}

const ROLES: ReadonlyMap<unknown, keyof MessageVisitor> = new Map<unknown, keyof MessageVisitor>([
  ['system', 'system'], ['developer', 'system'], ['user', 'user'], ['assistant', 'assistant'], ['tool', 'tool'],
])

/** Visits each message by role, in order; `where` names it in errors (`messages[3]`). */
export function walkMessages (messages: unknown, reject: string, visit: MessageVisitor): void {
  if (!Array.isArray(messages)) throw new RequestTranslationError('messages must be an array')
  messages.forEach((m: unknown, i) => {
    const where = `messages[${i}]`
    if (!isRecord(m)) throw new RequestTranslationError(`${where} must be an object`)
    const role = m.role
    if (role === 'function') throw new RequestTranslationError(`${where}: role "function" ${reject}; use tool messages`)
    const kind = ROLES.get(role)
    if (kind === undefined) throw new RequestTranslationError(`${where}.role must be one of system, developer, user, assistant, tool`)
    visit[kind](m, where)
  })
}

/** One turn of an Anthropic-style conversation (Anthropic Messages, Bedrock Converse). */
export interface Turn<B> {
  role: 'user' | 'assistant'
  content: B[]
}

/** How one wire format builds its blocks from each kind of message. */
export interface TurnBlocks<B> {
  readonly system: (content: unknown, where: string) => B[]
  readonly user: (content: unknown, where: string) => B[]
  readonly assistant: (m: Record<string, unknown>, where: string) => B[]
  readonly toolResult: (m: Record<string, unknown>, where: string) => B
  readonly isToolResult: (b: B) => boolean
}

/**
 * System blocks and alternating user/assistant turns, as Anthropic and Converse want them:
 * consecutive messages of one role are merged into one turn (tool results and the user text
 * after them share one user turn), turns without blocks are dropped, and the tool results lead
 * their user turn.
 */
export function toTurns<B> (input: unknown, reject: string, blocks: TurnBlocks<B>): { system: B[], messages: Array<Turn<B>> } {
  const system: B[] = []
  const messages: Array<Turn<B>> = []
  const push = (role: 'user' | 'assistant', content: B[]): void => {
    if (content.length === 0) return
    const last = messages[messages.length - 1]
    if (last !== undefined && last.role === role) last.content.push(...content)
    else messages.push({ role, content })
  }
  walkMessages(input, reject, {
    system: (m, where) => { system.push(...blocks.system(m.content, where)) },
    user: (m, where) => { push('user', blocks.user(m.content, where)) },
    assistant: (m, where) => { push('assistant', blocks.assistant(m, where)) },
    tool: (m, where) => { push('user', [blocks.toolResult(m, where)]) },
  })
  if (messages.length === 0) throw new RequestTranslationError('messages must contain at least one user or assistant message')
  for (const m of messages) {
    if (m.role !== 'user' || m.content.length < 2) continue
    const results = m.content.filter(blocks.isToolResult)
    if (results.length > 0 && results.length < m.content.length) m.content = [...results, ...m.content.filter((b) => !blocks.isToolResult(b))]
  }
  return { system, messages }
}

/** A tool message's `tool_call_id`. */
export function toolCallId (m: Record<string, unknown>, where: string): string {
  if (typeof m.tool_call_id !== 'string' || m.tool_call_id === '') throw new RequestTranslationError(`${where}.tool_call_id is required`)
  return m.tool_call_id
}

/** One checked assistant tool call; `args` is `function.arguments` as sent. */
export interface ToolCallInput { readonly id: string, readonly name: string, readonly args: unknown }

/** An assistant message's `tool_calls`, each checked then mapped in order; [] when it has none. */
export function mapToolCalls<T> (m: Record<string, unknown>, where: string, map: (call: ToolCallInput, at: string) => T): T[] {
  if (m.tool_calls === undefined || m.tool_calls === null) return []
  if (!Array.isArray(m.tool_calls)) throw new RequestTranslationError(`${where}.tool_calls must be an array`)
  return m.tool_calls.map((call: unknown, j) => {
    const at = `${where}.tool_calls[${j}]`
    if (!isRecord(call) || !isRecord(call.function) || typeof call.id !== 'string' || call.id === '') {
      throw new RequestTranslationError(`${at} must be {id, type:"function", function:{name, arguments}}`)
    }
    const fn = call.function
    if (typeof fn.name !== 'string' || fn.name === '') throw new RequestTranslationError(`${at}.function.name is required`)
    return map({ id: call.id, name: fn.name, args: fn.arguments }, at)
  })
}

/** A tool call's `function.arguments` as the JSON object it encodes ('' and null read as {}). */
export function toolArguments (call: ToolCallInput, at: string): Record<string, unknown> {
  let input: unknown = call.args
  if (typeof input === 'string') {
    if (input.trim() === '') input = {}
    else {
      try { input = JSON.parse(input) } catch {
        throw new RequestTranslationError(`${at}.function.arguments is not valid JSON`)
      }
    }
  } else if (input === undefined || input === null) {
    input = {}
  }
  if (!isRecord(input)) throw new RequestTranslationError(`${at}.function.arguments must encode a JSON object`)
  return input
}

/** One replayed `thinking_blocks` entry (the shape rotor hands out for Claude reasoning). */
export type ThinkingBlockInput =
  | { readonly type: 'thinking', readonly thinking: string, readonly signature: string }
  | { readonly type: 'redacted_thinking', readonly data: string }

export function thinkingBlockInput (b: unknown, at: string): ThinkingBlockInput {
  if (isRecord(b) && b.type === 'thinking' && typeof b.thinking === 'string' && typeof b.signature === 'string') {
    return { type: 'thinking', thinking: b.thinking, signature: b.signature }
  }
  if (isRecord(b) && b.type === 'redacted_thinking' && typeof b.data === 'string') {
    return { type: 'redacted_thinking', data: b.data }
  }
  throw new RequestTranslationError(`${at} must be {type:"thinking", thinking, signature} or {type:"redacted_thinking", data}`)
}

/** `stop` as a list without empty strings (upstreams reject them, OpenAI ignores them); undefined when none. */
export function stopSequences (stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined
  const list = typeof stop === 'string' ? [stop] : stop
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
    throw new RequestTranslationError('stop must be a string or an array of strings')
  }
  const kept = (list as string[]).filter((s) => s !== '')
  return kept.length > 0 ? kept : undefined
}

// ---- tools ----------------------------------------------------------------------------------------

/** One checked function tool: the tool entry, its `function` object, and its parameters schema. */
export interface FunctionTool {
  readonly tool: Record<string, unknown>
  readonly fn: Record<string, unknown>
  readonly name: string
  /** Set and non-empty, else undefined. */
  readonly description: string | undefined
  /** The JSON schema; an empty object schema when none was given. */
  readonly parameters: Record<string, unknown>
}

/** `tools`, function tools only; undefined when absent or empty. `family` names the models in errors. */
export function functionTools (tools: unknown, family: string): FunctionTool[] | undefined {
  if (tools === undefined || tools === null) return undefined
  if (!Array.isArray(tools)) throw new RequestTranslationError('tools must be an array')
  if (tools.length === 0) return undefined
  return tools.map((tool: unknown, i) => {
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) {
      throw new RequestTranslationError(`tools[${i}]: only {type:"function", function:{…}} tools are supported by ${family} models`)
    }
    const fn = tool.function
    if (typeof fn.name !== 'string' || fn.name === '') throw new RequestTranslationError(`tools[${i}].function.name is required`)
    const parameters = fn.parameters === undefined || fn.parameters === null ? { type: 'object', properties: {} } : fn.parameters
    if (!isRecord(parameters)) throw new RequestTranslationError(`tools[${i}].function.parameters must be a JSON schema object`)
    const description = typeof fn.description === 'string' && fn.description !== '' ? fn.description : undefined
    return { tool, fn, name: fn.name, description, parameters }
  })
}

export const TOOL_CHOICE_ERROR = 'tool_choice must be "auto", "none", "required" or {type:"function", function:{name}}'

/** The function name of a `{type:"function", function:{name}}` tool_choice, else undefined. */
export function namedToolChoice (choice: unknown): string | undefined {
  if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function) && typeof choice.function.name === 'string') {
    return choice.function.name
  }
  return undefined
}
