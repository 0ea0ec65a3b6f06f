// Loopback fakes for login tests: an identity provider whose routes each test scripts, a
// scripted user (LoginIO) and a "browser" that follows the authorize redirect.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LoginIO } from '../../../src/auth/login/types.ts'

export interface IdpRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingMessage['headers']
  readonly raw: string
  /** Form fields or JSON body (strings only), whichever was sent. */
  readonly fields: Record<string, string>
}

export interface IdpReply { status?: number, body?: unknown, headers?: Record<string, string> }

export type Route = (req: IdpRequest) => IdpReply | Promise<IdpReply>

export interface FakeIdp {
  readonly url: string
  readonly requests: IdpRequest[]
  close (): Promise<void>
}

export async function startFakeIdp (routes: Record<string, Route>): Promise<FakeIdp> {
  const requests: IdpRequest[] = []
  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(parts).toString('utf8')
        const url = new URL(req.url ?? '/', 'http://idp')
        let fields: Record<string, string> = {}
        if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) fields = Object.fromEntries(new URLSearchParams(raw))
        else if (String(req.headers['content-type']).startsWith('application/json')) fields = JSON.parse(raw) as Record<string, string>
        const rec: IdpRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, raw, fields }
        requests.push(rec)
        const route = routes[`${rec.method} ${rec.path}`]
        const reply = route === undefined ? { status: 404, body: { error: 'not_found' } } : await route(rec)
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers })
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body))
      })()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

export function s256 (verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/** Answers to prompts: a string, a function of the question, or `wait` (until the flow aborts the prompt). */
export type Answer = string | ((question: string) => string | Promise<string>) | 'wait'

export class ScriptedIO implements LoginIO {
  readonly printed: string[] = []
  readonly opened: string[] = []
  readonly questions: string[] = []
  readonly #answers: Answer[]
  readonly #onOpen: ((url: string) => Promise<void>) | undefined
  /** Set when the flow aborted a pending prompt. */
  aborted = false

  constructor (answers: Answer[] = [], onOpen?: (url: string) => Promise<void>) {
    this.#answers = answers
    this.#onOpen = onOpen
  }

  print (text: string): void { this.printed.push(text) }

  async prompt (question: string, signal?: AbortSignal): Promise<string> {
    this.questions.push(question)
    const a = this.#answers.shift() ?? 'wait'
    if (a !== 'wait') return typeof a === 'string' ? a : await a(question)
    return await new Promise<string>((_resolve, reject) => {
      if (signal === undefined) return
      const onAbort = (): void => { this.aborted = true; reject(new Error('prompt aborted')) }
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  async openUrl (url: string): Promise<void> {
    this.opened.push(url)
    if (this.#onOpen !== undefined) await this.#onOpen(url)
  }
}

/** What a browser does with an authorize URL: follow the IdP's redirect to the callback. */
export async function followAuthorize (url: string): Promise<{ location: string, callbackStatus: number | undefined }> {
  const res = await fetch(url, { redirect: 'manual' })
  const location = res.headers.get('location')
  if (location === null) throw new Error(`authorize answered ${res.status} without a redirect`)
  await res.arrayBuffer()
  if (!location.startsWith('http://127.0.0.1') && !location.startsWith('http://localhost')) return { location, callbackStatus: undefined }
  const cb = await fetch(location)
  await cb.arrayBuffer()
  return { location, callbackStatus: cb.status }
}

/**
 * An authorize route: remembers the PKCE challenge and state per issued code and redirects
 * to the redirect_uri with `code` and `state`, as a provider does after the user consents.
 */
export function authorizeRoute (issued: Map<string, { challenge: string, state: string, redirectUri: string, clientId: string, scope: string }>, code = 'auth-code-1'): Route {
  return (req) => {
    const q = req.query
    if (q.get('code_challenge_method') !== 'S256' || q.get('response_type') !== 'code') return { status: 400, body: { error: 'invalid_request' } }
    issued.set(code, {
      challenge: q.get('code_challenge') ?? '',
      state: q.get('state') ?? '',
      redirectUri: q.get('redirect_uri') ?? '',
      clientId: q.get('client_id') ?? '',
      scope: q.get('scope') ?? '',
    })
    const to = new URL(q.get('redirect_uri') ?? '')
    to.searchParams.set('code', code)
    to.searchParams.set('state', q.get('state') ?? '')
    return { status: 302, headers: { location: to.toString() } }
  }
}

/** A JWT-shaped token (unsigned) with the given payload. */
export function jwt (payload: Record<string, unknown>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.c2ln`
}
