// Errors raised before a route runs, in OpenAI's shape like every other error: Node's HTTP
// parser (malformed framing, oversized headers, the request-body deadline), CONNECT requests
// and Fastify's router (bad percent-encoding, over-long path parameters).
import { randomUUID } from 'node:crypto'
import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HeadersTooLargeError, InvalidRequestError, NotFoundError, RequestTimeoutError, type RotorError } from '../core/errors.ts'
import type { Logger } from '../telemetry/logger.ts'
import { errorBody } from './error-reply.ts'

/** The parser's error for one connection, as a RotorError. */
function parserError (code: string): RotorError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RequestTimeoutError('The request was not received within the time the gateway allows')
  if (code === 'HPE_HEADER_OVERFLOW') return new HeadersTooLargeError()
  return new InvalidRequestError(`Malformed HTTP request (${code})`)
}

interface InFlight { readonly _httpMessage?: { readonly headersSent?: boolean } | null }

/**
 * Fastify's `clientErrorHandler`: answers once, closes the connection. Like Node's own
 * handler it writes nothing when a response already started on this socket (a 408 after a
 * 401's headers would corrupt the stream); a connection reset needs no answer at all.
 */
export function clientErrorHandler (log: Logger): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const code = typeof err.code === 'string' ? err.code : 'HPE_UNKNOWN'
    const rotorError = parserError(code)
    const requestId = randomUUID()
    log.info({ reqId: requestId, status: rotorError.status, code }, 'client error')
    const started = (socket as unknown as InFlight)._httpMessage?.headersSent === true
    if (!socket.writable || started) {
      socket.destroy()
      return
    }
    answerAndClose(socket, rotorError, requestId)
  }
}

/** One OpenAI-shaped answer written straight to the socket, then the connection closes. */
function answerAndClose (socket: Duplex, rotorError: RotorError, requestId: string): void {
  const body = JSON.stringify(errorBody(rotorError))
  socket.end(
    `HTTP/1.1 ${rotorError.status} ${STATUS_CODES[rotorError.status] ?? 'Error'}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `x-request-id: ${requestId}\r\n` +
    'connection: close\r\n\r\n' + body,
    () => { socket.destroy() },
  )
}

/**
 * The server's `connect` listener. Without one Node drops a CONNECT request without a word;
 * rotor is no proxy, so it answers like any unknown route.
 */
export function connectHandler (log: Logger): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => {
    const requestId = randomUUID()
    log.info({ reqId: requestId, status: 404, method: req.method }, 'CONNECT refused')
    answerAndClose(socket, new NotFoundError('No route for CONNECT'), requestId)
  }
}

/** Fastify's `frameworkErrors`: a URL the router cannot decode or a path parameter over its limit. */
export function frameworkErrorHandler (err: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const rotorError = err.code === 'FST_ERR_BAD_URL'
    ? new InvalidRequestError('The URL is not validly percent-encoded')
    : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new InvalidRequestError('A path parameter is longer than the gateway allows')
      : new InvalidRequestError('The request could not be routed')
  // The router answers outside every plugin, so the app's onSend hook does not run here.
  void reply.code(rotorError.status).header('x-request-id', request.id).send(errorBody(rotorError))
}

/**
 * Node's timers for a whole request: `requestTimeout` covers headers and body. Node checks
 * them every `connectionsCheckingInterval`, so the interval is a fraction of the deadline
 * (at most 1 s) to keep the deadline close to what was configured.
 */
export function requestDeadlineOptions (requestBodyTimeoutMs: number): { requestTimeout: number, headersTimeout: number, connectionsCheckingInterval: number } {
  return {
    requestTimeout: requestBodyTimeoutMs,
    headersTimeout: Math.min(60_000, requestBodyTimeoutMs),
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(requestBodyTimeoutMs / 10))),
  }
}
