// Literal catalog entries and attempt requests for the Anthropic adapter tests.
import type { ModelDef, ProviderDef } from '../../../src/config/types.ts'
import type { AttemptCredential } from '../../../src/providers/types.ts'
import { attemptFor, providerDef } from '../../helpers/attempt-request.ts'

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
  return providerDef({
    id: 'anthropic', baseUrl, api: 'anthropic-messages', auth: 'api-key', headers,
    envVars: ['ANTHROPIC_API_KEY'], envTokenVars: ['ANTHROPIC_OAUTH_TOKEN'], models: [sonnet],
  })
}

export const apiKey: AttemptCredential = { profileId: 'anthropic:work', type: 'api_key', secret: 'sk-ant-api03-testkey-1a2b' }
export const oauth: AttemptCredential = { profileId: 'anthropic:me', type: 'oauth', secret: 'sk-ant-oat01-testaccess-9z8y' }
export const setupToken: AttemptCredential = { profileId: 'anthropic:manual', type: 'token', secret: 'sk-ant-oat01-setuptoken-7x6w' }

export const attempt = attemptFor({
  modelRef: 'anthropic/claude-sonnet-4-5',
  model: sonnet,
  credential: apiKey,
  provider: (baseUrl, _providerId, headers) => provider(baseUrl, headers),
})
