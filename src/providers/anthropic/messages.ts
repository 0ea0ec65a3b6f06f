// OpenAI `messages` → Anthropic `system` + alternating `messages`. Pure.
// Consecutive messages of one role are merged (tool results and the user text after them
// share one user turn, as Anthropic requires), empty text is dropped, and tool_result
// blocks are moved to the front of their user turn.
import { RequestTranslationError } from '../../core/errors.ts'
import { isRecord } from '../../core/json.ts'
import { mapToolCalls, thinkingBlockInput, toolArguments, toolCallId, toTurns, type ToolCallInput, type Turn } from '../chat-input.ts'

export type Block = Record<string, unknown>

export type AnthropicMessage = Turn<Block>

export interface TranslatedMessages {
  readonly system: Block[]
  readonly messages: AnthropicMessage[]
}

const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*);base64,/i

export function toAnthropicMessages (input: unknown): TranslatedMessages {
  return toTurns(input, 'is not supported by Anthropic models', {
    system: textBlocks, user: userBlocks, assistant: assistantBlocks, toolResult, isToolResult: (b) => b.type === 'tool_result',
  })
}

function textBlock (text: string, part?: Record<string, unknown>): Block {
  const block: Block = { type: 'text', text }
  if (part !== undefined && isRecord(part.cache_control)) block.cache_control = part.cache_control
  return block
}

/** System/developer content: a string or text parts only. */
function textBlocks (content: unknown, where: string): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [textBlock(content)]
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of text parts`)
  const out: Block[] = []
  content.forEach((part: unknown, j) => {
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw new RequestTranslationError(`${where}.content[${j}]: only text parts are allowed here`)
    }
    if (part.text !== '') out.push(textBlock(part.text, part))
  })
  return out
}

/** User (and tool result) content: text and images. */
function userBlocks (content: unknown, where: string): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [textBlock(content)]
  if (content === undefined || content === null) return []
  if (!Array.isArray(content)) throw new RequestTranslationError(`${where}.content must be a string or an array of content parts`)
  const out: Block[] = []
  content.forEach((part: unknown, j) => {
    const at = `${where}.content[${j}]`
    if (!isRecord(part)) throw new RequestTranslationError(`${at} must be an object`)
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw new RequestTranslationError(`${at}.text must be a string`)
      if (part.text !== '') out.push(textBlock(part.text, part))
    } else if (part.type === 'image_url') {
      out.push(imageBlock(part, at))
    } else {
      throw new RequestTranslationError(`${at}: content part type "${String(part.type)}" is not supported by Anthropic models (text and image_url only)`)
    }
  })
  return out
}

function imageBlock (part: Record<string, unknown>, at: string): Block {
  const ref = part.image_url
  const url = typeof ref === 'string' ? ref : isRecord(ref) && typeof ref.url === 'string' ? ref.url : undefined
  if (url === undefined) throw new RequestTranslationError(`${at}.image_url.url is required`)
  let block: Block
  const data = DATA_URL.exec(url)
  if (data !== null) {
    let mediaType = data[1].toLowerCase()
    if (mediaType === 'image/jpg') mediaType = 'image/jpeg'
    if (!IMAGE_TYPES.has(mediaType)) {
      throw new RequestTranslationError(`${at}: image type ${mediaType} is not supported by Anthropic models (jpeg, png, gif, webp)`)
    }
    block = { type: 'image', source: { type: 'base64', media_type: mediaType, data: url.slice(data[0].length) } }
  } else if (/^https?:\/\//i.test(url)) {
    block = { type: 'image', source: { type: 'url', url } }
  } else {
    throw new RequestTranslationError(`${at}: image_url must be a base64 data: URL or an http(s) URL`)
  }
  if (isRecord(part.cache_control)) block.cache_control = part.cache_control
  return block
}

function assistantBlocks (m: Record<string, unknown>, where: string): Block[] {
  const out: Block[] = []
  // Thinking blocks must come first and be replayed unchanged (signature included).
  if (Array.isArray(m.thinking_blocks)) {
    m.thinking_blocks.forEach((b: unknown, j) => { out.push(thinkingBlock(b, `${where}.thinking_blocks[${j}]`)) })
  }
  const content = m.content
  if (typeof content === 'string') {
    if (content !== '') out.push(textBlock(content))
  } else if (Array.isArray(content)) {
    content.forEach((part: unknown, j) => {
      const at = `${where}.content[${j}]`
      if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') {
        if (part.text !== '') out.push(textBlock(part.text, part))
      } else if (isRecord(part) && part.type === 'refusal' && typeof part.refusal === 'string') {
        if (part.refusal !== '') out.push(textBlock(part.refusal))
      } else {
        throw new RequestTranslationError(`${at}: assistant content parts must be text or refusal`)
      }
    })
  } else if (content !== undefined && content !== null) {
    throw new RequestTranslationError(`${where}.content must be a string, an array of text parts, or null`)
  }
  out.push(...mapToolCalls(m, where, toolUse))
  return out
}

function thinkingBlock (b: unknown, at: string): Block {
  return { ...thinkingBlockInput(b, at) }
}

function toolUse (call: ToolCallInput, at: string): Block {
  return { type: 'tool_use', id: call.id, name: call.name, input: toolArguments(call, at) }
}

function toolResult (m: Record<string, unknown>, where: string): Block {
  const block: Block = { type: 'tool_result', tool_use_id: toolCallId(m, where) }
  if (typeof m.content === 'string') {
    if (m.content !== '') block.content = m.content
  } else {
    const blocks = userBlocks(m.content, where)
    if (blocks.length > 0) block.content = blocks
  }
  return block
}
