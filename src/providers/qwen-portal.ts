// Qwen Portal specifics for the openai-completions adapter (docs/providers.md): the chat base
// comes from the token's `resource_url`, and Qwen Code's identity headers go with the OAuth token.
import type { AttemptRequest } from './types.ts'

export const QWEN_PORTAL = 'qwen-portal'
export const QWEN_CODE_VERSION = '0.0.14'

/** Qwen Code's headers; provider/model `headers` in config override them. */
export function qwenHeaders (): Record<string, string> {
  const ua = `QwenCode/${QWEN_CODE_VERSION} (${process.platform}; ${process.arch})`
  return {
    'user-agent': ua,
    'x-dashscope-useragent': ua,
    'x-dashscope-cachecontrol': 'enable',
    'x-dashscope-authtype': 'qwen-oauth',
  }
}

/** `portal.qwen.ai` → `https://portal.qwen.ai/v1`; a full URL keeps its scheme; `/v1` is added once. */
export function qwenResourceBase (resourceUrl: string): string {
  const trimmed = resourceUrl.trim().replace(/\/+$/, '')
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`
  return withScheme.endsWith('/v1') ? withScheme : `${withScheme}/v1`
}

/** Base URL for a Qwen Portal attempt: the credential's resourceUrl wins over the configured baseUrl. */
export function qwenBaseUrl (req: AttemptRequest): string {
  const resource = req.credential.extra?.resourceUrl
  return resource !== undefined && resource.trim() !== '' ? qwenResourceBase(resource) : req.provider.baseUrl
}

/** Adds Qwen's headers where config did not set them (case-insensitive). */
export function addQwenHeaders (headers: Record<string, string>): Record<string, string> {
  const present = new Set(Object.keys(headers).map((k) => k.toLowerCase()))
  for (const [k, v] of Object.entries(qwenHeaders())) if (!present.has(k)) headers[k] = v
  return headers
}
