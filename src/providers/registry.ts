// API family → adapter. Adding a family is one file and one line here.
import { createAnthropicMessagesAdapter } from './anthropic-messages.ts'
import { createOpenAICompletionsAdapter } from './openai-completions.ts'
import type { ProviderAdapter } from './types.ts'

export type AdapterRegistry = ReadonlyMap<string, ProviderAdapter>

export function createAdapterRegistry (): AdapterRegistry {
  const adapters: ProviderAdapter[] = [
    createOpenAICompletionsAdapter(),
    createAnthropicMessagesAdapter(),
  ]
  return new Map(adapters.map((a) => [a.api, a]))
}
