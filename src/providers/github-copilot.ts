// GitHub Copilot (api "github-copilot"): OpenAI Chat Completions wire, passed through like
// openai-completions, to `<endpoints.api>/chat/completions` with the short-lived Copilot token
// (the credential resolver exchanges the stored GitHub token for it and hands over
// `extra.baseUrl` = the token's `endpoints.api`) and the editor headers Copilot requires
// (docs/providers.md). Provider/model `headers` from config override every default here.
import { randomUUID } from 'node:crypto'
import { endpoint, jsonHeaders, sendAttempt, setDefaultHeader } from './http-attempt.ts'
import { passthroughBody, passthroughResult } from './passthrough.ts'
import type { AttemptRequest, AttemptResult, ProviderAdapter } from './types.ts'
import { isRecord } from '../core/json.ts'
import { COPILOT_EDITOR_HEADERS } from '../auth/oauth/copilot.ts'

/** What Copilot checks on every chat request. */
export const COPILOT_HEADERS: Readonly<Record<string, string>> = {
  ...COPILOT_EDITOR_HEADERS,
  'copilot-integration-id': 'vscode-chat',
  'openai-intent': 'conversation-panel',
}

/**
 * `user` when the last message is the user's own turn, else `agent` (a follow-up after a
 * tool result or assistant turn): Copilot bills only `user` turns as premium requests.
 */
export function initiator (body: Readonly<Record<string, unknown>>): 'user' | 'agent' {
  const messages = body.messages
  if (!Array.isArray(messages) || messages.length === 0) return 'user'
  const last: unknown = messages[messages.length - 1]
  return isRecord(last) && last.role !== 'user' ? 'agent' : 'user'
}

/** True when any user message carries an image part (Copilot wants `Copilot-Vision-Request`). */
export function hasImages (body: Readonly<Record<string, unknown>>): boolean {
  const messages = body.messages
  if (!Array.isArray(messages)) return false
  return messages.some((m: unknown) => isRecord(m) && Array.isArray(m.content) &&
    m.content.some((p: unknown) => isRecord(p) && p.type === 'image_url'))
}

export function copilotHeaders (req: AttemptRequest): Record<string, string> {
  const headers = jsonHeaders(req, { authorization: `Bearer ${req.credential.secret}` })
  const defaults: Record<string, string> = { ...COPILOT_HEADERS, 'x-initiator': initiator(req.body), 'x-request-id': randomUUID() }
  if (hasImages(req.body)) defaults['copilot-vision-request'] = 'true'
  for (const [k, v] of Object.entries(defaults)) setDefaultHeader(headers, k, v)
  return headers
}

/** `extra.baseUrl` (the Copilot token's `endpoints.api`) wins over the configured baseUrl. */
export function copilotBaseUrl (req: AttemptRequest): string {
  const fromToken = req.credential.extra?.baseUrl
  return (fromToken !== undefined && fromToken !== '' ? fromToken : req.provider.baseUrl).replace(/\/+$/, '')
}

export function createGitHubCopilotAdapter (): ProviderAdapter {
  return {
    api: 'github-copilot',
    async attempt (req: AttemptRequest): Promise<AttemptResult> {
      const body = passthroughBody(req)
      const result = await sendAttempt({
        url: endpoint(copilotBaseUrl(req), '/chat/completions'),
        headers: copilotHeaders(req),
        body,
        req,
      })
      if (result.kind !== 'ok') return result
      return passthroughResult(result, req)
    },
  }
}
