// What the bench measures, as data. A row = target × family × mode.
// Adding an upstream family (e.g. anthropic-messages) is one FAMILIES entry plus the
// fake upstream's route for its path; targets and reporting pick it up unchanged.
import type { ProviderConfig } from '../src/config/schema.ts'

export type Mode = 'non-stream' | 'stream'
export const MODES: readonly Mode[] = ['non-stream', 'stream']

export interface Request {
  path: string
  headers: Record<string, string>
  body: string
  /** Wire format of the answer (default openai); the probe checks its shape. */
  wire?: 'openai' | 'anthropic' | 'bedrock' | 'gemini'
}

export interface Family {
  /** Short id shown in the table (`openai`, later `anthropic`). */
  id: string
  /** Provider id in rotor's config; the fake upstream serves it under /v1. */
  providerId: string
  provider: (upstreamBaseUrl: string) => ProviderConfig
  /** What a client sends to rotor (always OpenAI chat completions). */
  rotorRequest: (mode: Mode) => Request
  /** What a client sends through the bare proxy: the upstream's own wire format. */
  bareRequest: (mode: Mode) => Request
  /** Environment rotor needs for this family (e.g. AWS keys for SigV4). */
  rotorEnv?: Record<string, string>
  /** Stored credentials the family needs in rotor's default agent (oauth-only providers). */
  profiles?: Record<string, unknown>
}

const JSON_HEADERS = { 'content-type': 'application/json' }

function chatBody(model: string, mode: Mode): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say hello in five words.' }],
    max_tokens: 16,
    ...(mode === 'stream' ? { stream: true } : {}),
  })
}

export const BENCH_API_KEY = 'sk-bench-1234567890'
const BENCH_GOOGLE_TOKEN = 'ya29.bench-1234567890'

export const FAMILIES: readonly Family[] = [
  {
    id: 'openai',
    providerId: 'fake',
    provider: (baseUrl) => ({ baseUrl, api: 'openai-completions', apiKey: BENCH_API_KEY, models: [{ id: 'm1' }] }),
    rotorRequest: (mode) => ({ path: '/v1/chat/completions', headers: JSON_HEADERS, body: chatBody('fake/m1', mode) }),
    bareRequest: (mode) => ({ path: '/v1/chat/completions', headers: { ...JSON_HEADERS, authorization: `Bearer ${BENCH_API_KEY}` }, body: chatBody('m1', mode) }),
  },
  {
    // rotor translates chat ↔ Messages; the bare proxy forwards Anthropic's own format, so the
    // difference to the openai row is the translation's cost.
    id: 'anthropic',
    providerId: 'fakeant',
    provider: (baseUrl) => ({ baseUrl, api: 'anthropic-messages', apiKey: 'sk-ant-api03-bench-1234567890', models: [{ id: 'm1', maxTokens: 1024 }] }),
    rotorRequest: (mode) => ({ path: '/v1/chat/completions', headers: JSON_HEADERS, body: chatBody('fakeant/m1', mode) }),
    bareRequest: (mode) => ({
      path: '/v1/messages',
      headers: { ...JSON_HEADERS, 'x-api-key': 'sk-ant-api03-bench-1234567890', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm1', max_tokens: 16, messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello in five words.' }] }], ...(mode === 'stream' ? { stream: true } : {}) }),
      wire: 'anthropic',
    }),
  },
  {
    // rotor translates chat ↔ Converse and signs each request with SigV4 (static keys from the
    // environment through the AWS chain); the bare proxy forwards Converse as is.
    id: 'bedrock',
    providerId: 'fakebr',
    provider: (baseUrl) => ({ baseUrl, api: 'bedrock-converse-stream', auth: 'aws-sdk', region: 'us-east-1', models: [{ id: 'm1', maxTokens: 1024 }] }),
    rotorRequest: (mode) => ({ path: '/v1/chat/completions', headers: JSON_HEADERS, body: chatBody('fakebr/m1', mode) }),
    bareRequest: (mode) => ({
      path: `/v1/model/m1/${mode === 'stream' ? 'converse-stream' : 'converse'}`,
      headers: JSON_HEADERS,
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Say hello in five words.' }] }], inferenceConfig: { maxTokens: 16 } }),
      wire: 'bedrock',
    }),
    rotorEnv: { AWS_ACCESS_KEY_ID: 'AKIABENCH00000000001', AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key', AWS_EC2_METADATA_DISABLED: 'true' },
  },
  {
    // Google Antigravity: rotor wraps the chat in the Cloud Code envelope (oauth profile with a
    // project) and translates the SSE back; the bare proxy forwards Cloud Code's own format.
    id: 'antigravity',
    providerId: 'google-antigravity',
    provider: (baseUrl) => ({ baseUrl, api: 'google-gemini-cli', auth: 'oauth', models: [{ id: 'm1' }] }),
    rotorRequest: (mode) => ({ path: '/v1/chat/completions', headers: JSON_HEADERS, body: chatBody('google-antigravity/m1', mode) }),
    bareRequest: (mode) => ({
      path: mode === 'stream' ? '/v1/v1internal:streamGenerateContent?alt=sse' : '/v1/v1internal:generateContent',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${BENCH_GOOGLE_TOKEN}` },
      body: JSON.stringify({
        project: 'bench-project', model: 'm1', requestType: 'agent', userAgent: 'antigravity', requestId: 'agent-1-bench',
        request: { contents: [{ role: 'user', parts: [{ text: 'Say hello in five words.' }] }], generationConfig: { maxOutputTokens: 16 } },
      }),
      wire: 'gemini',
    }),
    profiles: {
      'google-antigravity:bench@example.com': {
        type: 'oauth', provider: 'google-antigravity', access: BENCH_GOOGLE_TOKEN, refresh: '1//bench-refresh',
        expires: 4102444800000, email: 'bench@example.com', projectId: 'bench-project',
      },
    },
  },
]

export type TargetKind = 'bare' | 'rotor'

export interface TargetSpec {
  /** Name in the table. */
  name: string
  kind: TargetKind
  /** rotor only: value of ROTOR_STATE. */
  state?: 'memory' | 'redis'
  /** redis only: the shared standalone Redis (REDIS_URL), or a local Cluster the bench starts. */
  topology?: 'standalone' | 'cluster'
  /** The row is only run when this is true (redis needs --redis or a reachable REDIS_URL). */
  optional?: boolean
}

export const TARGETS: readonly TargetSpec[] = [
  { name: 'bare', kind: 'bare' },
  { name: 'rotor', kind: 'rotor', state: 'memory' },
  { name: 'rotor-redis', kind: 'rotor', state: 'redis', optional: true },
  // 3 masters + 3 replicas from redis-server on loopback (needs redis-server and redis-cli).
  { name: 'rotor-redis-cluster', kind: 'rotor', state: 'redis', topology: 'cluster', optional: true },
]

/** The default agent's auth-profiles.json for the bench: every family's stored credentials. */
export function rotorAuthProfiles(): Record<string, unknown> {
  const profiles: Record<string, unknown> = {}
  for (const f of FAMILIES) Object.assign(profiles, f.profiles)
  return { version: 1, profiles }
}

/** The rotor config for the bench: every family's provider pointed at the fake upstream. */
export function rotorConfig(opts: { upstreamBaseUrl: string; logLevel: string; redisUrl?: string; redisPrefix?: string; redisCluster?: readonly string[] }): Record<string, unknown> {
  const providers: Record<string, ProviderConfig> = {}
  for (const f of FAMILIES) providers[f.providerId] = f.provider(opts.upstreamBaseUrl)
  const first = FAMILIES[0]
  return {
    gateway: { host: '127.0.0.1', port: 0 },
    logging: { level: opts.logLevel },
    ...(opts.redisCluster !== undefined
      ? { state: { redis: { cluster: { nodes: [...opts.redisCluster] }, prefix: opts.redisPrefix ?? 'rotor-bench:' } } }
      : opts.redisUrl !== undefined ? { state: { redis: { url: opts.redisUrl, prefix: opts.redisPrefix ?? 'rotor-bench:' } } } : {}),
    models: { mode: 'replace', providers },
    agents: { defaults: { model: { primary: `${first.providerId}/m1` } } },
  }
}
