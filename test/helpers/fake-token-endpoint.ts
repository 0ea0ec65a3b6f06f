// A rotating OAuth token endpoint (and a Copilot token exchange) on a loopback port, strict the
// way real providers are: each refresh token works once; replaying a used one answers
// `refresh_token_reused` and revokes the whole family (RFC 9700), so a duplicate refresh
// breaks every later request instead of passing unnoticed. Every call is counted.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface TokenPair { readonly access: string, readonly refresh: string }

export interface FakeTokenEndpointOptions {
  /** Lifetime of issued access tokens, seconds (default 3600). */
  readonly expiresIn?: number
  /** Issue access tokens as unsigned JWTs carrying Codex's account claim. */
  readonly jwtAccountId?: string
  /** `endpoints.api` of the Copilot exchange answer. */
  readonly copilotApi?: string
  /** Copilot token lifetime, seconds (default 1800). */
  readonly copilotExpiresIn?: number
  /** Replaying a used refresh token revokes its family (default true). */
  readonly revokeOnReuse?: boolean
}

export interface FakeTokenEndpoint {
  readonly url: string
  /** POST here for refresh grants (JSON or form bodies). */
  readonly tokenUrl: string
  /** GET here with `Authorization: token <github token>` for a Copilot token. */
  readonly copilotUrl: string
  /** Requests to tokenUrl, whatever the answer. */
  readonly calls: number
  /** Requests to tokenUrl received so far, counted on arrival (before the latency): one in flight shows here first. */
  readonly received: number
  /** Refresh grants that issued a new pair. */
  readonly refreshes: number
  /** Grants refused because the refresh token was used before or unknown. */
  readonly rejected: number
  readonly exchanges: number
  /** Form/JSON parameters of each tokenUrl request. */
  readonly grants: Array<Record<string, string>>
  /** A new token family, as a login would create. */
  seed (): TokenPair
  /** True only for the latest access token of a live family. */
  isCurrent (access: string): boolean
  /**
   * Accepted the way real providers accept access tokens: issued here, not expired, its family
   * not revoked — a token rotated out by a later refresh stays good until it expires.
   */
  isIssued (access: string): boolean
  /** The latest pair of the family `refresh` belongs to. */
  latest (): TokenPair
  /**
   * Answer every token request with this status (undefined = normal). `describe` writes the
   * error description from the request's parameters (`github_token` for the Copilot exchange),
   * e.g. to echo the refresh token back the way some endpoints do.
   */
  failWith (status: number | undefined, describe?: (params: Record<string, string>) => string): void
  /** Delay before each answer. */
  setLatency (ms: number): void
  /** Accept this GitHub token for the Copilot exchange. */
  allowGithubToken (token: string): void
  isCurrentCopilot (token: string): boolean
  close (): Promise<void>
}

interface Family { current: TokenPair, revoked: boolean }

interface Issued { readonly family: Family, readonly expires: number }

/** An unsigned JWT (alg none) with the given payload; enough for claim decoding. */
export function unsignedJwt (payload: Record<string, unknown>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`
}

export async function startFakeTokenEndpoint (opts: FakeTokenEndpointOptions = {}): Promise<FakeTokenEndpoint> {
  const families: Family[] = []
  const byRefresh = new Map<string, { family: Family, used: boolean }>()
  const byAccess = new Map<string, Issued>()
  const githubTokens = new Set<string>()
  const copilotTokens = new Set<string>()
  const grants: Array<Record<string, string>> = []
  let calls = 0
  let received = 0
  let refreshes = 0
  let rejected = 0
  let exchanges = 0
  let failStatus: number | undefined
  let failDescribe: ((params: Record<string, string>) => string) | undefined
  let latencyMs = 0
  let serial = 0
  const sockets = new Set<Socket>()

  function issue (): TokenPair {
    serial++
    const rnd = randomBytes(8).toString('hex')
    const access = opts.jwtAccountId === undefined
      ? `fake-access-${serial}-${rnd}`
      : unsignedJwt({ exp: Math.floor(Date.now() / 1000) + (opts.expiresIn ?? 3600), n: serial, 'https://api.openai.com/auth': { chatgpt_account_id: opts.jwtAccountId } })
    return { access, refresh: `fake-refresh-${serial}-${rnd}` }
  }

  function seed (): TokenPair {
    const family: Family = { current: issue(), revoked: false }
    families.push(family)
    byAccess.set(family.current.access, { family, expires: Date.now() + (opts.expiresIn ?? 3600) * 1000 })
    byRefresh.set(family.current.refresh, { family, used: false })
    return family.current
  }

  function send (res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  function refreshGrant (params: Record<string, string>, res: ServerResponse): void {
    if (params.grant_type !== 'refresh_token') { send(res, 400, { error: 'unsupported_grant_type' }); return }
    const entry = byRefresh.get(params.refresh_token ?? '')
    if (entry === undefined || entry.family.revoked) {
      rejected++
      send(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' })
      return
    }
    if (entry.used) {
      // Replay of a rotated-out token: revoke the family, as OpenAI and RFC 9700 do.
      rejected++
      if (opts.revokeOnReuse !== false) entry.family.revoked = true
      send(res, 401, { error: { message: 'Your refresh token has already been used to generate a new access token.', type: 'invalid_request_error', code: 'refresh_token_reused' } })
      return
    }
    entry.used = true
    const next = issue()
    entry.family.current = next
    byAccess.set(next.access, { family: entry.family, expires: Date.now() + (opts.expiresIn ?? 3600) * 1000 })
    byRefresh.set(next.refresh, { family: entry.family, used: false })
    refreshes++
    send(res, 200, { access_token: next.access, refresh_token: next.refresh, token_type: 'Bearer', expires_in: opts.expiresIn ?? 3600 })
  }

  function copilotExchange (req: IncomingMessage, res: ServerResponse): void {
    exchanges++
    const auth = req.headers.authorization ?? ''
    const gh = auth.replace(/^(token|Bearer)\s+/i, '')
    if (!githubTokens.has(gh)) { send(res, 401, { message: 'Bad credentials' }); return }
    const token = `tid=${randomBytes(6).toString('hex')};exp=${Math.floor(Date.now() / 1000) + 1800};proxy-ep=proxy.individual.githubcopilot.com`
    copilotTokens.add(token)
    send(res, 200, {
      token,
      expires_at: Math.floor(Date.now() / 1000) + (opts.copilotExpiresIn ?? 1800),
      refresh_in: 1500,
      endpoints: { api: opts.copilotApi ?? 'https://api.individual.githubcopilot.com' },
    })
  }

  async function serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = []
    for await (const c of req) parts.push(c as Buffer)
    const raw = Buffer.concat(parts).toString('utf8')
    const path = (req.url ?? '').split('?')[0]
    if (path === '/oauth/token') received++
    if (latencyMs > 0) await sleep(latencyMs)
    if (path === '/copilot_internal/v2/token' && req.method === 'GET') {
      if (failStatus !== undefined) {
        exchanges++
        const gh = (req.headers.authorization ?? '').replace(/^(token|Bearer)\s+/i, '')
        send(res, failStatus, { message: failDescribe?.({ github_token: gh }) ?? 'exchange unavailable' })
        return
      }
      copilotExchange(req, res)
      return
    }
    if (path !== '/oauth/token' || req.method !== 'POST') { send(res, 404, { error: 'not_found' }); return }
    calls++
    let params: Record<string, string> = {}
    if ((req.headers['content-type'] ?? '').includes('json')) {
      try { params = JSON.parse(raw) as Record<string, string> } catch { /* empty */ }
    } else {
      params = Object.fromEntries(new URLSearchParams(raw))
    }
    grants.push(params)
    if (failStatus !== undefined) { send(res, failStatus, { error: 'server_error', error_description: failDescribe?.(params) ?? 'token service unavailable' }); return }
    refreshGrant(params, res)
  }

  const server = createServer((req, res) => { void serve(req, res) })
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    tokenUrl: `${url}/oauth/token`,
    copilotUrl: `${url}/copilot_internal/v2/token`,
    get calls () { return calls },
    get received () { return received },
    get refreshes () { return refreshes },
    get rejected () { return rejected },
    get exchanges () { return exchanges },
    grants,
    seed,
    isCurrent: (access) => families.some((f) => !f.revoked && f.current.access === access),
    isIssued (access) {
      const i = byAccess.get(access)
      return i !== undefined && !i.family.revoked && i.expires > Date.now()
    },
    latest: () => {
      const f = families[families.length - 1]
      if (f === undefined) throw new Error('no token family seeded')
      return f.current
    },
    failWith: (status, describe) => { failStatus = status; failDescribe = describe },
    setLatency: (ms) => { latencyMs = ms },
    allowGithubToken: (t) => { githubTokens.add(t) },
    isCurrentCopilot: (t) => copilotTokens.has(t),
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
