// Runs a request's plan: models in chain order, each model's profiles in rotation order,
// until one upstream answers. The decisions are the pure functions of src/core and
// src/routing; this file only does the I/O between them. Failover stops once a response is
// returned: the caller commits it to the client. Upstream text enters through
// upstream-text.ts (scrubbed).
//
// One request, step by step (runChat):
//   plan       the model chain and the agent's profiles (planRun)
//   per model  its adapter and candidates, ordered by strategy, round-robin cursor and
//              session pin (orderCandidates)
//   per profile  skip it while it cools down, or claim its half-open probe (admit);
//              resolve its credential and send, with one forced refresh of a rejected
//              token (attemptWith); record a failure's cooldown and decide what comes next
//              (conclude)
//   the end    the winner's response, the client's own error, or the one final error
//              once every candidate failed or was skipped (finalError)
// Time spent waiting on upstreams (credential refreshes, failed attempts, the winner's first
// byte) is added up in `upstreamMs`, so the route can report rotor's own overhead.
import type { ResolvedCredential } from '../auth/credential-resolver.ts'
import type { AuthProfilesFile, Profile } from '../auth/types.ts'
import { modelDefFor } from '../config/catalog.ts'
import type { AgentSettings, ModelDef, ProviderDef } from '../config/types.ts'
import { decide } from '../core/classify.ts'
import { availability } from '../core/cooldown-policy.ts'
import { InvalidRequestError, UpstreamClientError, UpstreamTimeoutError, type RotorError } from '../core/errors.ts'
import { finalError, type AttemptRecord, type SkipRecord } from '../core/final-error.ts'
import type { Clock, UsageStats } from '../core/types.ts'
import { deadlinePassed } from '../providers/deadline.ts'
import type { AttemptResult, ProviderAdapter, UpstreamSuccess } from '../providers/types.ts'
import { buildPlan, type ChainEntry, type RequestPlan } from '../routing/plan.ts'
import { baseOrder, preferSession, rotate, strategyFor } from '../routing/profile-order.ts'
import type { StateStore } from '../state/types.ts'
import type { Runtime } from './runtime.ts'
import { credentialFailure, fromUpstream } from './upstream-text.ts'

export interface ChatRequest {
  readonly agent: string
  readonly body: Readonly<Record<string, unknown>>
  readonly rawBody: Buffer
  readonly stream: boolean
  readonly session: string | undefined
  readonly signal: AbortSignal
}

/** The upstream answered: its response is the caller's to commit. */
export interface ChatServed {
  readonly kind: 'served'
  readonly response: UpstreamSuccess
  readonly entry: ChainEntry
  readonly model: ModelDef
  readonly profileId: string
  /** Upstream attempts this request made, the winner included (`x-rotor-attempts`). */
  readonly attemptCount: number
  /** Time spent waiting on upstreams (failed attempts + this one's first byte), ms. */
  readonly upstreamMs: number
  /** The attempts that failed before the winner. */
  readonly failures: readonly AttemptRecord[]
}

/** No upstream answered: the error for the client, and what the log line needs. */
export interface ChatFailed {
  readonly kind: 'failed'
  readonly error: RotorError
  readonly attempts: readonly AttemptRecord[]
  readonly upstreamMs: number
}

export type ChatResult = ChatServed | ChatFailed | { readonly kind: 'client_aborted' }

export interface AttemptLoopDeps {
  readonly runtime: Runtime
  readonly store: StateStore
  readonly now: Clock
}

/** One request's run: what it plans, and what it has gathered so far. */
interface Run {
  readonly deps: AttemptLoopDeps
  readonly req: ChatRequest
  readonly plan: RequestPlan
  readonly agentSettings: AgentSettings
  readonly file: AuthProfilesFile
  readonly profiles: readonly Profile[]
  /** Read once, at the start, in parallel with the first model's reads. */
  readonly sessionPin: Promise<string | undefined> | undefined
  readonly attempts: AttemptRecord[]
  readonly skipped: SkipRecord[]
  readonly noCredentials: string[]
  upstreamMs: number
}

/** One model of the chain, ready to be tried. */
interface Target {
  readonly entry: ChainEntry
  readonly provider: ProviderDef
  readonly model: ModelDef
  readonly adapter: ProviderAdapter
}

/** How long a half-open probe is held: the first-byte timeout plus a margin. */
const PROBE_MARGIN_MS = 5000
/** A candidate whose probe another request holds is retried this much later. */
const PROBE_HELD_MS = 1000

export async function runChat (deps: AttemptLoopDeps, req: ChatRequest): Promise<ChatResult> {
  const run = planRun(deps, req)
  for (const entry of run.plan.chain) {
    const ended = await tryModel(run, entry)
    if (ended !== undefined) return ended
  }
  return failed(run, finalError(run.attempts, run.skipped, run.noCredentials, deps.now()))
}

/** The model chain and the agent's profiles; an unknown agent or a bad model name is the client's error. */
function planRun (deps: AttemptLoopDeps, req: ChatRequest): Run {
  const { config } = deps.runtime
  const agentSettings = config.agents.get(req.agent)
  if (agentSettings === undefined) throw new InvalidRequestError(`Unknown agent ${req.agent}`)
  const requested = typeof req.body.model === 'string' ? req.body.model : undefined
  const plan = buildPlan(requested, agentSettings, config.catalog)
  const { file, profiles } = deps.runtime.profilesFor(req.agent)
  return {
    deps, req, plan, agentSettings, file, profiles,
    sessionPin: req.session === undefined ? undefined : deps.store.getSessionPin(req.agent, req.session),
    attempts: [], skipped: [], noCredentials: [], upstreamMs: 0,
  }
}

/** Every candidate profile of one model, in order; a result ends the request, undefined moves on to the next model. */
async function tryModel (run: Run, entry: ChainEntry): Promise<ChatResult | undefined> {
  const { runtime } = run.deps
  const provider = runtime.config.catalog.providers.get(entry.provider)
  if (provider === undefined) return undefined
  const model = modelDefFor(provider, entry.model)
  const adapter = runtime.adapters.get(model.api)
  if (adapter === undefined) {
    run.attempts.push({ ref: entry.ref, profileId: '-', outcome: { kind: 'failure', reason: 'format', message: `API family ${model.api} is not supported yet` } })
    return undefined
  }
  const target: Target = { entry, provider, model, adapter }
  const ordered = await orderCandidates(run, entry)
  if (ordered === undefined) {
    run.noCredentials.push(entry.provider)
    return undefined
  }
  let usable = 0
  for (const profile of ordered.order) {
    if (!(await admit(run, entry, profile, ordered.stats))) continue
    const attempt = await attemptWith(run, target, profile)
    if (attempt === undefined) continue
    usable++
    const next = await conclude(run, target, profile, attempt)
    if (next === 'next_model') break
    if (next !== 'next_profile') return next
  }
  if (usable === 0 && !run.skipped.some((s) => s.ref === entry.ref)) run.noCredentials.push(entry.provider)
  return undefined
}

/**
 * The model's usable profiles in the order to try them, with their stats; undefined when it
 * has none. A pinned profile is the only candidate and is never reordered.
 */
async function orderCandidates (run: Run, entry: ChainEntry): Promise<{ order: readonly Profile[], stats: Map<string, UsageStats> } | undefined> {
  const { store, runtime } = run.deps
  const { config } = runtime
  const pinned = run.plan.pinnedProfile
  const candidates = candidatesFor(run.profiles, entry.provider, pinned)
  if (candidates.length === 0) {
    if (pinned !== undefined) throw new InvalidRequestError(`Auth profile "${pinned}" is not configured for ${entry.provider}`, 'model')
    return undefined
  }
  const fileOrder = run.file.order?.[entry.provider]
  const configOrder = run.agentSettings.configOrder[entry.provider]
  const strategy = strategyFor(config.auth, fileOrder, configOrder)
  // One round-trip in redis mode: auto-pipelining sends these together.
  const roundRobin = pinned === undefined && strategy === 'round-robin' && candidates.length > 1
  const [stats, cursor, sessionPin] = await Promise.all([
    store.readStats(run.req.agent, candidates.map((p) => p.id)),
    roundRobin ? store.nextCursor(run.req.agent, entry.provider) : undefined,
    run.sessionPin,
  ])
  let order = pinned !== undefined
    ? candidates
    : baseOrder({
      provider: entry.provider,
      profiles: candidates,
      fileOrder,
      configOrder,
      stats,
      leastRecentlyUsed: strategy !== 'round-robin',
    })
  if (order.length === 0) return undefined
  if (cursor !== undefined && order.length > 1) order = rotate(order, cursor, 'round-robin')
  if (sessionPin !== undefined) order = preferSession(order, sessionPin)
  return { order, stats }
}

/** Whether a profile may be tried now: not while it cools down; once its cooldown ran out, only by the request that claims its probe. */
async function admit (run: Run, entry: ChainEntry, profile: Profile, stats: Map<string, UsageStats>): Promise<boolean> {
  const { store, now, runtime } = run.deps
  const t = now()
  const health = availability(stats.get(profile.id), entry.model, t)
  if (health.state === 'cooling') {
    run.skipped.push({ ref: entry.ref, profileId: profile.id, until: health.until, reason: health.reason })
    return false
  }
  if (health.state === 'probe' && !(await store.claimProbe(run.req.agent, profile.id, entry.model, t, runtime.config.gateway.firstByteTimeoutMs + PROBE_MARGIN_MS))) {
    // Another request is probing it: its answer may come any moment.
    run.skipped.push({ ref: entry.ref, profileId: profile.id, until: t + PROBE_HELD_MS, reason: health.reason })
    return false
  }
  return true
}

/** One profile's attempt: the result, and when its last send started (performance.now()). */
interface Attempt { readonly result: AttemptResult, readonly started: number }

/**
 * Resolves the profile's credential and sends the request; undefined when the profile has
 * nothing to send. A failed refresh is this profile's failed attempt (reason auth). A rejected
 * OAuth/Copilot token may be revoked or expired early: one forced refresh (once per rejected
 * token, however many requests saw it), then this profile again.
 */
async function attemptWith (run: Run, target: Target, profile: Profile): Promise<Attempt | undefined> {
  const { resolver, secrets } = run.deps.runtime
  const cred = await resolver.resolve(run.req.agent, profile)
  if (cred.kind === 'unusable') return undefined
  run.upstreamMs += cred.waitMs ?? 0
  let started = performance.now()
  let result = cred.kind === 'failed' ? credentialFailure(cred.message, secrets) : await send(run, target, profile, cred)
  if (cred.kind === 'ok' && isTokenRejection(result) && resolver.refreshable(profile)) {
    const durationMs = performance.now() - started
    run.upstreamMs += durationMs
    run.attempts.push({ ref: target.entry.ref, profileId: profile.id, outcome: result, durationMs })
    const again = await resolver.resolve(run.req.agent, profile, { force: true, rejected: cred.secret })
    if (again.kind !== 'unusable') run.upstreamMs += again.waitMs ?? 0
    started = performance.now()
    result = again.kind === 'ok' ? await send(run, target, profile, again) : credentialFailure(again.message, secrets)
  }
  return { result, started }
}

/** One upstream call with this credential; its text comes back scrubbed of every secret rotor holds. */
async function send (run: Run, target: Target, profile: Profile, cred: Extract<ResolvedCredential, { kind: 'ok' }>): Promise<AttemptResult> {
  const { runtime, now } = run.deps
  const { gateway } = runtime.config
  const result = await target.adapter.attempt({
    provider: target.provider,
    model: target.model,
    credential: { profileId: profile.id, type: profile.type, secret: cred.secret, ...(cred.extra !== undefined ? { extra: cred.extra } : {}) },
    body: run.req.body,
    rawBody: run.req.rawBody,
    stream: run.req.stream,
    signal: run.req.signal,
    firstByteTimeoutMs: gateway.firstByteTimeoutMs,
    idleTimeoutMs: gateway.idleTimeoutMs,
    dispatcher: runtime.dispatcher,
    now,
  })
  return fromUpstream(result, runtime.secrets, cred.secret)
}

/**
 * What an attempt's result means for the request: the response to serve; the end of the
 * request (rotor's own deadline, the client gone, an error that is the client's to fix); or,
 * with the failure recorded against the profile, the next profile or the next model.
 */
async function conclude (run: Run, target: Target, profile: Profile, attempt: Attempt): Promise<ChatResult | 'next_profile' | 'next_model'> {
  const { result, started } = attempt
  const { entry } = target
  if (result.kind === 'ok') {
    run.upstreamMs += result.ttfbMs
    return {
      kind: 'served', response: result, entry, model: target.model, profileId: profile.id,
      attemptCount: run.attempts.length + 1, upstreamMs: run.upstreamMs, failures: run.attempts,
    }
  }
  run.upstreamMs += performance.now() - started
  // rotor's own deadline cut the attempt: no cooldown (it says nothing about the upstream), no next candidate.
  if (deadlinePassed(run.req.signal)) {
    const outcome = result.kind === 'client_aborted' ? { kind: 'failure' as const, reason: 'timeout' as const, message: 'request deadline exceeded' } : result
    run.attempts.push({ ref: entry.ref, profileId: profile.id, outcome, durationMs: performance.now() - started })
    return failed(run, new UpstreamTimeoutError(`No complete answer within the request timeout of ${run.deps.runtime.config.gateway.requestTimeoutMs} ms`))
  }
  if (result.kind === 'client_aborted') return { kind: 'client_aborted' }
  const decision = decide(result)
  const until = decision.scope !== 'none' && result.kind === 'failure'
    ? await recordFailure(run, entry, profile, result, decision.scope)
    : undefined
  const durationMs = performance.now() - started
  run.attempts.push(until === undefined
    ? { ref: entry.ref, profileId: profile.id, outcome: result, durationMs }
    : { ref: entry.ref, profileId: profile.id, outcome: result, durationMs, until })
  if (decision.next === 'return') {
    return failed(run, new UpstreamClientError(result.kind === 'bad_request' ? result.status : 400, result.message))
  }
  return decision.next
}

/** Records a failure's cooldown; returns until when it blocks this profile for the model (what Retry-After is built from). */
async function recordFailure (
  run: Run, entry: ChainEntry, profile: Profile, result: Extract<AttemptResult, { kind: 'failure' }>, scope: 'model' | 'profile' | 'disable',
): Promise<number | undefined> {
  const { store, now, runtime } = run.deps
  const at = now()
  const recorded = await store.recordFailure(run.req.agent, profile.id, {
    provider: entry.provider, model: entry.model, reason: result.reason, scope,
    now: at, retryAfterMs: result.retryAfterMs, policy: runtime.config.auth.cooldowns,
  })
  const a = availability(recorded, entry.model, at)
  return a.state === 'cooling' ? a.until : undefined
}

function failed (run: Run, error: RotorError): ChatFailed {
  return { kind: 'failed', error, attempts: run.attempts, upstreamMs: run.upstreamMs }
}

function isTokenRejection (r: AttemptResult): r is Extract<AttemptResult, { kind: 'failure' }> {
  return r.kind === 'failure' && r.reason === 'auth' && (r.status === 401 || r.status === 403)
}

function candidatesFor (profiles: readonly Profile[], provider: string, pinned: string | undefined): Profile[] {
  const out: Profile[] = []
  for (const p of profiles) {
    if (p.provider !== provider || !p.usable) continue
    if (pinned !== undefined && p.id !== pinned) continue
    out.push(p)
  }
  return out
}
