// POST /v1/chat/completions: validate the little rotor needs, run the plan, stream the
// winner's bytes back untouched.
import Type from 'typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RotorError } from '../../core/errors.ts'
import { MAX_MODEL_NAME_LENGTH } from '../../routing/model-ref.ts'
import type { StateStore } from '../../state/types.ts'
import { outcomeLabel, type Clock } from '../../core/types.ts'
import type { Logger } from '../../telemetry/logger.ts'
import { costUsd, usageFromTail, type Usage } from '../../telemetry/usage.ts'
import { runChat, type ChatResult, type ChatServed } from '../attempt-loop.ts'
import { errorBody, toRotorError } from '../error-reply.ts'
import { headerValue } from '../header-value.ts'
import { writeUpstream, type StreamEnd } from '../response-writer.ts'
import { startDeadline } from '../../providers/deadline.ts'
import { classifyLateError } from '../../core/classify.ts'
import type { Runtime } from '../runtime.ts'
import type { Metrics } from '../../telemetry/metrics.ts'

// Only what rotor itself reads; everything else passes through to the upstream.
export const ChatCompletionBody = Type.Object({
  model: Type.Optional(Type.String()),
  messages: Type.Array(Type.Object({ role: Type.String() }), { minItems: 1 }),
  stream: Type.Optional(Type.Boolean()),
})

export interface ChatRouteDeps {
  readonly runtime: () => Runtime
  readonly store: StateStore
  readonly now: Clock
  readonly log: Logger
  readonly metrics: Metrics
}

export function chatCompletionsRoute (app: FastifyInstance, deps: ChatRouteDeps): void {
  app.post('/v1/chat/completions', { schema: { body: ChatCompletionBody } }, async (request, reply) => {
    const runtime = deps.runtime()
    const body = request.body as Record<string, unknown>
    const stream = body.stream === true
    // One signal for the whole request: the client going away, or the deadline (one timer).
    const ac = new AbortController()
    const deadline = startDeadline(ac, runtime.config.gateway.requestTimeoutMs)
    const onClose = (): void => { if (!reply.raw.writableFinished) ac.abort() }
    reply.raw.once('close', onClose)
    const session = request.headers['x-rotor-session']
    const requested = typeof body.model === 'string' ? body.model : 'default'
    let result: ChatResult | Unserved
    try {
      result = await runChat({ runtime, store: deps.store, now: deps.now }, {
        agent: request.identity.agent,
        body,
        rawBody: request.rawBody ?? Buffer.from(JSON.stringify(body)),
        stream,
        session: typeof session === 'string' && session !== '' ? session : undefined,
        signal: ac.signal,
      })
    } catch (err) {
      result = { kind: 'error', err }
    }
    if (result.kind !== 'served') {
      clearTimeout(deadline)
      reply.raw.off('close', onClose)
      return sendFailure(request, reply, deps, result, requested)
    }
    const overheadMs = performance.now() - request.t0 - result.upstreamMs
    const headers: Record<string, string> = {
      'x-request-id': request.id,
      'x-rotor-model': headerValue(result.entry.ref),
      'x-rotor-profile': headerValue(result.profileId),
      'x-rotor-attempts': String(result.attemptCount),
      'x-rotor-overhead-ms': overheadMs.toFixed(3),
    }
    // Pinned at commit, not at the end of the body: a client's next request may come
    // before a long stream ends. A profile that fails later cools and is skipped anyway.
    if (typeof session === 'string' && session !== '') {
      deps.store.setSessionPin(request.identity.agent, session, result.profileId, runtime.config.auth.sessionTtlMs)
        .catch((err: unknown) => { deps.log.warn({ err, reqId: request.id }, 'session pin not stored') })
    }
    reply.hijack()
    const end = await writeUpstream(reply.raw, result.response, headers, stream)
    clearTimeout(deadline)
    reply.raw.off('close', onClose)
    await recordStreamEnd(deps, request, result, end)
    logSuccess(request, deps, requested, result, end, overheadMs)
  })
}

/** Records how the served attempt ended in the state store, once the body is done. */
async function recordStreamEnd (deps: ChatRouteDeps, request: FastifyRequest, result: ChatServed, end: StreamEnd): Promise<void> {
  const agent = request.identity.agent
  const runtime = deps.runtime()
  try {
    switch (end.kind) {
      case 'upstream_error': {
        const verdict = classifyLateError(end.error, deps.now())
        if (verdict.scope === 'none') return
        await deps.store.recordFailure(agent, result.profileId, {
          provider: result.entry.provider, model: result.entry.model,
          reason: verdict.reason, scope: verdict.scope, retryAfterMs: verdict.retryAfterMs,
          now: deps.now(), policy: runtime.config.auth.cooldowns,
        })
        return
      }
      // rotor's own failure says nothing about the upstream.
      case 'write_failed': return
      case 'complete':
      case 'client_aborted':
        await deps.store.recordSuccess(agent, result.profileId, result.entry.provider, result.entry.model, deps.now())
        return
    }
  } catch (err) {
    deps.log.warn({ err, reqId: request.id }, 'state update failed')
  }
}

/** What a request that was not served came to: a failed run, a client gone, or an error thrown on the way (unknown agent, bad model name, a bug). */
type Unserved = Exclude<ChatResult, { kind: 'served' }> | { readonly kind: 'error', readonly err: unknown }

function sendFailure (request: FastifyRequest, reply: FastifyReply, deps: ChatRouteDeps, unserved: Unserved, model: string): FastifyReply | undefined {
  const durationMs = performance.now() - request.t0
  // Refused names can be megabytes long; the log line keeps a prefix.
  const requested = model.length > MAX_MODEL_NAME_LENGTH ? `${model.slice(0, MAX_MODEL_NAME_LENGTH)}…` : model
  if (unserved.kind === 'client_aborted') {
    deps.log.info({ reqId: request.id, agent: request.identity.agent, client: request.identity.name, requested, status: 499, durationMs }, 'client aborted')
    deps.metrics.request(requested, '-', 499)
    reply.hijack()
    reply.raw.destroy()
    return undefined
  }
  const failure = unserved.kind === 'failed' ? unserved : undefined
  const rotorError: RotorError = unserved.kind === 'failed' ? unserved.error : toRotorError(unserved.err)
  if (unserved.kind === 'error' && !(unserved.err instanceof RotorError)) deps.log.error({ err: unserved.err, reqId: request.id }, 'chat request failed')
  const attempts = failure?.attempts ?? []
  const overheadMs = durationMs - (failure?.upstreamMs ?? 0)
  deps.log.info({
    reqId: request.id, agent: request.identity.agent, client: request.identity.name, requested,
    attempts: attempts.length, status: rotorError.status, code: rotorError.publicCode, durationMs,
    failures: attempts.map((a) => `${a.ref}@${a.profileId}:${outcomeLabel(a.outcome)}`),
  }, 'request failed')
  for (const a of attempts) deps.metrics.attempt(a.ref, outcomeLabel(a.outcome))
  // A name that never resolved is the client's free text: as a metric label it would grow
  // one series per request, so only names that planned (ChatFailure) are kept.
  deps.metrics.request(failure !== undefined ? requested : '-', '-', rotorError.status)
  return reply.code(rotorError.status)
    .headers({ ...rotorError.headers, 'x-rotor-attempts': String(attempts.length), 'x-rotor-overhead-ms': overheadMs.toFixed(3) })
    .send(errorBody(rotorError))
}

function logSuccess (request: FastifyRequest, deps: ChatRouteDeps, requested: string, result: ChatServed, end: StreamEnd, overheadMs: number): void {
  const usage: Usage | undefined = end.kind === 'complete' ? usageFromTail(end.tail) : undefined
  const cost = usage === undefined ? undefined : costUsd(usage, result.model.cost)
  const status = end.kind === 'complete' ? result.response.status : end.kind === 'client_aborted' ? 499 : 502
  for (const a of result.failures) deps.metrics.attempt(a.ref, outcomeLabel(a.outcome))
  deps.metrics.attempt(result.entry.ref, 'ok')
  deps.metrics.request(result.entry.ref, result.entry.provider, status)
  deps.metrics.upstream(result.entry.ref, result.response.ttfbMs, performance.now() - request.t0)
  if (usage !== undefined) deps.metrics.usage(result.entry.ref, usage, cost ?? 0)
  deps.log.info({
    reqId: request.id,
    agent: request.identity.agent,
    client: request.identity.name,
    requested,
    model: result.entry.ref,
    profile: result.profileId,
    attempts: result.attemptCount,
    status,
    stream: end.kind,
    error: end.kind === 'upstream_error' || end.kind === 'write_failed' ? end.message : undefined,
    durationMs: Math.round((performance.now() - request.t0) * 1000) / 1000,
    ttfbMs: Math.round(result.response.ttfbMs * 1000) / 1000,
    overheadMs: Math.round(overheadMs * 1000) / 1000,
    promptTokens: usage?.promptTokens,
    completionTokens: usage?.completionTokens,
    cachedTokens: usage?.cachedTokens,
    costUsd: cost,
  }, 'request')
}
