// Literal catalog entries and attempt requests for the Responses adapter tests.
import type { ModelDef, ProviderDef } from '../../../src/config/types.ts'
import type { AttemptCredential } from '../../../src/providers/types.ts'
import { attemptFor, providerDef } from '../../helpers/attempt-request.ts'
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
  return providerDef({ id, baseUrl, api: 'openai-responses', auth: 'oauth', headers, models: [gpt52, gpt41] })
}

/** Token whose JWT claim says acc-1; the resolver's extra says the same. */
export const ACCESS = chatgptJwt('acc-1')
export const codexCred: AttemptCredential = { profileId: 'openai-codex:default', type: 'oauth', secret: ACCESS, extra: { accountId: 'acc-1' } }
/** No `extra`: the adapter must read the account id from the token. */
export const codexCredNoExtra: AttemptCredential = { profileId: 'openai-codex:default', type: 'oauth', secret: ACCESS }
export const openaiKey: AttemptCredential = { profileId: 'openai:work', type: 'api_key', secret: 'sk-proj-responses-test-9f8e' }

export const attempt = attemptFor({ modelRef: 'openai-codex/gpt-5.2', model: gpt52, credential: codexCred, provider })
