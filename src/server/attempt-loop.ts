// Runs a request's plan: models in chain order, each model's profiles in rotation order,
// until one upstream answers. The decisions are the pure functions of src/routing; this
// file only does the I/O between them. Failover stops once a response is returned: the
// caller commits it to the client. Upstream text enters through upstream-text.ts (scrubbed).
import type { Profile } from '../auth/types.ts'
import { modelDefFor } from '../config/catalog.ts'
import type { ModelDef } from '../config/types.ts'
import { InvalidRequestError, UpstreamClientError, UpstreamTimeoutError, type RotorError } from '../core/errors.ts'
import { deadlinePassed } from '../providers/deadline.ts'
import type { AttemptResult, UpstreamSuccess } from '../providers/types.ts'
import { availability } from '../core/cooldown-policy.ts'
import { decide } from '../core/classify.ts'
import { finalError, type AttemptRecord, type SkipRecord } from '../core/final-error.ts'
import { buildPlan } from '../routing/plan.ts'
import { baseOrder, preferSession, rotate } from '../routing/profile-order.ts'
import type { ChainEntry, Clock, UsageStats } from '../core/types.ts'
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

export interface ChatSuccess {
  readonly response: UpstreamSuccess
  readonly entry: ChainEntry
  readonly model: ModelDef
  readonly profileId: string
  readonly attempts: number
  /** Time spent waiting on upstreams (failed attempts + this one's first byte), ms. */
  readonly upstreamMs: number
  readonly failures: readonly AttemptRecord[]
}

/** Thrown when every candidate failed; carries what the log line needs. */
export class ChatFailure extends Error {
  readonly error: RotorError
  readonly attempts: readonly AttemptRecord[]
  readonly upstreamMs: number
  constructor (error: RotorError, attempts: readonly AttemptRecord[], upstreamMs: number) {
    super(error.message)
    this.error = error
    this.attempts = attempts
    this.upstreamMs = upstreamMs
  }
}

export class ClientAbortedError extends Error {}

export interface AttemptLoopDeps {
  readonly runtime: Runtime
  readonly store: StateStore
  readonly now: Clock
}

export async function runChat (deps: AttemptLoopDeps, req: ChatRequest): Promise<ChatSuccess> {
  const { runtime, store, now } = deps
  const { config, secrets } = runtime
  const agentSettings = config.agents.get(req.agent)
  if (agentSettings === undefined) throw new InvalidRequestError(`Unknown agent ${req.agent}`)
  const requested = typeof req.body.model === 'string' ? req.body.model : undefined
  const plan = buildPlan(requested, agentSettings, config.catalog)
  const { file, profiles } = runtime.profilesFor(req.agent)

  const attempts: AttemptRecord[] = []
  const skipped: SkipRecord[] = []
  const noCredentials: string[] = []
  let upstreamMs = 0
  const sessionPinRead = req.session === undefined ? undefined : store.getSessionPin(req.agent, req.session)

  for (const entry of plan.chain) {
    const provider = config.catalog.providers.get(entry.provider)
    if (provider === undefined) continue
    const model = modelDefFor(provider, entry.model)
    const adapter = runtime.adapters.get(model.api)
    if (adapter === undefined) {
      attempts.push({ ref: entry.ref, profileId: '-', outcome: { kind: 'failure', reason: 'format', message: `API family ${model.api} is not supported yet` } })
      continue
    }
    const candidates = candidatesFor(profiles, entry.provider, plan.pinnedProfile)
    if (candidates.length === 0) {
      if (plan.pinnedProfile !== undefined) {
        throw new InvalidRequestError(`Auth profile "${plan.pinnedProfile}" is not configured for ${entry.provider}`, 'model')
      }
      noCredentials.push(entry.provider)
      continue
    }
    // One round-trip in redis mode: auto-pipelining sends these together.
    const roundRobin = plan.pinnedProfile === undefined && config.auth.strategy === 'round-robin' && candidates.length > 1
    const [stats, cursor, sessionPin] = await Promise.all([
      store.readStats(req.agent, candidates.map((p) => p.id)),
      roundRobin ? store.nextCursor(req.agent, entry.provider) : undefined,
      sessionPinRead,
    ])
    let order = plan.pinnedProfile !== undefined
      ? candidates
      : baseOrder({
        provider: entry.provider,
        profiles: candidates,
        fileOrder: file.order?.[entry.provider],
        configOrder: agentSettings.configOrder[entry.provider],
        stats,
        leastRecentlyUsed: config.auth.strategy !== 'round-robin',
      })
    if (order.length === 0) { noCredentials.push(entry.provider); continue }
    if (cursor !== undefined && order.length > 1) order = rotate(order, cursor, 'round-robin')
    if (sessionPin !== undefined) order = preferSession(order, sessionPin)

    let usable = 0
    for (const profile of order) {
      const t = now()
      const health = availability(stats.get(profile.id), entry.model, t)
      if (health.state === 'cooling') {
        skipped.push({ ref: entry.ref, profileId: profile.id, until: health.until, reason: health.reason })
        continue
      }
      if (health.state === 'probe' && !(await store.claimProbe(req.agent, profile.id, entry.model, t, config.gateway.firstByteTimeoutMs + 5000))) {
        // Another request is probing it: its answer may come any moment.
        skipped.push({ ref: entry.ref, profileId: profile.id, until: t + 1000, reason: health.reason })
        continue
      }
      const cred = await runtime.resolver.resolve(req.agent, profile)
      if (cred.kind === 'unusable') continue
      usable++
      upstreamMs += cred.waitMs ?? 0
      const send = async (c: { secret: string, extra?: Readonly<Record<string, string>> }): Promise<AttemptResult> => fromUpstream(await adapter.attempt({
        provider, model,
        credential: { profileId: profile.id, type: profile.type, secret: c.secret, ...(c.extra !== undefined ? { extra: c.extra } : {}) },
        body: req.body,
        rawBody: req.rawBody,
        stream: req.stream,
        signal: req.signal,
        firstByteTimeoutMs: config.gateway.firstByteTimeoutMs,
        idleTimeoutMs: config.gateway.idleTimeoutMs,
        dispatcher: runtime.dispatcher,
        now,
      }), secrets, c.secret)
      let started = performance.now()
      // A failed OAuth refresh is this profile's attempt: reason auth, cooled, next candidate.
      let result: AttemptResult = cred.kind === 'failed' ? credentialFailure(cred.message, secrets) : await send(cred)
      // A rejected OAuth/Copilot token may be revoked or expired early: one forced refresh
      // (once per rejected token, however many requests saw it), then this profile again.
      if (cred.kind === 'ok' && isTokenRejection(result) && runtime.resolver.refreshable(profile)) {
        upstreamMs += performance.now() - started
        attempts.push({ ref: entry.ref, profileId: profile.id, outcome: result, durationMs: performance.now() - started })
        const again = await runtime.resolver.resolve(req.agent, profile, { force: true, rejected: cred.secret })
        if (again.kind !== 'unusable') upstreamMs += again.waitMs ?? 0
        started = performance.now()
        result = again.kind === 'ok' ? await send(again) : credentialFailure(again.message, secrets)
      }
      if (result.kind === 'ok') {
        upstreamMs += result.ttfbMs
        return { response: result, entry, model, profileId: profile.id, attempts: attempts.length + 1, upstreamMs, failures: attempts }
      }
      upstreamMs += performance.now() - started
      // rotor's own deadline cut the attempt: no cooldown (it says nothing about the upstream), no next candidate.
      if (deadlinePassed(req.signal)) {
        const outcome = result.kind === 'client_aborted' ? { kind: 'failure' as const, reason: 'timeout' as const, message: 'request deadline exceeded' } : result
        attempts.push({ ref: entry.ref, profileId: profile.id, outcome, durationMs: performance.now() - started })
        throw deadlineFailure(config.gateway.requestTimeoutMs, attempts, upstreamMs)
      }
      if (result.kind === 'client_aborted') throw new ClientAbortedError('client went away')
      const decision = decide(result)
      let until: number | undefined
      if (decision.scope !== 'none' && result.kind === 'failure') {
        const at = now()
        const recorded = await store.recordFailure(req.agent, profile.id, {
          provider: entry.provider, model: entry.model, reason: result.reason, scope: decision.scope,
          now: at, retryAfterMs: result.retryAfterMs, policy: config.auth.cooldowns,
        })
        until = blockedUntil(recorded, entry.model, at)
      }
      const durationMs = performance.now() - started
      attempts.push(until === undefined
        ? { ref: entry.ref, profileId: profile.id, outcome: result, durationMs }
        : { ref: entry.ref, profileId: profile.id, outcome: result, durationMs, until })
      if (decision.next === 'return') {
        throw new ChatFailure(new UpstreamClientError(result.kind === 'bad_request' ? result.status : 400, result.message), attempts, upstreamMs)
      }
      if (decision.next === 'next_model') break
    }
    if (usable === 0 && !skipped.some((s) => s.ref === entry.ref)) noCredentials.push(entry.provider)
  }
  throw new ChatFailure(finalError(attempts, skipped, noCredentials, now()), attempts, upstreamMs)
}

/** When the cooldown just recorded lets this profile serve `model` again (what Retry-After is built from). */
function blockedUntil (stats: UsageStats, model: string, now: number): number | undefined {
  const a = availability(stats, model, now)
  return a.state === 'cooling' ? a.until : undefined
}

function deadlineFailure (ms: number, attempts: readonly AttemptRecord[], upstreamMs: number): ChatFailure {
  return new ChatFailure(new UpstreamTimeoutError(`No complete answer within the request timeout of ${ms} ms`), attempts, upstreamMs)
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
