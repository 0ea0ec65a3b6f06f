// Composition of the HTTP surface: one root with shared infrastructure, one encapsulated
// plugin per surface so each auth hook stays on its own routes.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { InvalidApiKeyError, InvalidRequestError, NotFoundError, ShuttingDownError } from '../core/errors.ts'
import type { StateStore } from '../state/types.ts'
import type { Clock } from '../core/types.ts'
import type { Logger } from '../telemetry/logger.ts'
import type { Metrics } from '../telemetry/metrics.ts'
import type { ClientIdentity } from './client-auth.ts'
import { clientErrorHandler, connectHandler, frameworkErrorHandler, requestDeadlineOptions } from './below-router.ts'
import { errorBody, toRotorError } from './error-reply.ts'
import { parseJsonBody } from './json-body.ts'
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
  /** Time a client has to send its whole request; then 408 and the connection closes. */
  readonly requestBodyTimeoutMs: number
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function buildApp (deps: AppDeps): FastifyInstance {
  const deadline = requestDeadlineOptions(deps.requestBodyTimeoutMs)
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimitBytes,
    requestTimeout: deadline.requestTimeout,
    http: { ...deadline, requireHostHeader: false },
    clientErrorHandler: clientErrorHandler(deps.log),
    frameworkErrors: frameworkErrorHandler,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    return503OnClosing: false,
  })
  app.server.on('connect', connectHandler(deps.log))
  app.decorateRequest('identity', null as unknown as ClientIdentity)
  app.decorateRequest('rawBody', undefined)
  app.decorateRequest('t0', 0)

  // Two answers Node and Fastify would give in their own shape, given in OpenAI's instead:
  // a Host-less HTTP/1.1 request (requireHostHeader is off in the server options) and a
  // request that arrives while the gateway shuts down (return503OnClosing is off).
  let closing = false
  app.addHook('preClose', (done) => { closing = true; done() })
  app.addHook('onRequest', (request, reply, done) => {
    // Overhead is measured from here, so answers refused below report it too.
    request.t0 = performance.now()
    const refused = closing
      ? new ShuttingDownError()
      : request.headers.host === undefined && request.raw.httpVersion === '1.1'
        ? new InvalidRequestError('HTTP/1.1 requests must carry a Host header')
        : undefined
    if (refused === undefined) { done(); return }
    void reply.code(refused.status).headers(refused.headers).send(errorBody(refused))
  })

  // Every answer Fastify sends carries the request id; hijacked replies (chat successes)
  // set their own headers, so this costs nothing on the streaming path.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    done(null, payload)
  })

  // Keep the bytes: a request whose model needs no rewrite goes upstream as it came.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer' }, (request, body, done) => {
    const buf = body as Buffer
    const parsed = parseJsonBody(buf)
    if (parsed instanceof InvalidRequestError) {
      done(parsed, undefined)
      return
    }
    request.rawBody = buf
    done(null, parsed)
  })
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => {
    done(new InvalidRequestError('Content-Type must be application/json'), undefined)
  })

  app.setErrorHandler((err, request, reply) => {
    const rotorError = toRotorError(err)
    if (rotorError.status >= 500) deps.log.error({ err, reqId: request.id }, 'unhandled error')
    void reply.code(rotorError.status).headers(rotorError.headers).send(errorBody(rotorError))
  })
  app.setNotFoundHandler((request, reply) => {
    const err = new NotFoundError(`No route for ${request.method} ${request.url.split('?')[0]}`)
    void reply.code(404).send(errorBody(err))
  })

  app.register(async (v1) => {
    v1.addHook('onRequest', async (request, reply) => {
      const identity = deps.runtime().clients.authenticate(request.headers)
      if (identity === undefined) return reply.code(401).send(errorBody(new InvalidApiKeyError()))
      request.identity = identity
    })
    v1.register(async (chat) => {
      // Every chat answer says how many upstream attempts it took and what rotor cost;
      // answers rotor gives before any attempt (401, 400, 413, 404 …) took none.
      chat.addHook('onSend', (request, reply, payload, done) => {
        if (!reply.hasHeader('x-rotor-attempts')) {
          reply.header('x-rotor-attempts', '0')
          reply.header('x-rotor-overhead-ms', (performance.now() - request.t0).toFixed(3))
        }
        done(null, payload)
      })
      chatCompletionsRoute(chat, deps)
    })
    modelsRoutes(v1, deps.runtime)
  })
  app.register(async (admin) => { adminRoutes(admin, deps) })
  app.register(async (probes) => { probeRoutes(probes, deps.store, deps.metrics) })
  return app
}
