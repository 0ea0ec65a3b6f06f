// Composition of the HTTP surface: one root with shared infrastructure, one encapsulated
// plugin per surface so each auth hook stays on its own routes.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { InvalidApiKeyError, InvalidRequestError } from '../errors.ts'
import type { StateStore } from '../state/types.ts'
import type { Clock } from '../routing/types.ts'
import type { Logger } from '../telemetry/logger.ts'
import type { Metrics } from '../telemetry/metrics.ts'
import type { ClientIdentity } from './client-auth.ts'
import { errorBody, toRotorError } from './error-reply.ts'
import type { Runtime } from './runtime.ts'
import { chatCompletionsRoute } from './routes/chat-completions.ts'
import { modelsRoutes } from './routes/models.ts'
import { probeRoutes } from './routes/probes.ts'
import { adminRoutes } from './routes/admin.ts'

declare module 'fastify' {
  interface FastifyRequest {
    identity: ClientIdentity
    rawBody: Buffer | undefined
    t0: number
  }
}

export interface AppDeps {
  readonly runtime: () => Runtime
  readonly store: StateStore
  readonly now: Clock
  readonly log: Logger
  readonly metrics: Metrics
  readonly reload: () => { ok: true } | { ok: false, error: string }
  readonly bodyLimitBytes: number
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function buildApp (deps: AppDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    return503OnClosing: true,
  })
  app.decorateRequest('identity', null as unknown as ClientIdentity)
  app.decorateRequest('rawBody', undefined)
  app.decorateRequest('t0', 0)

  // Keep the bytes: a request whose model needs no rewrite goes upstream as it came.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer' }, (request, body, done) => {
    const buf = body as Buffer
    try {
      const parsed: unknown = JSON.parse(buf.toString('utf8'))
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        done(new InvalidRequestError('Request body must be a JSON object'), undefined)
        return
      }
      request.rawBody = buf
      done(null, parsed)
    } catch {
      done(new InvalidRequestError('Request body is not valid JSON'), undefined)
    }
  })
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => {
    done(new InvalidRequestError('Content-Type must be application/json'), undefined)
  })

  app.setErrorHandler((err, request, reply) => {
    const rotorError = toRotorError(err)
    if (rotorError.status >= 500) deps.log.error({ err, reqId: request.id }, 'unhandled error')
    void reply.code(rotorError.status).headers({ ...rotorError.headers, 'x-request-id': request.id }).send(errorBody(rotorError))
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { message: `No route for ${request.method} ${request.url.split('?')[0]}`, type: 'invalid_request_error', param: null, code: 'not_found' } })
  })

  app.register(async (v1) => {
    v1.addHook('onRequest', async (request, reply) => {
      request.t0 = performance.now()
      const identity = deps.runtime().clients.authenticate(request.headers)
      if (identity === undefined) {
        const err = new InvalidApiKeyError()
        return reply.code(401).headers({ 'x-request-id': request.id }).send(errorBody(err))
      }
      request.identity = identity
    })
    chatCompletionsRoute(v1, deps)
    modelsRoutes(v1, deps.runtime)
  })
  app.register(async (admin) => { adminRoutes(admin, deps) })
  app.register(async (probes) => { probeRoutes(probes, deps.store, deps.metrics) })
  return app
}
