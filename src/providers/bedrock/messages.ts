// OpenAI `messages` → Converse `system` + alternating `messages`. Pure.
// Consecutive messages of one role are merged (tool results and the user text after them
// share one user turn, as Converse requires), empty text is dropped, toolResult blocks lead
// their user turn, and replayed reasoning leads its assistant turn. A `cache_control` on a
// text part becomes a Converse `cachePoint` right after that block.
import { RequestTranslationError } from '../../core/errors.ts'
import { isRecord } from '../../core/json.ts'
import { mapToolCalls, thinkingBlockInput, toolArguments, toolCallId, toTurns, type ToolCallInput, type Turn } from '../chat-input.ts'

export type Block = Record<string, unknown>

export type ConverseMessage = Turn<Block>

export interface TranslatedMessages {
  readonly system: Block[]
  readonly messages: ConverseMessage[]
}

const REJECT = 'is not supported by Bedrock models'
const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp',
}
const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*);base64,/i
const CACHE_POINT: Block = { cachePoint: { type: 'default' } }

export function toConverseMessages (input: unknown): TranslatedMessages {
  return toTurns(input, REJECT, {
    system: textBlocks, user: userBlocks, assistant: assistantBlocks, toolResult, isToolResult: (b) => b.toolResult !== undefined,
  })
}

function textPart (text: string, part: Record<string, unknown> | undefined, out: Block[]): void {
  if (text === '') return
  out.push({ text })
  if (part !== undefined && isRecord(part.cache_control)) out.push(CACHE_POINT)
}

/** System/developer content: a string or text parts only. */
function textBlocks (content: unknown, where: string): Block[] {
  const out: Block[] = []
  if (typeof content === 'string') { textPart(content, undefined, out); return out }
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of text parts`)
  content.forEach((part: unknown, j) => {
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw new RequestTranslationError(`${where}.content[${j}]: only text parts are allowed here`)
    }
    textPart(part.text, part, out)
  })
  return out
}

/** User (and tool result) content: text and images. */
function userBlocks (content: unknown, where: string): Block[] {
  const out: Block[] = []
  if (typeof content === 'string') { textPart(content, undefined, out); return out }
  if (content === undefined || content === null) return out
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of content parts`)
  content.forEach((part: unknown, j) => {
    const at = `${where}.content[${j}]`
    if (!isRecord(part)) throw new RequestTranslationError(`${at} must be an object`)
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw new RequestTranslationError(`${at}.text must be a string`)
      textPart(part.text, part, out)
    } else if (part.type === 'image_url') {
      out.push(imageBlock(part, at))
      if (isRecord(part.cache_control)) out.push(CACHE_POINT)
    } else {
      throw new RequestTranslationError(`${at}: content part type "${String(part.type)}" ${REJECT} (text and image_url only)`)
    }
  })
  return out
}

function imageBlock (part: Record<string, unknown>, at: string): Block {
  const ref = part.image_url
  const url = typeof ref === 'string' ? ref : isRecord(ref) && typeof ref.url === 'string' ? ref.url : undefined
  if (url === undefined) throw new RequestTranslationError(`${at}.image_url.url is required`)
  const data = DATA_URL.exec(url)
  // Converse takes image bytes (or S3 locations), never a URL to fetch.
  if (data === null) throw new RequestTranslationError(`${at}: image_url must be a base64 data: URL for Bedrock models`)
  const mediaType = data[1].toLowerCase()
  const format = IMAGE_FORMATS[mediaType]
  if (format === undefined) throw new RequestTranslationError(`${at}: image type ${mediaType} ${REJECT} (jpeg, png, gif, webp)`)
  return { image: { format, source: { bytes: url.slice(data[0].length) } } }
}

function assistantBlocks (m: Record<string, unknown>, where: string): Block[] {
  const out: Block[] = []
  // Reasoning must come first and be replayed unchanged (signature included).
  if (Array.isArray(m.thinking_blocks)) {
    m.thinking_blocks.forEach((b: unknown, j) => { out.push(reasoningBlock(b, `${where}.thinking_blocks[${j}]`)) })
  }
  const content = m.content
  if (typeof content === 'string') {
    textPart(content, undefined, out)
  } else if (Array.isArray(content)) {
    content.forEach((part: unknown, j) => {
      if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') textPart(part.text, part, out)
      else if (isRecord(part) && part.type === 'refusal' && typeof part.refusal === 'string') textPart(part.refusal, undefined, out)
      else throw new RequestTranslationError(`${where}.content[${j}]: assistant content parts must be text or refusal`)
    })
  } else if (content !== undefined && content !== null) {
    throw new RequestTranslationError(`${where}.content must be a string, an array of text parts, or null`)
  }
  out.push(...mapToolCalls(m, where, toolUse))
  return out
}

/** A replayed thinking block (the shape the Anthropic family uses) as Converse reasoning. */
function reasoningBlock (b: unknown, at: string): Block {
  const t = thinkingBlockInput(b, at)
  return t.type === 'thinking'
    ? { reasoningContent: { reasoningText: { text: t.thinking, signature: t.signature } } }
    : { reasoningContent: { redactedContent: t.data } }
}

function toolUse (call: ToolCallInput, at: string): Block {
  return { toolUse: { toolUseId: call.id, name: call.name, input: toolArguments(call, at) } }
}

function toolResult (m: Record<string, unknown>, where: string): Block {
  const content = userBlocks(m.content, where).filter((b) => b.cachePoint === undefined)
  // Converse requires content; an empty tool output is sent as an empty JSON object.
  return { toolResult: { toolUseId: toolCallId(m, where), content: content.length > 0 ? content : [{ json: {} }] } }
}
