// API families rotor has an adapter for. Config lives below providers, so the list is kept
// here and src/providers/registry.ts asserts that its adapters match it exactly. One line per
// family: adding one is this line plus the adapter's registry line.
import type { ApiFamily } from './schema.ts'

export const IMPLEMENTED_API_FAMILIES: ReadonlySet<ApiFamily> = new Set<ApiFamily>([
  'openai-completions',
  'anthropic-messages',
  'openai-responses',
  'github-copilot',
  'bedrock-converse-stream',
  'google-gemini-cli',
])
