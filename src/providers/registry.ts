// API family → adapter. Adding a family is one file and one line here.
import { createOpenAICompletionsAdapter } from './openai-completions.ts'
import type { ProviderAdapter } from './types.ts'

export type AdapterRegistry = ReadonlyMap<string, ProviderAdapter>

export function createAdapterRegistry (): AdapterRegistry {
  const adapters: ProviderAdapter[] = [
    createOpenAICompletionsAdapter(),
  ]
  return new Map(adapters.map((a) => [a.api, a]))
}
