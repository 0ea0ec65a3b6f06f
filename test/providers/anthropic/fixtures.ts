// Literal catalog entries and attempt requests for the Anthropic adapter tests.
import { Agent } from 'undici'
import type { ModelDef, ProviderDef } from '../../../src/config/types.ts'
import type { AttemptCredential, AttemptRequest } from '../../../src/providers/types.ts'

export const sonnet: ModelDef = {
  id: 'claude-sonnet-4-5',
  name: 'Claude Sonnet 4.5',
  api: 'anthropic-messages',
  reasoning: true,
  input: ['text', 'image'],
  cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  contextWindow: 200000,
  maxTokens: 64000,
}

export function provider (baseUrl: string, headers: Record<string, string> = {}): ProviderDef {
  return {
    id: 'anthropic',
    baseUrl,
    api: 'anthropic-messages',
    auth: 'api-key',
    headers,
    envVars: ['ANTHROPIC_API_KEY'],
    envTokenVars: ['ANTHROPIC_OAUTH_TOKEN'],
    models: new Map([[sonnet.id, sonnet]]),
  }
}

export const apiKey: AttemptCredential = { profileId: 'anthropic:work', type: 'api_key', secret: 'sk-ant-api03-testkey-1a2b' }
export const oauth: AttemptCredential = { profileId: 'anthropic:me', type: 'oauth', secret: 'sk-ant-oat01-testaccess-9z8y' }
export const setupToken: AttemptCredential = { profileId: 'anthropic:manual', type: 'token', secret: 'sk-ant-oat01-setuptoken-7x6w' }

export const dispatcher = new Agent()

export function attempt (opts: {
  readonly baseUrl: string
  readonly body: Record<string, unknown>
  readonly credential?: AttemptCredential
  readonly model?: ModelDef
  readonly headers?: Record<string, string>
  readonly signal?: AbortSignal
}): AttemptRequest {
  const body: Record<string, unknown> = { model: 'anthropic/claude-sonnet-4-5', ...opts.body }
  return {
    provider: provider(opts.baseUrl, opts.headers),
    model: opts.model ?? sonnet,
    credential: opts.credential ?? apiKey,
    body,
    rawBody: Buffer.from(JSON.stringify(body)),
    stream: body.stream === true,
    signal: opts.signal ?? new AbortController().signal,
    firstByteTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    dispatcher,
  }
}
