// Vocabulary shared by routing, state, providers and telemetry.

/** Failure reasons; persisted values are Clawdbot's so failureCounts stay file-compatible. */
export type Reason = 'rate_limit' | 'billing' | 'auth' | 'timeout' | 'format' | 'unknown'

/** What one upstream attempt came to, before anything reached the client. */
export type Outcome =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'failure'
      readonly reason: Reason
      readonly status?: number
      /** Upstream Retry-After / reset hint, ms from now. */
      readonly retryAfterMs?: number
      /** Short description for the attempt list (never a secret). */
      readonly message: string
      /** true when the failure was the first-byte timeout. */
      readonly firstByteTimeout?: boolean
    }
  | { readonly kind: 'model_not_found', readonly status: number, readonly message: string }
  /** Other 4xx: returned to the client as is. */
  | { readonly kind: 'bad_request', readonly status: number, readonly message: string }
  | { readonly kind: 'client_aborted' }

/** The word for an outcome in logs, metrics and messages: a failure's reason, else its kind. */
export function outcomeLabel (outcome: Outcome): string {
  return outcome.kind === 'failure' ? outcome.reason : outcome.kind
}

/** Where a failure's cooldown applies. */
export type CooldownScope = 'model' | 'profile' | 'disable' | 'none'

export type NextStep = 'next_profile' | 'next_model' | 'return'

export interface Decision {
  readonly next: NextStep
  readonly scope: CooldownScope
}

export type Clock = () => number

/**
 * What an upstream error says happened, in rotor's words. Each API family reads its own wire
 * format into a signal (core reads generic OpenAI-style bodies; providers read Google RPC errors
 * and Bedrock exception types); what rotor does about it is decided in one place, outcomeOf().
 */
export type ErrorSignal =
  /** A burst limit of this profile for this model. */
  | 'rate_limit'
  /** A quota window: a rate limit while its reset time is known, else a billing problem. */
  | 'quota'
  /** Out of credit or plan. */
  | 'billing'
  /** The upstream's capacity, not this profile's limit: cools like a rate limit. */
  | 'overloaded'
  /** The credential was rejected. */
  | 'auth'
  | 'timeout'
  | 'model_not_found'
  /** The client's to fix: returned as is, no failover. */
  | 'bad_request'
  /** Anything else the upstream got wrong. */
  | 'transient'

/** An upstream error as core decides on it. */
export interface UpstreamErrorFacts {
  /** The HTTP status, or the one an in-stream error stands for. */
  readonly status: number
  readonly signal: ErrorSignal
  /** The upstream's wait hint, ms from now. */
  readonly retryAfterMs?: number
}

/**
 * Why a response failed after its first byte reached the client (the stream cannot fail over
 * any more). Readers and adapters report it; core classifies it (classifyLateError).
 */
export type LateError =
  /** The upstream reported an error inside the stream: the HTTP status its type stands for, its own code. */
  | {
      readonly kind: 'upstream'
      readonly status: number
      readonly code: string
      readonly message: string
      /** The error's JSON text, read as a generic error body (wait hints such as resets_in_seconds …). */
      readonly raw?: string
      /**
       * What the error signals, when the family reads its own error format (Google RPC, Bedrock
       * exceptions): then core decides on it as on the same error before commit, and `raw` is not read.
       */
      readonly signal?: ErrorSignal
      readonly retryAfterMs?: number
    }
  /** The stream ended without a proper end (no finish reason, no [DONE]). */
  | { readonly kind: 'truncated', readonly message: string }
  /** Bytes that cannot be read as the upstream's wire format. */
  | { readonly kind: 'malformed', readonly message: string }
  /** The upstream fell silent for longer than gateway.idleTimeoutMs. */
  | { readonly kind: 'idle_timeout', readonly message: string }
  /** gateway.requestTimeoutMs ran out: rotor cut the response. */
  | { readonly kind: 'deadline', readonly message: string }
  /** The connection failed (reset, socket error). */
  | { readonly kind: 'transport', readonly message: string }

/** What a late error means for the profile that served it. */
export interface LateVerdict {
  readonly reason: Reason
  readonly scope: CooldownScope
  readonly retryAfterMs?: number
}

/** Per-model rate-limit cooldown (rotor extension, stored inside usageStats). */
export interface ModelCooldown {
  until: number
  errorCount: number
  lastFailureAt: number
  /** Half-open probe claimed until this time (ms epoch). */
  probeUntil?: number
}

/** Clawdbot's usageStats entry plus rotor's per-model cooldowns and probe claim. */
export interface UsageStats {
  lastUsed?: number
  errorCount?: number
  lastFailureAt?: number
  failureCounts?: Partial<Record<Reason, number>>
  cooldownUntil?: number
  cooldownReason?: Reason
  disabledUntil?: number
  disabledReason?: string
  probeUntil?: number
  modelCooldowns?: Record<string, ModelCooldown>
}

export interface CooldownPolicy {
  readonly billingBackoffMs: number
  readonly billingBackoffMsByProvider: Readonly<Record<string, number>>
  readonly billingMaxMs: number
  readonly failureWindowMs: number
}

/** One failure to record against a profile: what happened, where it cools, and the policy in force. */
export interface FailureInput {
  readonly provider: string
  readonly model: string
  readonly reason: Reason
  readonly scope: Exclude<CooldownScope, 'none'>
  readonly now: number
  readonly retryAfterMs?: number
  readonly policy: CooldownPolicy
}
