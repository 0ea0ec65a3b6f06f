// Small narrowing helpers shared by the Anthropic translators (outside data is `unknown`).

export function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Client input that cannot be translated; becomes a 400 `bad_request` outcome. */
export class InvalidInput extends Error {}

/** `text` of a `{type:"text", text}` block, else undefined. */
export function textOf (block: unknown): string | undefined {
  return isRecord(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : undefined
}

