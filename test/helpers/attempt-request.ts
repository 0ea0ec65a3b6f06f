// Builders for the catalog entries and AttemptRequests that adapter tests hand straight to an
// adapter, and for reading what the adapter answered.
import { Agent } from 'undici'
import type { ModelDef, ProviderDef } from '../../src/config/types.ts'
import type { AttemptCredential, AttemptRequest, AttemptResult, UpstreamSuccess } from '../../src/providers/types.ts'

/** One shared connection pool for every attempt built here. */
export const dispatcher = new Agent()

export interface ProviderSpec {
  readonly id: string
  readonly baseUrl: string
  readonly api: ProviderDef['api']
  readonly auth: ProviderDef['auth']
  readonly headers?: Record<string, string>
  readonly envVars?: readonly string[]
  readonly envTokenVars?: readonly string[]
  readonly models: readonly ModelDef[]
}

export function providerDef (spec: ProviderSpec): ProviderDef {
  return {
    id: spec.id,
    baseUrl: spec.baseUrl,
    api: spec.api,
    auth: spec.auth,
    headers: spec.headers ?? {},
    envVars: spec.envVars ?? [],
    envTokenVars: spec.envTokenVars ?? [],
    models: new Map(spec.models.map((m) => [m.id, m])),
  }
}

export interface AttemptSpec {
  readonly provider: ProviderDef
  readonly model: ModelDef
  readonly credential: AttemptCredential
  /** The client's body as sent; `stream: true` in it makes a streaming attempt. */
  readonly body: Record<string, unknown>
  readonly signal?: AbortSignal
}

/** An attempt as the gateway would build it, with 5 s first-byte and idle timeouts. */
export function attemptRequest (spec: AttemptSpec): AttemptRequest {
  return {
    provider: spec.provider,
    model: spec.model,
    credential: spec.credential,
    body: spec.body,
    rawBody: Buffer.from(JSON.stringify(spec.body)),
    stream: spec.body.stream === true,
    signal: spec.signal ?? new AbortController().signal,
    firstByteTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    dispatcher,
    now: Date.now,
  }
}

/** What an adapter test varies per attempt; an area's `attemptFor` defaults fill in the rest. */
export interface AttemptOptions {
  readonly baseUrl: string
  /** Merged over `{ model: defaults.modelRef }`. */
  readonly body: Record<string, unknown>
  readonly credential?: AttemptCredential
  readonly model?: ModelDef
  readonly providerId?: string
  readonly headers?: Record<string, string>
  readonly signal?: AbortSignal
}

export interface AttemptDefaults {
  /** The `provider/model` ref the client body names unless the test's body says otherwise. */
  readonly modelRef: string
  readonly model: ModelDef
  readonly credential: AttemptCredential
  readonly provider: (baseUrl: string, providerId: string | undefined, headers: Record<string, string> | undefined) => ProviderDef
}

/** An area's attempt builder: its provider, model and credential unless a test picks others. */
export function attemptFor (defaults: AttemptDefaults): (opts: AttemptOptions) => AttemptRequest {
  return (opts) => attemptRequest({
    provider: defaults.provider(opts.baseUrl, opts.providerId, opts.headers),
    model: opts.model ?? defaults.model,
    credential: opts.credential ?? defaults.credential,
    body: { model: defaults.modelRef, ...opts.body },
    signal: opts.signal,
  })
}

export function success (r: AttemptResult): UpstreamSuccess {
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`)
  return r
}

/** The whole body of a successful attempt as text; the response is closed afterwards. */
export async function collect (r: AttemptResult): Promise<string> {
  const res = success(r)
  let text = res.first.toString('utf8')
  try {
    for await (const chunk of res.rest) text += chunk.toString('utf8')
  } finally {
    res.close()
  }
  return text
}
