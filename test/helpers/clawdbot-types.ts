// TypeBox transcriptions of the file formats of Clawdbot (clawdbot/clawdbot, tag v2026.1.24)
// and the fields OpenClaw (openclaw/openclaw) added later, to check rotor's files against
// the real project's types. Sources, per schema below. Timestamps are ms since the epoch in
// every one of them: `Ms` refuses seconds (anything before 2001-09-09).
import Type, { type Static, type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

const Ms = Type.Integer({ minimum: 1_000_000_000_000 })

// src/agents/auth-profiles/types.ts (v2026.1.24): AuthProfileFailureReason.
export const FailureReason = Type.Union([Type.Literal('auth'), Type.Literal('format'), Type.Literal('rate_limit'), Type.Literal('billing'), Type.Literal('timeout'), Type.Literal('unknown')])
// openclaw/openclaw src/agents/auth-profiles/types.ts: the reasons added since.
export const OpenClawFailureReason = Type.Union([Type.Literal('auth'), Type.Literal('auth_permanent'), Type.Literal('format'), Type.Literal('overloaded'), Type.Literal('rate_limit'), Type.Literal('billing'), Type.Literal('timeout'), Type.Literal('model_not_found'), Type.Literal('session_expired'), Type.Literal('unknown')])

// src/agents/auth-profiles/types.ts: ApiKeyCredential.
export const ApiKeyCredential = Type.Object({
  type: Type.Literal('api_key'),
  provider: Type.String(),
  key: Type.String(),
  email: Type.Optional(Type.String()),
})

// src/agents/auth-profiles/types.ts: TokenCredential.
export const TokenCredential = Type.Object({
  type: Type.Literal('token'),
  provider: Type.String(),
  token: Type.String(),
  expires: Type.Optional(Ms),
  email: Type.Optional(Type.String()),
})

// src/agents/auth-profiles/types.ts: OAuthCredential = pi-ai OAuthCredentials (badlogic/pi-mono
// v0.49.3 packages/ai/src/utils/oauth/types.ts) & { type, provider, clientId?, email? }.
export const OAuthCredential = Type.Object({
  type: Type.Literal('oauth'),
  provider: Type.String(),
  access: Type.String(),
  refresh: Type.String(),
  expires: Ms,
  enterpriseUrl: Type.Optional(Type.String()),
  projectId: Type.Optional(Type.String()),
  accountId: Type.Optional(Type.String()),
  clientId: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
})

export const AuthProfileCredential = Type.Union([ApiKeyCredential, TokenCredential, OAuthCredential])

// src/agents/auth-profiles/types.ts: ProfileUsageStats.
export const ProfileUsageStats = Type.Object({
  lastUsed: Type.Optional(Ms),
  cooldownUntil: Type.Optional(Ms),
  disabledUntil: Type.Optional(Ms),
  disabledReason: Type.Optional(FailureReason),
  errorCount: Type.Optional(Type.Integer({ minimum: 0 })),
  failureCounts: Type.Optional(Type.Partial(Type.Record(FailureReason, Type.Integer({ minimum: 0 })))),
  lastFailureAt: Type.Optional(Ms),
})

// src/agents/auth-profiles/types.ts: AuthProfileStore (what saveAuthProfileStore writes).
export const AuthProfileStore = Type.Object({
  version: Type.Number(),
  profiles: Type.Record(Type.String(), AuthProfileCredential),
  order: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
  lastGood: Type.Optional(Type.Record(Type.String(), Type.String())),
  usageStats: Type.Optional(Type.Record(Type.String(), ProfileUsageStats)),
})
export type AuthProfileStore = Static<typeof AuthProfileStore>

// openclaw/openclaw src/agents/auth-profiles/types.ts: the usage fields OpenClaw added.
export const OpenClawUsageFields = {
  cooldownReason: Type.Optional(OpenClawFailureReason),
  cooldownModel: Type.Optional(Type.String()),
}

/**
 * What rotor may write: Clawdbot's store, OpenClaw's cooldownReason/cooldownModel, and rotor's
 * two documented extensions of a usageStats entry (docs/operations.md) — and nothing else
 * (additionalProperties: false), so a misspelt or mis-typed field fails.
 */
const ModelCooldown = Type.Object({ until: Ms, errorCount: Type.Integer({ minimum: 1 }), lastFailureAt: Ms, probeUntil: Type.Optional(Ms) }, { additionalProperties: false })
export const RotorWrittenUsageStats = Type.Object({
  ...ProfileUsageStats.properties,
  ...OpenClawUsageFields,
  probeUntil: Type.Optional(Ms),
  modelCooldowns: Type.Optional(Type.Record(Type.String(), ModelCooldown)),
}, { additionalProperties: false })
export const RotorWrittenStore = Type.Object({
  version: Type.Literal(1),
  profiles: Type.Record(Type.String(), Type.Union([
    Type.Object(ApiKeyCredential.properties, { additionalProperties: false }),
    Type.Object(TokenCredential.properties, { additionalProperties: false }),
    // pi-ai keeps provider extras on oauth credentials (spread on refresh).
    OAuthCredential,
  ])),
  order: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String(), { minItems: 1 }))),
  lastGood: Type.Optional(Type.Record(Type.String(), Type.String())),
  usageStats: Type.Optional(Type.Record(Type.String(), RotorWrittenUsageStats)),
}, { additionalProperties: false })

// src/config/zod-schema.core.ts (v2026.1.24): ModelApiSchema, ModelCompatSchema,
// ModelDefinitionSchema, ModelProviderSchema — all `.strict()`; the `models.json` Clawdbot
// writes per agent has this shape (src/agents/models-config.ts, types.models.ts).
export const ModelApi = Type.Union([Type.Literal('openai-completions'), Type.Literal('openai-responses'), Type.Literal('anthropic-messages'), Type.Literal('google-generative-ai'), Type.Literal('github-copilot'), Type.Literal('bedrock-converse-stream')])
const ModelCompat = Type.Object({
  supportsStore: Type.Optional(Type.Boolean()),
  supportsDeveloperRole: Type.Optional(Type.Boolean()),
  supportsReasoningEffort: Type.Optional(Type.Boolean()),
  maxTokensField: Type.Optional(Type.Union([Type.Literal('max_completion_tokens'), Type.Literal('max_tokens')])),
}, { additionalProperties: false })
export const ModelDefinition = Type.Object({
  id: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  api: Type.Optional(ModelApi),
  reasoning: Type.Boolean(),
  input: Type.Array(Type.Union([Type.Literal('text'), Type.Literal('image')])),
  cost: Type.Object({ input: Type.Number(), output: Type.Number(), cacheRead: Type.Number(), cacheWrite: Type.Number() }, { additionalProperties: false }),
  contextWindow: Type.Number({ exclusiveMinimum: 0 }),
  maxTokens: Type.Number({ exclusiveMinimum: 0 }),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  compat: Type.Optional(ModelCompat),
}, { additionalProperties: false })
export const ModelProvider = Type.Object({
  baseUrl: Type.String({ minLength: 1 }),
  apiKey: Type.Optional(Type.String()),
  auth: Type.Optional(Type.Union([Type.Literal('api-key'), Type.Literal('aws-sdk'), Type.Literal('oauth'), Type.Literal('token')])),
  api: Type.Optional(ModelApi),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  authHeader: Type.Optional(Type.Boolean()),
  models: Type.Array(ModelDefinition),
}, { additionalProperties: false })
export const ClawdbotModelsJson = Type.Object({ providers: Type.Record(Type.String(), ModelProvider) }, { additionalProperties: false })

// badlogic/pi-mono v0.49.3 packages/coding-agent/src/core/model-registry.ts: the schema the
// ModelRegistry of Clawdbot 2026.1.24 (pi-coding-agent 0.49.3) checks models.json with. Its
// `api` list has no `github-copilot`; `validateConfig` also needs baseUrl and a non-empty
// apiKey for a provider that lists models (checked by `piAcceptsModelsJson`).
const PiApi = Type.Union([Type.Literal('openai-completions'), Type.Literal('openai-responses'), Type.Literal('openai-codex-responses'), Type.Literal('anthropic-messages'), Type.Literal('google-generative-ai'), Type.Literal('bedrock-converse-stream')])
const PiModelDefinition = Type.Object({
  id: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  api: Type.Optional(PiApi),
  reasoning: Type.Boolean(),
  input: Type.Array(Type.Union([Type.Literal('text'), Type.Literal('image')])),
  cost: Type.Object({ input: Type.Number(), output: Type.Number(), cacheRead: Type.Number(), cacheWrite: Type.Number() }),
  contextWindow: Type.Number(),
  maxTokens: Type.Number(),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
})
const PiProviderConfig = Type.Object({
  baseUrl: Type.Optional(Type.String({ minLength: 1 })),
  apiKey: Type.Optional(Type.String({ minLength: 1 })),
  api: Type.Optional(PiApi),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  authHeader: Type.Optional(Type.Boolean()),
  models: Type.Optional(Type.Array(PiModelDefinition)),
})
export const PiModelsConfig = Type.Object({ providers: Type.Record(Type.String(), PiProviderConfig) })

/** Problems pi-coding-agent 0.49.3 would report for a models.json (schema, then validateConfig). */
export function piModelsJsonProblems (value: unknown): string[] {
  const v = Compile(PiModelsConfig)
  if (!v.Check(value)) return [...v.Errors(value)].map((e) => `${e.instancePath} ${e.message}`)
  const problems: string[] = []
  for (const [name, p] of Object.entries((value as Static<typeof PiModelsConfig>).providers)) {
    const models = p.models ?? []
    if (models.length === 0 && p.baseUrl === undefined) problems.push(`${name}: must specify either "baseUrl" or "models"`)
    if (models.length > 0 && p.baseUrl === undefined) problems.push(`${name}: "baseUrl" is required when defining custom models`)
    if (models.length > 0 && p.apiKey === undefined) problems.push(`${name}: "apiKey" is required when defining custom models`)
    for (const m of models) if (m.api === undefined && p.api === undefined) problems.push(`${name}/${m.id}: no "api"`)
  }
  return problems
}

/** Schema errors as `path message` lines (empty when the value conforms). */
export function schemaProblems (schema: TSchema, value: unknown): string[] {
  const v = Compile(schema)
  return v.Check(value) ? [] : [...v.Errors(value)].map((e) => `${e.instancePath} ${e.message}`)
}
