// The rotor.json contract (docs/configuration.md). Unknown keys are rejected so typos surface at load.
import Type from 'typebox'
import { AGENT_ID_PATTERN } from '../core/agent-id.ts'

const Cost = Type.Object({
  input: Type.Number({ minimum: 0 }),
  output: Type.Number({ minimum: 0 }),
  cacheRead: Type.Optional(Type.Number({ minimum: 0 })),
  cacheWrite: Type.Optional(Type.Number({ minimum: 0 })),
}, { additionalProperties: false })

export const ApiFamily = Type.Union([
  Type.Literal('openai-completions'),
  Type.Literal('anthropic-messages'),
  Type.Literal('openai-responses'),
  Type.Literal('bedrock-converse-stream'),
  Type.Literal('google-gemini-cli'),
  Type.Literal('github-copilot'),
])

export const ModelDefinitionConfig = Type.Object({
  id: Type.String({ minLength: 1 }),
  name: Type.Optional(Type.String()),
  api: Type.Optional(ApiFamily),
  reasoning: Type.Optional(Type.Boolean()),
  input: Type.Optional(Type.Array(Type.Union([Type.Literal('text'), Type.Literal('image')]))),
  cost: Type.Optional(Cost),
  contextWindow: Type.Optional(Type.Integer({ minimum: 1 })),
  maxTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
}, { additionalProperties: false })

export const ProviderConfig = Type.Object({
  baseUrl: Type.Optional(Type.String({ minLength: 1 })),
  api: Type.Optional(ApiFamily),
  auth: Type.Optional(Type.Union([
    Type.Literal('none'), Type.Literal('api-key'), Type.Literal('oauth'),
    Type.Literal('token'), Type.Literal('aws-sdk'),
  ])),
  apiKey: Type.Optional(Type.String()),
  /** AWS region of a Bedrock provider; else the AWS chain's. */
  region: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$' })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  oauth: Type.Optional(Type.Object({
    tokenUrl: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String()),
  }, { additionalProperties: true })),
  models: Type.Optional(Type.Array(ModelDefinitionConfig)),
}, { additionalProperties: false })

const ModelSelection = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({
    primary: Type.Optional(Type.String({ minLength: 1 })),
    fallbacks: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  }, { additionalProperties: false }),
])

const ModelEntry = Type.Object({
  alias: Type.Optional(Type.String({ minLength: 1 })),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: false })

const AuthOrder = Type.Record(Type.String(), Type.Array(Type.String()))

const AgentConfig = Type.Object({
  id: Type.String({ pattern: AGENT_ID_PATTERN }),
  /** The agent served to clients without one (Clawdbot's key, same meaning). */
  default: Type.Optional(Type.Boolean()),
  model: Type.Optional(ModelSelection),
  models: Type.Optional(Type.Record(Type.String(), ModelEntry)),
  auth: Type.Optional(Type.Object({ order: Type.Optional(AuthOrder) }, { additionalProperties: false })),
}, { additionalProperties: false })

export const RotorConfigSchema = Type.Object({
  gateway: Type.Optional(Type.Object({
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    auth: Type.Optional(Type.Literal('none')),
    clients: Type.Optional(Type.Array(Type.Object({
      name: Type.String({ minLength: 1 }),
      key: Type.String({ minLength: 8 }),
      agent: Type.Optional(Type.String({ pattern: AGENT_ID_PATTERN })),
    }, { additionalProperties: false }))),
    adminKey: Type.Optional(Type.String({ minLength: 8 })),
    bodyLimitBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    firstByteTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    requestBodyTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    idleTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    upstreamConnections: Type.Optional(Type.Integer({ minimum: 1 })),
  }, { additionalProperties: false })),
  state: Type.Optional(Type.Object({
    store: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('redis')])),
    // One of url (standalone), cluster, sentinel: docs/configuration.md.
    redis: Type.Optional(Type.Object({
      url: Type.Optional(Type.String()),
      cluster: Type.Optional(Type.Object({
        nodes: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
      }, { additionalProperties: false })),
      sentinel: Type.Optional(Type.Object({
        sentinels: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        name: Type.String({ minLength: 1 }),
        /** ACL user and password of the master and replicas (the sentinels' own go in their URLs). */
        username: Type.Optional(Type.String({ minLength: 1 })),
        password: Type.Optional(Type.String({ minLength: 1 })),
        /** TLS to the master and replicas (the sentinels': `rediss://` in their URLs). */
        tls: Type.Optional(Type.Boolean()),
      }, { additionalProperties: false })),
      prefix: Type.Optional(Type.String({ pattern: '^[^{}]*$' })),
    }, { additionalProperties: false })),
  }, { additionalProperties: false })),
  models: Type.Optional(Type.Object({
    mode: Type.Optional(Type.Union([Type.Literal('merge'), Type.Literal('replace')])),
    /** Only catalog models; by default a known provider also takes model ids it does not list. */
    strict: Type.Optional(Type.Boolean()),
    providers: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9-]+$' }), ProviderConfig)),
  }, { additionalProperties: false })),
  agents: Type.Optional(Type.Object({
    defaults: Type.Optional(Type.Object({
      model: Type.Optional(ModelSelection),
      models: Type.Optional(Type.Record(Type.String(), ModelEntry)),
    }, { additionalProperties: false })),
    list: Type.Optional(Type.Array(AgentConfig)),
  }, { additionalProperties: false })),
  auth: Type.Optional(Type.Object({
    profiles: Type.Optional(Type.Record(Type.String(), Type.Object({
      provider: Type.String({ minLength: 1 }),
      mode: Type.Union([Type.Literal('api_key'), Type.Literal('oauth'), Type.Literal('token')]),
      email: Type.Optional(Type.String()),
    }, { additionalProperties: false }))),
    order: Type.Optional(AuthOrder),
    strategy: Type.Optional(Type.Union([Type.Literal('round-robin'), Type.Literal('ordered')])),
    cooldowns: Type.Optional(Type.Object({
      billingBackoffHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      billingBackoffHoursByProvider: Type.Optional(Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }))),
      billingMaxHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      failureWindowHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    }, { additionalProperties: false })),
    sessionTtlMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  }, { additionalProperties: false })),
  logging: Type.Optional(Type.Object({
    level: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
  }, { additionalProperties: false })),
}, { additionalProperties: false })

export type RotorConfig = Type.Static<typeof RotorConfigSchema>
export type ProviderConfig = Type.Static<typeof ProviderConfig>
export type ModelDefinitionConfig = Type.Static<typeof ModelDefinitionConfig>
export type ApiFamily = Type.Static<typeof ApiFamily>
