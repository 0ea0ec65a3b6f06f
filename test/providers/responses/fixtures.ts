// Literal catalog entries and attempt requests for the Responses adapter tests.
import { Agent } from 'undici'
import type { ModelDef, ProviderDef } from '../../../src/config/types.ts'
import type { AttemptCredential, AttemptRequest } from '../../../src/providers/types.ts'
import { chatgptJwt } from './fake-codex.ts'

export const gpt52: ModelDef = {
  id: 'gpt-5.2',
  name: 'GPT-5.2 (Codex)',
  api: 'openai-responses',
  reasoning: true,
  input: ['text', 'image'],
  cost: { input: 1.75, output: 14, cacheRead: 0.175, cacheWrite: 0 },
  contextWindow: 272000,
  maxTokens: 128000,
}

export const gpt41: ModelDef = { ...gpt52, id: 'gpt-4.1', name: 'GPT-4.1', reasoning: false }

export function provider (baseUrl: string, id = 'openai-codex', headers: Record<string, string> = {}): ProviderDef {
  return {
    id,
    baseUrl,
    api: 'openai-responses',
    auth: 'oauth',
    headers,
    envVars: [],
    envTokenVars: [],
    models: new Map([[gpt52.id, gpt52], [gpt41.id, gpt41]]),
  }
}

/** Token whose JWT claim says acc-1; the resolver's extra says the same. */
export const ACCESS = chatgptJwt('acc-1')
export const codexCred: AttemptCredential = { profileId: 'openai-codex:default', type: 'oauth', secret: ACCESS, extra: { accountId: 'acc-1' } }
/** No `extra`: the adapter must read the account id from the token. */
export const codexCredNoExtra: AttemptCredential = { profileId: 'openai-codex:default', type: 'oauth', secret: ACCESS }
export const openaiKey: AttemptCredential = { profileId: 'openai:work', type: 'api_key', secret: 'sk-proj-responses-test-9f8e' }

export const dispatcher = new Agent()

export function attempt (opts: {
  readonly baseUrl: string
  readonly body: Record<string, unknown>
  readonly credential?: AttemptCredential
  readonly model?: ModelDef
  readonly providerId?: string
  readonly headers?: Record<string, string>
  readonly signal?: AbortSignal
}): AttemptRequest {
  const body: Record<string, unknown> = { model: 'openai-codex/gpt-5.2', ...opts.body }
  return {
    provider: provider(opts.baseUrl, opts.providerId, opts.headers),
    model: opts.model ?? gpt52,
    credential: opts.credential ?? codexCred,
    body,
    rawBody: Buffer.from(JSON.stringify(body)),
    stream: body.stream === true,
    signal: opts.signal ?? new AbortController().signal,
    firstByteTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    dispatcher,
  }
}
