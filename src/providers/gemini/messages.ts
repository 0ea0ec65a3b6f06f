// OpenAI `messages` → Gemini `systemInstruction` texts + `contents` (roles `user` / `model`). Pure.
// Consecutive turns of one role are merged (Claude models behind the API need strict
// alternation), functionResponse parts lead their user turn (all responses to one model turn
// must share a single user turn), and empty turns are dropped.
//
// Thinking replay: a Gemini model's `thoughtSignature` rides on its function calls; rotor hands
// it to the client as `tool_calls[].extra_content.google.thought_signature` (the shape Google's
// own OpenAI-compatible endpoint uses) and puts it back here. A Gemini 3 function call replayed
// without one gets the API's documented "skip validation" value instead, so a client that drops
// the field still gets a valid next turn. Signed thought parts (Claude models) come back as
// `thinking_blocks`, as from the Anthropic adapter, and are replayed as `thought` parts.
import { RequestTranslationError } from '../../core/errors.ts'
import { isRecord } from '../../core/json.ts'
import { mapToolCalls, toolArguments, toolCallId, walkMessages, type ToolCallInput } from '../chat-input.ts'

export type Part = Record<string, unknown>
export interface Content { role: 'user' | 'model', parts: Part[] }

export interface GeminiMessages {
  /** System and developer texts, in order. */
  readonly system: string[]
  readonly contents: Content[]
}

export const REJECT = 'is not supported by Antigravity models'
/** Accepted in place of a lost thought signature (Gemini API docs, "thought signatures"). */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator'

const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif', 'image/gif'])
const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*);base64,/i

/** Models behind the API that need ids on functionCall / functionResponse parts. */
export function needsCallIds (modelId: string): boolean {
  return modelId.startsWith('claude-') || modelId.startsWith('gpt-oss-')
}

/** Gemini 3 validates thought signatures on replayed function calls. */
export function validatesSignatures (modelId: string): boolean {
  return modelId.startsWith('gemini-3')
}

export function toGeminiContents (input: unknown, modelId: string): GeminiMessages {
  const system: string[] = []
  const contents: Content[] = []
  /** tool_call_id → function name: functionResponse needs the name, OpenAI tool messages carry only the id. */
  const names = new Map<string, string>()
  const ids = needsCallIds(modelId)
  const push = (role: Content['role'], parts: Part[]): void => {
    if (parts.length === 0) return
    const last = contents[contents.length - 1]
    if (last !== undefined && last.role === role) last.parts.push(...parts)
    else contents.push({ role, parts })
  }

  walkMessages(input, REJECT, {
    system: (m, where) => { system.push(...systemTexts(m.content, where)) },
    user: (m, where) => { push('user', userParts(m.content, where)) },
    assistant: (m, where) => { push('model', modelParts(m, where, names, ids, validatesSignatures(modelId))) },
    tool: (m, where) => { push('user', toolParts(m, where, names, ids)) },
  })
  if (contents.length === 0) throw new RequestTranslationError('messages must contain at least one user or assistant message')
  for (const c of contents) if (c.role === 'user' && c.parts.length > 1) c.parts = responsesFirst(c.parts)
  return { system, contents }
}

function responsesFirst (parts: Part[]): Part[] {
  const responses = parts.filter((p) => p.functionResponse !== undefined)
  if (responses.length === 0 || responses.length === parts.length) return parts
  return [...responses, ...parts.filter((p) => p.functionResponse === undefined)]
}

function systemTexts (content: unknown, where: string): string[] {
  if (typeof content === 'string') return content === '' ? [] : [content]
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of text parts`)
  const out: string[] = []
  content.forEach((part: unknown, j) => {
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw new RequestTranslationError(`${where}.content[${j}]: only text parts are allowed here`)
    }
    if (part.text !== '') out.push(part.text)
  })
  return out
}

/** User (and tool result) content: text and base64 images. */
function userParts (content: unknown, where: string): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }]
  if (content === undefined || content === null) return []
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of content parts`)
  const out: Part[] = []
  content.forEach((part: unknown, j) => {
    const at = `${where}.content[${j}]`
    if (!isRecord(part)) throw new RequestTranslationError(`${at} must be an object`)
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw new RequestTranslationError(`${at}.text must be a string`)
      if (part.text !== '') out.push({ text: part.text })
    } else if (part.type === 'image_url') {
      out.push(imagePart(part, at))
    } else {
      throw new RequestTranslationError(`${at}: content part type "${String(part.type)}" ${REJECT} (text and image_url only)`)
    }
  })
  return out
}

function imagePart (part: Record<string, unknown>, at: string): Part {
  const ref = part.image_url
  const url = typeof ref === 'string' ? ref : isRecord(ref) && typeof ref.url === 'string' ? ref.url : undefined
  if (url === undefined) throw new RequestTranslationError(`${at}.image_url.url is required`)
  const data = DATA_URL.exec(url)
  if (data === null) throw new RequestTranslationError(`${at}: image_url must be a base64 data: URL for Antigravity models (remote URLs are not fetched)`)
  let mimeType = data[1].toLowerCase()
  if (mimeType === 'image/jpg') mimeType = 'image/jpeg'
  if (!IMAGE_TYPES.has(mimeType)) throw new RequestTranslationError(`${at}: image type ${mimeType} ${REJECT} (png, jpeg, webp, heic, heif, gif)`)
  return { inlineData: { mimeType, data: url.slice(data[0].length) } }
}

/** `extra_content.google.thought_signature` of a tool call, else undefined. */
export function callSignature (call: unknown): string | undefined {
  if (!isRecord(call) || !isRecord(call.extra_content)) return undefined
  const google = call.extra_content.google
  return isRecord(google) && typeof google.thought_signature === 'string' && google.thought_signature !== '' ? google.thought_signature : undefined
}

function modelParts (m: Record<string, unknown>, where: string, names: Map<string, string>, ids: boolean, validated: boolean): Part[] {
  const out: Part[] = []
  if (Array.isArray(m.thinking_blocks)) {
    for (const b of m.thinking_blocks as unknown[]) {
      // Only signed thinking can be replayed; the API refuses unsigned thought parts.
      if (isRecord(b) && b.type === 'thinking' && typeof b.thinking === 'string' && typeof b.signature === 'string' && b.signature !== '') {
        out.push({ thought: true, text: b.thinking, thoughtSignature: b.signature })
      }
    }
  }
  const content = m.content
  if (typeof content === 'string') {
    if (content !== '') out.push({ text: content })
  } else if (Array.isArray(content)) {
    content.forEach((part: unknown, j) => {
      if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') {
        if (part.text !== '') out.push({ text: part.text })
      } else if (isRecord(part) && part.type === 'refusal' && typeof part.refusal === 'string') {
        if (part.refusal !== '') out.push({ text: part.refusal })
      } else {
        throw new RequestTranslationError(`${where}.content[${j}]: assistant content parts must be text or refusal`)
      }
    })
  } else if (content !== undefined && content !== null) {
    throw new RequestTranslationError(`${where}.content must be a string, an array of text parts, or null`)
  }
  const raw: unknown[] = Array.isArray(m.tool_calls) ? m.tool_calls : []
  let index = 0
  const calls = mapToolCalls(m, where, (call, at) => {
    names.set(call.id, call.name)
    return functionCall(call, at, ids, callSignature(raw[index++]))
  })
  // Parallel calls carry the signature on the first call only; a lost one gets the skip value.
  if (validated && calls.length > 0 && calls[0].thoughtSignature === undefined) calls[0].thoughtSignature = SKIP_SIGNATURE
  out.push(...calls)
  return out
}

function functionCall (call: ToolCallInput, at: string, ids: boolean, signature: string | undefined): Part {
  const args = toolArguments(call, at)
  const part: Part = { functionCall: ids ? { name: call.name, args, id: call.id } : { name: call.name, args } }
  if (signature !== undefined) part.thoughtSignature = signature
  return part
}

function toolParts (m: Record<string, unknown>, where: string, names: Map<string, string>, ids: boolean): Part[] {
  const id = toolCallId(m, where)
  const name = names.get(id)
  if (name === undefined) throw new RequestTranslationError(`${where}.tool_call_id "${id}" does not match a tool call of an earlier assistant message`)
  let text: string
  let images: Part[] = []
  if (typeof m.content === 'string') {
    text = m.content
  } else {
    const parts = userParts(m.content, where)
    text = parts.filter((p) => typeof p.text === 'string').map((p) => p.text as string).join('\n')
    images = parts.filter((p) => p.inlineData !== undefined)
  }
  const response = { name, response: { output: text }, ...(ids ? { id } : {}) }
  return [{ functionResponse: response }, ...images]
}
