// A fake Google for Antigravity on 127.0.0.1:0: the OAuth token endpoint and userinfo, the
// browser's authorize step, and Cloud Code Assist (loadCodeAssist, onboardUser and its
// operation, generateContent, streamGenerateContent?alt=sse). Strict the way Google is: the
// installed-app client id and secret are required on every grant, PKCE is verified, refresh
// tokens do not rotate (a refresh answers no refresh_token), an expired or unknown access
// token gets 401 UNAUTHENTICATED, and generate requests are checked like the real API
// (./cloudcode-rules.ts) — a broken one gets Google's 400 INVALID_ARGUMENT and is recorded in
// `violations`. Every token-endpoint call is counted.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkEnvelope, checkHeaders } from './cloudcode-rules.ts'

export const GOOGLE_CLIENT_ID = '1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com'
export const GOOGLE_CLIENT_SECRET = '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'

export type CloudCodeReply =
  /** GenerateContentResponse objects, each sent as one `data:` event wrapped in {response, traceId}. */
  | { readonly kind: 'sse', readonly events: readonly unknown[], readonly cutAfter?: number, readonly gate?: { readonly after: number, readonly release: Promise<void> }, readonly chunkSize?: number }
  | { readonly kind: 'json', readonly body: unknown }
  | { readonly kind: 'error', readonly status: number, readonly body: unknown, readonly headers?: Record<string, string> }

export interface RecordedRequest {
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: Record<string, any>
}

export interface Account { readonly email: string, readonly access: string, readonly refresh: string }

export interface FakeCloudCode {
  readonly url: string
  readonly tokenUrl: string
  readonly userinfoUrl: string
  readonly authorizeUrl: string
  readonly project: string
  /** Generate requests (stream and not), in order. */
  readonly requests: RecordedRequest[]
  readonly violations: string[]
  /** Every POST to the token endpoint. */
  readonly tokenCalls: number
  readonly refreshes: number
  readonly grants: Array<Record<string, string>>
  /** loadCodeAssist / onboardUser / operation polls, by path, in order. */
  readonly setupCalls: string[]
  reply (...replies: CloudCodeReply[]): void
  /** An account as a past login left it; `expired` makes its access token already dead here. */
  seed (opts?: { email?: string, expired?: boolean }): Account
  /** True for an access token this server would accept now. */
  isCurrent (access: string): boolean
  /** The browser's part: checks the authorize URL like Google and returns where it redirects. */
  authorize (url: string, email?: string): string
  setTokenLatency (ms: number): void
  close (): Promise<void>
}

export interface FakeCloudCodeOptions {
  readonly project?: string
  /** loadCodeAssist finds no project: onboardUser provisions one after `onboardPolls` polls. */
  readonly onboarding?: boolean
  readonly onboardPolls?: number
}

export function googleError (code: number, status: string, message: string, details?: unknown[]): unknown {
  return { error: { code, message, status, ...(details !== undefined ? { details } : {}) } }
}

/** A GenerateContentResponse with text parts (and finish + usage when `finish` is set). */
export function textResponse (texts: readonly string[], finish?: string, usage?: Record<string, number>): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { role: 'model', parts: texts.map((text) => ({ text })) } }
  if (finish !== undefined) candidate.finishReason = finish
  return { candidates: [candidate], ...(usage !== undefined ? { usageMetadata: usage } : {}), modelVersion: 'gemini-3-pro-preview', responseId: 'resp-fake-1' }
}

export const DEFAULT_USAGE = { promptTokenCount: 12, candidatesTokenCount: 6, totalTokenCount: 18 }

export async function startFakeCloudCode (opts: FakeCloudCodeOptions = {}): Promise<FakeCloudCode> {
  const project = opts.project ?? 'fake-project-4242'
  const requests: RecordedRequest[] = []
  const violations: string[] = []
  const queue: CloudCodeReply[] = []
  const grants: Array<Record<string, string>> = []
  const setupCalls: string[] = []
  const access = new Map<string, { email: string, until: number }>()
  const refresh = new Map<string, string>()
  const codes = new Map<string, { challenge: string, redirect: string, email: string }>()
  let tokenCalls = 0
  let refreshes = 0
  let latency = 0
  let polls = 0
  let serial = 0
  const sockets = new Set<Socket>()

  const issueAccess = (email: string, lifetimeS = 3599): string => {
    const token = `ya29.fake-${++serial}-${randomBytes(6).toString('hex')}`
    access.set(token, { email, until: Date.now() + lifetimeS * 1000 })
    return token
  }
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body))
  }
  const bearer = (req: IncomingMessage): string => (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')
  const live = (token: string): boolean => (access.get(token)?.until ?? 0) > Date.now()

  function tokenEndpoint (params: Record<string, string>, req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      send(res, 400, { error: 'invalid_request', error_description: 'Invalid content type' }); return
    }
    if (params.client_id !== GOOGLE_CLIENT_ID) { send(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }); return }
    if (params.client_secret !== GOOGLE_CLIENT_SECRET) { send(res, 401, { error: 'invalid_client', error_description: 'Unauthorized' }); return }
    if (params.grant_type === 'refresh_token') {
      const email = refresh.get(params.refresh_token ?? '')
      if (email === undefined) { send(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' }); return }
      refreshes++
      // Google does not rotate: no refresh_token in the answer, the old one stays valid.
      send(res, 200, { access_token: issueAccess(email), expires_in: 3599, scope: 'https://www.googleapis.com/auth/cloud-platform', token_type: 'Bearer' })
      return
    }
    if (params.grant_type === 'authorization_code') {
      const grant = codes.get(params.code ?? '')
      codes.delete(params.code ?? '')
      if (grant === undefined) { send(res, 400, { error: 'invalid_grant', error_description: 'Malformed auth code.' }); return }
      if (params.redirect_uri !== grant.redirect) { send(res, 400, { error: 'redirect_uri_mismatch', error_description: 'Bad Request' }); return }
      const challenge = createHash('sha256').update(params.code_verifier ?? '').digest('base64url')
      if (challenge !== grant.challenge) { send(res, 400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' }); return }
      const rt = `1//fake-refresh-${++serial}-${randomBytes(6).toString('hex')}`
      refresh.set(rt, grant.email)
      send(res, 200, { access_token: issueAccess(grant.email), expires_in: 3599, refresh_token: rt, scope: 'https://www.googleapis.com/auth/cloud-platform', token_type: 'Bearer', id_token: 'eyJ.fake.jwt' })
      return
    }
    send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' })
  }

  function setup (path: string, body: Record<string, any>, res: ServerResponse): void {
    setupCalls.push(path)
    if (path === '/v1internal:loadCodeAssist') {
      if (opts.onboarding === true && polls === 0 && !setupCalls.some((p) => p.startsWith('/v1internal/operations/'))) {
        send(res, 200, { currentTier: null, allowedTiers: [{ id: 'legacy-tier', name: 'Legacy' }, { id: 'free-tier', name: 'Free', isDefault: true }] })
      } else send(res, 200, { currentTier: { id: 'free-tier' }, cloudaicompanionProject: project })
      return
    }
    if (path === '/v1internal:onboardUser') {
      if (body.tierId !== 'free-tier') { send(res, 400, googleError(400, 'INVALID_ARGUMENT', `unknown tier ${String(body.tierId)}`)); return }
      send(res, 200, { name: 'operations/onboard-1', done: false })
      return
    }
    if (path === '/v1internal/operations/onboard-1') {
      polls++
      if (polls <= (opts.onboardPolls ?? 2)) { send(res, 200, { name: 'operations/onboard-1', done: false }); return }
      send(res, 200, { name: 'operations/onboard-1', done: true, response: { '@type': 'type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse', cloudaicompanionProject: { id: project, name: project } } })
      return
    }
    send(res, 404, googleError(404, 'NOT_FOUND', 'not found'))
  }

  async function generate (req: IncomingMessage, res: ServerResponse, path: string, query: string, body: Record<string, any>): Promise<void> {
    const stream = path === '/v1internal:streamGenerateContent'
    requests.push({ path, headers: req.headers, body })
    if (stream && !/(^|&)alt=sse(&|$)/.test(query)) { violations.push('stream without alt=sse'); send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'alt=sse required')); return }
    const { problems, wrongProject } = checkEnvelope(body, project)
    problems.unshift(...checkHeaders(req.headers))
    if (problems.length > 0) { violations.push(...problems); send(res, 400, googleError(400, 'INVALID_ARGUMENT', problems.join('; '))); return }
    if (wrongProject) { send(res, 403, googleError(403, 'PERMISSION_DENIED', `Permission denied on resource project ${String(body.project)}.`)); return }
    const next = queue.shift() ?? (stream
      ? { kind: 'sse' as const, events: [textResponse(['Hello from ']), textResponse(['Antigravity.'], 'STOP', DEFAULT_USAGE)] }
      : { kind: 'json' as const, body: textResponse(['Hello from Antigravity.'], 'STOP', DEFAULT_USAGE) })
    if (next.kind === 'error') { send(res, next.status, next.body, next.headers); return }
    if (next.kind === 'json') { send(res, 200, { response: next.body, traceId: 'trace-fake' }); return }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    let text = ''
    const frames = next.events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify({ response: e, traceId: 'trace-fake' })}\r\n\r\n`)
    for (let i = 0; i < frames.length; i++) {
      if (next.gate !== undefined && i === next.gate.after) await next.gate.release
      if (next.cutAfter !== undefined && i >= next.cutAfter) { res.destroy(); return }
      if (next.chunkSize === undefined) await new Promise<void>((resolve) => res.write(frames[i], () => resolve()))
      else text += frames[i]
    }
    for (let i = 0; next.chunkSize !== undefined && i < text.length; i += next.chunkSize) {
      await new Promise<void>((resolve) => res.write(text.slice(i, i + (next.chunkSize ?? 0)), () => resolve()))
    }
    res.end()
  }

  async function serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = []
    for await (const c of req) parts.push(c as Buffer)
    const raw = Buffer.concat(parts).toString('utf8')
    const [path, query = ''] = (req.url ?? '/').split('?')
    if (path === '/token' && req.method === 'POST') {
      tokenCalls++
      const params = Object.fromEntries(new URLSearchParams(raw))
      grants.push(params)
      if (latency > 0) await sleep(latency)
      tokenEndpoint(params, req, res)
      return
    }
    const token = bearer(req)
    if (!live(token)) {
      send(res, 401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'))
      return
    }
    if (path === '/oauth2/v1/userinfo' && req.method === 'GET') {
      const email = access.get(token)?.email ?? ''
      send(res, 200, { id: '1234567890', email, verified_email: true, picture: '' })
      return
    }
    let body: Record<string, any> = {}
    try { body = JSON.parse(raw === '' ? '{}' : raw) as Record<string, any> } catch { send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.')); return }
    if (path === '/v1internal:streamGenerateContent' || path === '/v1internal:generateContent') { await generate(req, res, path, query, body); return }
    if (path.startsWith('/v1internal')) { setup(path, body, res); return }
    send(res, 404, googleError(404, 'NOT_FOUND', `no route ${path}`))
  }

  const server = createServer((req, res) => { void serve(req, res) })
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    tokenUrl: `${url}/token`,
    userinfoUrl: `${url}/oauth2/v1/userinfo?alt=json`,
    authorizeUrl: `${url}/o/oauth2/v2/auth`,
    project,
    requests,
    violations,
    get tokenCalls () { return tokenCalls },
    get refreshes () { return refreshes },
    grants,
    setupCalls,
    reply: (...replies) => { queue.push(...replies) },
    seed: ({ email = 'dev@example.com', expired = false } = {}) => {
      const a = issueAccess(email, expired ? -60 : 3599)
      const rt = `1//fake-refresh-${++serial}-${randomBytes(6).toString('hex')}`
      refresh.set(rt, email)
      return { email, access: a, refresh: rt }
    },
    isCurrent: live,
    authorize (authUrl, email = 'dev@example.com') {
      const u = new URL(authUrl)
      const p = u.searchParams
      const problems: string[] = []
      if (p.get('client_id') !== GOOGLE_CLIENT_ID) problems.push('client_id')
      if (p.get('response_type') !== 'code') problems.push('response_type')
      if (p.get('access_type') !== 'offline') problems.push('access_type=offline')
      if (p.get('prompt') !== 'consent') problems.push('prompt=consent')
      if (p.get('code_challenge_method') !== 'S256' || (p.get('code_challenge') ?? '') === '') problems.push('PKCE S256')
      if (!(p.get('scope') ?? '').split(' ').includes('https://www.googleapis.com/auth/cloud-platform')) problems.push('scope cloud-platform')
      const redirect = p.get('redirect_uri') ?? ''
      if (!/^http:\/\/(localhost|127\.0\.0\.1):\d+\/oauth-callback$/.test(redirect)) problems.push('loopback redirect_uri')
      if (problems.length > 0) throw new Error(`authorize URL rejected: ${problems.join(', ')}`)
      const code = `4/fake-code-${randomBytes(8).toString('hex')}`
      codes.set(code, { challenge: p.get('code_challenge') ?? '', redirect, email })
      const back = new URL(redirect)
      back.searchParams.set('state', p.get('state') ?? '')
      back.searchParams.set('code', code)
      back.searchParams.set('scope', p.get('scope') ?? '')
      return back.toString()
    },
    setTokenLatency: (ms) => { latency = ms },
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
