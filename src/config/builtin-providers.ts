// Providers rotor knows without config (docs/configuration.md). Limits and prices are the providers' own
// (tabled per provider in docs/providers.md); ones not published are left to the catalog defaults
// (see catalog.ts) rather than guessed.
import type { ApiFamily, ModelDefinitionConfig } from './schema.ts'
import type { ProviderAuth } from './types.ts'
import type { Env } from './paths.ts'
import { discoverAws } from './aws-discovery.ts'

/** A provider before defaults are applied: what built-ins and implicit discovery supply. */
export interface ProviderSpec {
  readonly id: string
  readonly baseUrl: string
  readonly api: ApiFamily
  readonly auth: ProviderAuth
  readonly envVars?: readonly string[]
  readonly envTokenVars?: readonly string[]
  readonly headers?: Readonly<Record<string, string>>
  readonly oauth?: Readonly<{ tokenUrl?: string, clientId?: string }>
  /** AWS region (Bedrock providers). */
  readonly region?: string
  readonly models: readonly ModelDefinitionConfig[]
}

const TEXT_IMAGE: ('text' | 'image')[] = ['text', 'image']

export const BUILTIN_PROVIDERS: readonly ProviderSpec[] = [
  {
    id: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    api: 'openai-completions',
    auth: 'api-key',
    envVars: ['OPENAI_API_KEY'],
    models: [
      { id: 'gpt-5.2', name: 'GPT-5.2', reasoning: true, input: TEXT_IMAGE, cost: { input: 1.75, output: 14, cacheRead: 0.175, cacheWrite: 0 }, contextWindow: 400000, maxTokens: 128000 },
      { id: 'gpt-5-mini', name: 'GPT-5 mini', reasoning: true, input: TEXT_IMAGE, cost: { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 }, contextWindow: 400000, maxTokens: 128000 },
    ],
  },
  {
    id: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    api: 'anthropic-messages',
    auth: 'api-key',
    envVars: ['ANTHROPIC_API_KEY'],
    envTokenVars: ['ANTHROPIC_OAUTH_TOKEN'],
    // Public Claude Code OAuth client (docs/providers.md).
    oauth: { tokenUrl: 'https://console.anthropic.com/v1/oauth/token', clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e' },
    models: [
      { id: 'claude-opus-4-5', name: 'Claude Opus 4.5', reasoning: true, input: TEXT_IMAGE, cost: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 }, contextWindow: 200000, maxTokens: 64000 },
      { id: 'claude-sonnet-4-5', name: 'Claude Sonnet 4.5', reasoning: true, input: TEXT_IMAGE, cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, contextWindow: 200000, maxTokens: 64000 },
      { id: 'claude-haiku-4-5', name: 'Claude Haiku 4.5', reasoning: true, input: TEXT_IMAGE, cost: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 }, contextWindow: 200000, maxTokens: 64000 },
    ],
  },
  {
    id: 'openrouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    api: 'openai-completions',
    auth: 'api-key',
    envVars: ['OPENROUTER_API_KEY'],
    models: [
      { id: 'deepseek/deepseek-r1', name: 'DeepSeek R1 (OpenRouter)', reasoning: true, cost: { input: 0.7, output: 2.5 }, contextWindow: 64000, maxTokens: 16000 },
      { id: 'deepseek/deepseek-chat', name: 'DeepSeek V3 (OpenRouter)', cost: { input: 0.32, output: 0.89 }, contextWindow: 163840, maxTokens: 16384 },
      // Same model as anthropic/claude-sonnet-4-5; Anthropic's list prices.
      { id: 'anthropic/claude-sonnet-4.5', name: 'Claude Sonnet 4.5 (OpenRouter)', reasoning: true, input: TEXT_IMAGE, cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, contextWindow: 200000, maxTokens: 64000 },
    ],
  },
  {
    id: 'deepseek',
    baseUrl: 'https://api.deepseek.com/v1',
    api: 'openai-completions',
    auth: 'api-key',
    envVars: ['DEEPSEEK_API_KEY'],
    models: [
      { id: 'deepseek-chat', name: 'DeepSeek V3.2', cost: { input: 0.28, output: 0.42, cacheRead: 0.028, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 8000 },
      { id: 'deepseek-reasoner', name: 'DeepSeek V3.2 (thinking)', reasoning: true, cost: { input: 0.28, output: 0.42, cacheRead: 0.028, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 64000 },
    ],
  },
  {
    id: 'venice',
    baseUrl: 'https://api.venice.ai/api/v1',
    api: 'openai-completions',
    auth: 'api-key',
    envVars: ['VENICE_API_KEY'],
    // Limits and prices unconfirmed: catalog defaults apply.
    models: [
      { id: 'llama-3.3-70b', name: 'Llama 3.3 70B (Venice)' },
      { id: 'qwen3-235b', name: 'Qwen3 235B (Venice)', reasoning: true },
    ],
  },
  {
    id: 'ollama',
    baseUrl: 'http://127.0.0.1:11434/v1',
    api: 'openai-completions',
    auth: 'none',
    models: [
      { id: 'llama3.2', name: 'Llama 3.2', cost: { input: 0, output: 0 }, contextWindow: 128000, maxTokens: 4096 },
    ],
  },
  {
    id: 'chutes',
    baseUrl: 'https://llm.chutes.ai/v1',
    api: 'openai-completions',
    auth: 'api-key',
    envVars: ['CHUTES_API_KEY'],
    // No universal public OAuth client for Chutes: clientId must come from config.
    oauth: { tokenUrl: 'https://api.chutes.ai/idp/token' },
    models: [
      { id: 'deepseek-ai/DeepSeek-R1', name: 'DeepSeek R1 (Chutes)', reasoning: true },
    ],
  },
  {
    // Catalog only: requests need the GitHub → Copilot token exchange (docs/providers.md).
    id: 'github-copilot',
    baseUrl: 'https://api.individual.githubcopilot.com',
    api: 'github-copilot',
    auth: 'token',
    envTokenVars: ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN'],
    oauth: { tokenUrl: 'https://api.github.com/copilot_internal/v2/token', clientId: 'Iv1.b507a08c87ecfe98' },
    // Covered by the subscription: zero cost.
    models: [
      { id: 'gpt-4.1', name: 'GPT-4.1 (Copilot)', input: TEXT_IMAGE },
      { id: 'claude-sonnet-4.5', name: 'Claude Sonnet 4.5 (Copilot)', reasoning: true, input: TEXT_IMAGE },
    ],
  },
  {
    id: 'openai-codex',
    baseUrl: 'https://chatgpt.com/backend-api',
    api: 'openai-responses',
    auth: 'oauth',
    // Public Codex CLI OAuth client (docs/providers.md).
    oauth: { tokenUrl: 'https://auth.openai.com/oauth/token', clientId: 'app_EMoamEEZ73f0CkXaXp7hrann' },
    models: [
      // Subscription; API prices kept for cost estimates.
      { id: 'gpt-5.2', name: 'GPT-5.2 (Codex)', reasoning: true, input: TEXT_IMAGE, cost: { input: 1.75, output: 14, cacheRead: 0.175, cacheWrite: 0 }, contextWindow: 272000, maxTokens: 128000 },
    ],
  },
  {
    // Cloud Code Assist with a Google account (docs/providers.md): oauth credentials carry the
    // account's `projectId`; subscription models, so no token prices.
    id: 'google-antigravity',
    baseUrl: 'https://daily-cloudcode-pa.sandbox.googleapis.com',
    api: 'google-gemini-cli',
    auth: 'oauth',
    // Public Antigravity installed-app client (its secret is in src/auth/oauth/token-endpoints.ts).
    oauth: { tokenUrl: 'https://oauth2.googleapis.com/token', clientId: '1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com' },
    models: [
      { id: 'gemini-3-pro-high', name: 'Gemini 3 Pro High (Antigravity)', reasoning: true, input: TEXT_IMAGE, contextWindow: 1048576, maxTokens: 65536 },
      { id: 'gemini-3-pro-low', name: 'Gemini 3 Pro Low (Antigravity)', reasoning: true, input: TEXT_IMAGE, contextWindow: 1048576, maxTokens: 65536 },
      { id: 'gemini-3-flash', name: 'Gemini 3 Flash (Antigravity)', reasoning: true, input: TEXT_IMAGE, contextWindow: 1048576, maxTokens: 65536 },
      { id: 'claude-sonnet-4-5', name: 'Claude Sonnet 4.5 (Antigravity)', input: TEXT_IMAGE, contextWindow: 200000, maxTokens: 64000 },
      { id: 'claude-sonnet-4-5-thinking', name: 'Claude Sonnet 4.5 Thinking (Antigravity)', reasoning: true, input: TEXT_IMAGE, contextWindow: 200000, maxTokens: 64000 },
      { id: 'claude-opus-4-5-thinking', name: 'Claude Opus 4.5 Thinking (Antigravity)', reasoning: true, input: TEXT_IMAGE, contextWindow: 200000, maxTokens: 64000 },
      { id: 'gpt-oss-120b-medium', name: 'GPT-OSS 120B Medium (Antigravity)', contextWindow: 131072, maxTokens: 32768 },
    ],
  },
  {
    id: 'qwen-portal',
    baseUrl: 'https://portal.qwen.ai/v1',
    api: 'openai-completions',
    auth: 'oauth',
    // Public Qwen Code OAuth client (docs/providers.md).
    oauth: { tokenUrl: 'https://chat.qwen.ai/api/v1/oauth2/token', clientId: 'f0304373b74a44d2b584a3fb70ca9e56' },
    models: [
      { id: 'qwen3-coder-plus', name: 'Qwen3 Coder Plus' },
    ],
  },
]

/** Ids of the providers that are always in a `merge`-mode catalog. */
export const builtinProviderIds: readonly string[] = BUILTIN_PROVIDERS.map((p) => p.id)

/** Env vars that, when set, alone mean "AWS credentials are configured" for the implicit Bedrock provider. */
export const BEDROCK_ENV_VARS: readonly string[] = ['AWS_BEARER_TOKEN_BEDROCK', 'AWS_ACCESS_KEY_ID', 'AWS_PROFILE']

export const DEFAULT_BEDROCK_REGION = 'us-east-1'

function bedrockProfilePrefix (region: string): string {
  if (region.startsWith('us-')) return 'us.'
  if (region.startsWith('eu-')) return 'eu.'
  if (region.startsWith('ap-')) return 'apac.'
  return 'global.'
}

/**
 * Amazon Bedrock as a template: in the catalog when AWS credentials are found (see
 * aws-discovery.ts: env, shared files, web identity, container) or when
 * `models.providers.amazon-bedrock` is configured. The region is the configured one, else the
 * AWS chain's (env, then the profile's `region`), else us-east-1. Newer Claude models need
 * cross-region inference-profile ids, hence the region prefix.
 */
export function bedrockProvider (env: Env, configuredRegion?: string): ProviderSpec {
  const region = configuredRegion ?? discoverAws(env).region ?? DEFAULT_BEDROCK_REGION
  const prefix = bedrockProfilePrefix(region)
  return {
    id: 'amazon-bedrock',
    baseUrl: `https://bedrock-runtime.${region}.amazonaws.com`,
    api: 'bedrock-converse-stream',
    auth: 'aws-sdk',
    region,
    envVars: ['AWS_BEARER_TOKEN_BEDROCK'],
    models: [
      { id: `${prefix}anthropic.claude-opus-4-5-20251101-v1:0`, name: 'Claude Opus 4.5 (Bedrock)', reasoning: true, input: TEXT_IMAGE, cost: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 }, contextWindow: 200000, maxTokens: 64000 },
      { id: `${prefix}anthropic.claude-sonnet-4-5-20250929-v1:0`, name: 'Claude Sonnet 4.5 (Bedrock)', reasoning: true, input: TEXT_IMAGE, cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, contextWindow: 200000, maxTokens: 64000 },
      { id: `${prefix}anthropic.claude-haiku-4-5-20251001-v1:0`, name: 'Claude Haiku 4.5 (Bedrock)', reasoning: true, input: TEXT_IMAGE, cost: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 }, contextWindow: 200000, maxTokens: 64000 },
    ],
  }
}

/** True when AWS credentials Bedrock can use are configured (env vars or the shared files; no network). */
export function hasBedrockEnv (env: Env): boolean {
  if (BEDROCK_ENV_VARS.some((name) => (env[name] ?? '') !== '')) return true
  const found = discoverAws(env)
  return found.chain !== undefined || found.bearer
}
