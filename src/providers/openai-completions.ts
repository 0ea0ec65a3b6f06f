// OpenAI Chat Completions family (OpenAI, OpenRouter, DeepSeek, Venice, Ollama, any compatible
// endpoint). Pure passthrough: only `model` is rewritten, the response bytes go out untouched.
import { endpoint, jsonHeaders, sendAttempt } from './http-attempt.ts'
import { rewriteModel } from './rewrite-model.ts'
import type { AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'

export function createOpenAICompletionsAdapter (): ProviderAdapter {
  return {
    api: 'openai-completions',
    async attempt (req: AttemptRequest): Promise<AttemptResult> {
      // The raw bytes go out as they came whenever the client already named the upstream id.
      const body = req.body.model === req.model.id
        ? req.rawBody
        : (typeof req.body.model === 'string' ? rewriteModel(req.rawBody, req.body.model, req.model.id) : undefined) ??
          JSON.stringify({ ...req.body, model: req.model.id })
      const auth: Record<string, string> = req.credential.secret === ''
        ? {}
        : { authorization: `Bearer ${req.credential.secret}` }
      const result = await sendAttempt({
        url: endpoint(req.provider.baseUrl, '/chat/completions'),
        headers: jsonHeaders(req, auth),
        body,
        req,
      })
      if (result.kind !== 'ok') return result
      const ct = result.headers['content-type']
      return {
        kind: 'ok',
        status: result.status,
        contentType: typeof ct === 'string' ? ct : (req.stream ? 'text/event-stream' : 'application/json'),
        first: result.first,
        rest: result.rest,
        ttfbMs: result.ttfbMs,
        close: result.close,
      }
    },
  }
}
