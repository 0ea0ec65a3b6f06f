// OpenAI Chat Completions family (OpenAI, OpenRouter, DeepSeek, Venice, Ollama, any compatible
// endpoint). Pure passthrough: only `model` is rewritten, the response bytes go out untouched.
import { endpoint, jsonHeaders, sendAttempt } from './http-attempt.ts'
import { passthroughBody, passthroughResult } from './passthrough.ts'
import { QWEN_PORTAL, addQwenHeaders, qwenBaseUrl } from './qwen-portal.ts'
import type { AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'

export function createOpenAICompletionsAdapter (): ProviderAdapter {
  return {
    api: 'openai-completions',
    async attempt (req: AttemptRequest): Promise<AttemptResult> {
      // The raw bytes go out as they came whenever the client already named the upstream id.
      const body = passthroughBody(req)
      const auth: Record<string, string> = req.credential.secret === ''
        ? {}
        : { authorization: `Bearer ${req.credential.secret}` }
      // Qwen Portal: base from the token's resource_url, plus Qwen Code's headers.
      const qwen = req.provider.id === QWEN_PORTAL
      const headers = jsonHeaders(req, auth)
      const result = await sendAttempt({
        url: endpoint(qwen ? qwenBaseUrl(req) : req.provider.baseUrl, '/chat/completions'),
        headers: qwen ? addQwenHeaders(headers) : headers,
        body,
        req,
      })
      if (result.kind !== 'ok') return result
      return passthroughResult(result, req)
    },
  }
}
