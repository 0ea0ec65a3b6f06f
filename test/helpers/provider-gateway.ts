// The gateway setup the provider tests share: a silent gateway whose catalog is exactly the
// given providers, one agent default model chain, and an auth-profiles file; torn down with
// the test, followed by the fakes it talks to.
import type { Test } from 'tap'
import OpenAI from 'openai'
import { completion, sseChunk, type RecordedRequest, type Scripted } from './fake-upstream.ts'
import { startTestGateway, type TestGateway } from './gateway.ts'

export interface ProviderGatewayOptions {
  /** `models.providers` (mode `replace`). */
  readonly providers: Record<string, unknown>
  /** `agents.defaults.model`. */
  readonly model: { readonly primary: string, readonly fallbacks?: readonly string[] }
  /** `agents.defaults.models` (aliases), when any. */
  readonly models?: Record<string, unknown>
  /** The default agent's auth profiles (`version: 1` is added). */
  readonly profiles: Record<string, unknown>
  /** Closed after the gateway when the test ends, in order. */
  readonly upstreams?: ReadonlyArray<{ close (): Promise<void> }>
  /** Extra gateway environment (e.g. AWS variables for implicit discovery). */
  readonly env?: Record<string, string>
  readonly now?: () => number
}

export async function startProviderGateway (t: Test, opts: ProviderGatewayOptions): Promise<TestGateway> {
  const gw = await startTestGateway({
    config: {
      logging: { level: 'silent' },
      models: { mode: 'replace', providers: opts.providers },
      agents: { defaults: { model: opts.model, ...(opts.models !== undefined ? { models: opts.models } : {}) } },
    },
    authProfiles: { version: 1, profiles: opts.profiles },
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  })
  t.teardown(async () => {
    await gw.close()
    for (const u of opts.upstreams ?? []) await u.close()
  })
  return gw
}

/** The official openai SDK pointed at the gateway, without retries. */
export function openaiClient (gw: TestGateway): OpenAI {
  return new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'rotor-open-gateway', maxRetries: 0 })
}

/** An OpenAI-chat upstream answer: `parts` as SSE chunks when streaming, else `text` as one completion. */
export function chatAnswer (parts: readonly string[], text = parts.join('')): (req: RecordedRequest) => Scripted {
  return (req) => req.body.stream === true
    ? { chunks: [...parts.map((p) => sseChunk(p, String(req.body.model))), 'data: [DONE]\n\n'] }
    : { body: completion(text, String(req.body.model)) }
}

export const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}
