// API family → adapter. Adding a family is one file, one line here and one line in
// src/config/api-families.ts (config rejects an `api` that has no adapter; the two must agree).
import { IMPLEMENTED_API_FAMILIES } from '../config/api-families.ts'
import type { Clock } from '../core/types.ts'
import { createAnthropicMessagesAdapter } from './anthropic-messages.ts'
import { createBedrockConverseAdapter } from './bedrock-converse.ts'
import { createGitHubCopilotAdapter } from './github-copilot.ts'
import { createGoogleGeminiCliAdapter } from './google-gemini-cli.ts'
import { createOpenAICompletionsAdapter } from './openai-completions.ts'
import { createOpenAIResponsesAdapter } from './openai-responses.ts'
import type { ProviderAdapter } from './types.ts'

export type AdapterRegistry = ReadonlyMap<string, ProviderAdapter>

export interface AdapterRegistryOptions {
  /** The gateway's clock (credential expiry); defaults to Date.now. */
  readonly now?: Clock
}

export function createAdapterRegistry (opts: AdapterRegistryOptions = {}): AdapterRegistry {
  const adapters: ProviderAdapter[] = [
    createOpenAICompletionsAdapter(),
    createAnthropicMessagesAdapter(),
    createOpenAIResponsesAdapter(),
    createGitHubCopilotAdapter(),
    createBedrockConverseAdapter({ now: opts.now }),
    createGoogleGeminiCliAdapter(),
  ]
  const registry = new Map(adapters.map((a) => [a.api, a]))
  assertMatchesConfig(registry)
  return registry
}

/** The adapters and config's list of implemented families name the same set. */
export function assertMatchesConfig (registry: AdapterRegistry): void {
  const names = [...registry.keys()]
  const extra = names.filter((api) => !(IMPLEMENTED_API_FAMILIES as ReadonlySet<string>).has(api))
  const missing = [...IMPLEMENTED_API_FAMILIES].filter((api) => !registry.has(api))
  if (extra.length > 0 || missing.length > 0) {
    throw new Error(`adapter registry and config's IMPLEMENTED_API_FAMILIES disagree (no adapter: ${missing.join(', ') || '-'}; not listed: ${extra.join(', ') || '-'})`)
  }
}
