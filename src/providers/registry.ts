// API family → adapter. Adding a family is one file and one line here.
import { createAnthropicMessagesAdapter } from './anthropic-messages.ts'
import { createGitHubCopilotAdapter } from './github-copilot.ts'
import { createGoogleGeminiCliAdapter } from './google-gemini-cli.ts'
import { createOpenAICompletionsAdapter } from './openai-completions.ts'
import { createOpenAIResponsesAdapter } from './openai-responses.ts'
import type { ProviderAdapter } from './types.ts'

export type AdapterRegistry = ReadonlyMap<string, ProviderAdapter>

export function createAdapterRegistry (): AdapterRegistry {
  const adapters: ProviderAdapter[] = [
    createOpenAICompletionsAdapter(),
    createAnthropicMessagesAdapter(),
    createOpenAIResponsesAdapter(),
    createGitHubCopilotAdapter(),
    createGoogleGeminiCliAdapter(),
  ]
  return new Map(adapters.map((a) => [a.api, a]))
}
