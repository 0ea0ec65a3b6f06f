// One interface per API family. Adapters know nothing of rotation, cooldowns or Redis.
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { ModelDef, ProviderDef } from '../config/types.ts'
import type { LateError, Outcome } from '../core/types.ts'

/** The secret an attempt authenticates with, already resolved (never logged). */
export interface AttemptCredential {
  readonly profileId: string
  /** `aws-sdk`: no secret here; the adapter signs with the AWS credential chain. */
  readonly type: 'api_key' | 'oauth' | 'token' | 'none' | 'aws-sdk'
  readonly secret: string
  /**
   * Non-secret facts that came with the credential and that an adapter needs: e.g.
   * `accountId` (Codex `chatgpt-account-id`), `baseUrl` (Copilot's `endpoints.api`),
   * `projectId` (Antigravity), `resourceUrl` (Qwen Portal).
   */
  readonly extra?: Readonly<Record<string, string>>
}

export interface AttemptRequest {
  readonly provider: ProviderDef
  readonly model: ModelDef
  readonly credential: AttemptCredential
  /** The client's parsed body (OpenAI chat completions shape); never mutated. */
  readonly body: Readonly<Record<string, unknown>>
  /** The client's raw body bytes, for pure passthrough when nothing must change. */
  readonly rawBody: Buffer
  readonly stream: boolean
  /** Aborted when the client goes away, or with DEADLINE (./deadline.ts) when the request's time is up. */
  readonly signal: AbortSignal
  /** Upstream must send headers and its first body bytes within this. */
  readonly firstByteTimeoutMs: number
  /** Longest allowed gap between body chunks. */
  readonly idleTimeoutMs: number
  readonly dispatcher: Dispatcher
  /** The gateway clock (ms epoch): date-valued wait hints (HTTP-date Retry-After, reset times) are read against it. */
  readonly now: () => number
}

/** A response that may be committed to the client: its first chunk has already arrived. */
export interface UpstreamSuccess {
  readonly kind: 'ok'
  readonly status: number
  readonly contentType: string
  /** Upstream Content-Length when the bytes pass through unchanged (never for translated bodies). */
  readonly contentLength?: number
  /** First body chunk (already read, so the attempt can still fail over before it). */
  readonly first: Buffer
  /** The rest of the body, OpenAI-shaped bytes (SSE when streaming). */
  readonly rest: AsyncIterable<Buffer>
  /**
   * Passthrough only: the paused upstream body holding the same bytes as `rest`, so the
   * writer can pipe it by events instead of a promise per chunk. Translating adapters leave
   * it out.
   */
  readonly body?: Readable
  /**
   * Passthrough SSE only: judges the end of the stream from its last bytes once the upstream
   * closed it (a missing [DONE] is added; a stream cut short fails), so the hot path never
   * parses a chunk.
   */
  readonly sseEnd?: (tail: string) => SseEnd
  /** Upstream time to first byte, ms. */
  readonly ttfbMs: number
  /** Release the upstream (destroy the body) — always safe to call. */
  readonly close: () => void
}

/** How a passthrough SSE body ended: properly (maybe with bytes to add), or not. */
export type SseEnd =
  | { readonly kind: 'ok', readonly append?: string }
  | { readonly kind: 'failed', readonly error: LateError }

export type AttemptResult = UpstreamSuccess | Exclude<Outcome, { kind: 'ok' }>

export interface ProviderAdapter {
  readonly api: string
  attempt(req: AttemptRequest): Promise<AttemptResult>
}
