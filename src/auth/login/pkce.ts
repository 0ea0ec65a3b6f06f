// Authorization-code + PKCE logins (RFC 7636): Anthropic (claude.ai, code pasted back as
// `code#state`), OpenAI Codex (loopback callback on localhost:1455, or the redirect URL pasted)
// and Chutes ("Sign in with Chutes", loopback callback on 127.0.0.1:1456). Endpoints default to
// the ones in docs/providers.md and every one can be overridden (tests point them at loopback fakes).
import { createHash, randomBytes } from 'node:crypto'
import type { OAuthCredential } from '../types.ts'
import { codexAccountId, decodeJwtPayload, jwtExpiryMs } from '../oauth/jwt.ts'
import { startCallbackServer, type CallbackServer } from './callback-server.ts'
import { accessToken, expectJson, expiresAt, oauthTokens, request, str } from './http.ts'
import { type FlowDeps, type LoginIO, type LoginResult } from './types.ts'
import { isRecord } from '../../core/json.ts'
import { LoginError } from '../../core/errors.ts'

export interface Pkce { readonly verifier: string, readonly challenge: string }

export function createPkce (): Pkce {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export function randomState (): string {
  return randomBytes(24).toString('base64url')
}

// ---- endpoints -------------------------------------------------------------------------------

export interface AnthropicEndpoints {
  readonly authorizeUrl: string
  readonly tokenUrl: string
  readonly clientId: string
  readonly redirectUri: string
  readonly scope: string
}

export const ANTHROPIC_OAUTH: AnthropicEndpoints = {
  authorizeUrl: 'https://claude.ai/oauth/authorize',
  tokenUrl: 'https://console.anthropic.com/v1/oauth/token',
  clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
  redirectUri: 'https://console.anthropic.com/oauth/code/callback',
  scope: 'org:create_api_key user:profile user:inference',
}

export interface CodexEndpoints {
  readonly authorizeUrl: string
  readonly tokenUrl: string
  readonly clientId: string
  /** Loopback redirect; a port of 0 (tests) takes any free port. */
  readonly redirectUri: string
  readonly scope: string
  readonly originator: string
}

export const CODEX_OAUTH: CodexEndpoints = {
  authorizeUrl: 'https://auth.openai.com/oauth/authorize',
  tokenUrl: 'https://auth.openai.com/oauth/token',
  clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
  redirectUri: 'http://localhost:1455/auth/callback',
  scope: 'openid profile email offline_access',
  originator: 'codex_cli_rs',
}

export interface ChutesEndpoints {
  readonly authorizeUrl: string
  readonly tokenUrl: string
  readonly userinfoUrl: string
  /** App-specific (`cid_…`): Chutes has no public client. */
  readonly clientId: string
  readonly clientSecret?: string
  readonly redirectUri: string
  readonly scope: string
}

export const CHUTES_OAUTH: ChutesEndpoints = {
  authorizeUrl: 'https://api.chutes.ai/idp/authorize',
  tokenUrl: 'https://api.chutes.ai/idp/token',
  userinfoUrl: 'https://api.chutes.ai/idp/userinfo',
  clientId: '',
  redirectUri: 'http://127.0.0.1:1456/oauth-callback',
  scope: 'openid profile chutes:invoke',
}

// ---- shared steps ------------------------------------------------------------------------------

function authorizeUrl (base: string, params: Record<string, string>): string {
  const url = new URL(base)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.toString()
}

async function show (io: LoginIO, what: string, url: string): Promise<void> {
  io.print(`Open this URL to ${what}:`)
  io.print(url)
  try { await io.openUrl(url) } catch { /* printed above */ }
}

/**
 * What the user pasted: the whole redirect URL, `code#state`, a `code=…&state=…` query, or the
 * bare code. A state that is present must match ours.
 */
export function parsePastedCode (input: string, state: string): string {
  const line = input.trim()
  let code: string | null = null
  let got: string | null = null
  let error: string | null = null
  if (/^https?:\/\//i.test(line)) {
    const url = new URL(line)
    const params = url.searchParams.has('code') || url.searchParams.has('error') ? url.searchParams : new URLSearchParams(url.hash.slice(1))
    code = params.get('code')
    got = params.get('state')
    error = params.get('error')
  } else if (/(^|&)code=/.test(line)) {
    const params = new URLSearchParams(line.replace(/^\?/, ''))
    code = params.get('code')
    got = params.get('state')
    error = params.get('error')
  } else {
    const hash = line.indexOf('#')
    code = hash === -1 ? line : line.slice(0, hash)
    got = hash === -1 ? null : line.slice(hash + 1)
  }
  if (error !== null) throw new LoginError(`authorization failed: ${error.slice(0, 100)}`)
  if (code === null || code === '') throw new LoginError('no authorization code found in what was pasted')
  if (got !== null && got !== '' && got !== state) throw new LoginError('state mismatch: the code belongs to another login attempt; start again')
  return code
}

/**
 * The code from the loopback callback or from the user's paste, whichever comes first. With
 * no server the paste is the only way; an empty paste then is an error.
 */
async function waitForCode (io: LoginIO, server: CallbackServer | undefined, state: string, question: string): Promise<string> {
  const ac = new AbortController()
  const pasted = (async (): Promise<string> => {
    const line = (await io.prompt(question, ac.signal)).trim()
    if (line !== '') return parsePastedCode(line, state)
    if (server === undefined) throw new LoginError('no authorization code was pasted')
    // Nothing pasted: keep waiting for the browser.
    return await new Promise<string>(() => {})
  })()
  pasted.catch(() => {})
  try {
    return server === undefined ? await pasted : await Promise.race([server.code, pasted])
  } finally {
    ac.abort()
  }
}

export interface LoopbackLogin {
  readonly endpoints: { readonly authorizeUrl: string, readonly clientId: string, readonly scope: string, readonly redirectUri: string }
  /** Skip the callback server: the user pastes the redirect URL. */
  readonly manual: boolean
  /** What the URL is for, e.g. "sign in with ChatGPT". */
  readonly action: string
  /** Authorize-URL parameters after response_type, client_id, redirect_uri and scope, in order. */
  readonly params: (pkce: Pkce, state: string) => Record<string, string>
  /** Without a callback server, say how to find the redirect URL. */
  readonly explainPaste?: boolean
}

/**
 * The browser half of a login whose IdP redirects to a loopback callback: the authorize URL,
 * then the code from the callback or the user's paste. `exchange` runs while the callback
 * server is still up.
 */
export async function loopbackLogin<T> (io: LoginIO, login: LoopbackLogin, exchange: (code: string, redirectUri: string, pkce: Pkce) => Promise<T>): Promise<T> {
  const ep = login.endpoints
  const pkce = createPkce()
  const state = randomState()
  const server = login.manual ? undefined : await startCallbackServer(ep.redirectUri, state)
  try {
    const redirectUri = server?.redirectUri ?? ep.redirectUri
    const url = authorizeUrl(ep.authorizeUrl, {
      response_type: 'code',
      client_id: ep.clientId,
      redirect_uri: redirectUri,
      scope: ep.scope,
      ...login.params(pkce, state),
    })
    await show(io, login.action, url)
    if (server === undefined && login.explainPaste === true) {
      io.print(`Nothing listens on ${redirectUri}: after sign-in, copy the address of the page the browser lands on.`)
    }
    const code = await waitForCode(io, server,
      state, server === undefined ? 'Paste the redirect URL: ' : 'Waiting for the browser… (or paste the redirect URL here): ')
    return await exchange(code, redirectUri, pkce)
  } finally {
    await server?.close()
  }
}

// ---- Anthropic -------------------------------------------------------------------------------

export interface AnthropicLoginOptions extends FlowDeps {
  readonly endpoints?: Partial<AnthropicEndpoints>
}

export async function loginAnthropic (opts: AnthropicLoginOptions): Promise<LoginResult> {
  const ep: AnthropicEndpoints = { ...ANTHROPIC_OAUTH, ...opts.endpoints }
  const now = opts.now ?? Date.now
  const pkce = createPkce()
  const state = randomState()
  const url = authorizeUrl(ep.authorizeUrl, {
    code: 'true',
    client_id: ep.clientId,
    response_type: 'code',
    redirect_uri: ep.redirectUri,
    scope: ep.scope,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state,
  })
  await show(opts.io, 'sign in with your Claude account', url)
  const code = await waitForCode(opts.io, undefined, state, 'Paste the authorization code shown after sign-in (code#state): ')
  const what = 'Anthropic token exchange'
  const json = expectJson(await request(opts, what, ep.tokenUrl, {
    json: {
      grant_type: 'authorization_code',
      client_id: ep.clientId,
      code,
      state,
      redirect_uri: ep.redirectUri,
      code_verifier: pkce.verifier,
    },
  }), what)
  const access = accessToken(json, what)
  const t = now()
  const email = isRecord(json.account) ? str(json.account.email_address) : undefined
  const credential: OAuthCredential = {
    ...oauthTokens('anthropic', json, access, expiresAt(json, t, t + 8 * 3_600_000)),
    ...(email !== undefined ? { email } : {}),
  }
  return { profileId: `anthropic:${email ?? 'default'}`, credential }
}

// ---- OpenAI Codex -------------------------------------------------------------------------------

export interface CodexLoginOptions extends FlowDeps {
  readonly endpoints?: Partial<CodexEndpoints>
  /** Skip the loopback server: the user pastes the redirect URL (remote machines). */
  readonly manual?: boolean
}

function jwtEmail (token: string): string | undefined {
  const payload = decodeJwtPayload(token)
  if (payload === undefined) return undefined
  const profile = payload['https://api.openai.com/profile']
  return str(payload.email) ?? (isRecord(profile) ? str(profile.email) : undefined)
}

export async function loginOpenAICodex (opts: CodexLoginOptions): Promise<LoginResult> {
  const ep: CodexEndpoints = { ...CODEX_OAUTH, ...opts.endpoints }
  const now = opts.now ?? Date.now
  const login: LoopbackLogin = {
    endpoints: ep,
    manual: opts.manual === true,
    action: 'sign in with ChatGPT',
    params: (pkce, state) => ({
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      state,
      id_token_add_organizations: 'true',
      codex_cli_simplified_flow: 'true',
      originator: ep.originator,
    }),
    explainPaste: true,
  }
  return await loopbackLogin(opts.io, login, async (code, redirectUri, pkce) => {
    const what = 'OpenAI token exchange'
    const json = expectJson(await request(opts, what, ep.tokenUrl, {
      form: {
        grant_type: 'authorization_code',
        client_id: ep.clientId,
        code,
        code_verifier: pkce.verifier,
        redirect_uri: redirectUri,
      },
    }), what)
    const access = accessToken(json, what)
    const idToken = str(json.id_token)
    const accountId = codexAccountId(access) ?? (idToken !== undefined ? codexAccountId(idToken) : undefined)
    if (accountId === undefined) throw new LoginError('the ChatGPT token carries no account id (chatgpt_account_id); is Codex included in this plan?')
    const email = (idToken !== undefined ? jwtEmail(idToken) : undefined) ?? jwtEmail(access)
    const t = now()
    const credential: OAuthCredential = {
      ...oauthTokens('openai-codex', json, access, expiresAt(json, t, jwtExpiryMs(access) ?? t + 3_600_000)),
      accountId,
      ...(idToken !== undefined ? { idToken } : {}),
      ...(email !== undefined ? { email } : {}),
    }
    return { profileId: 'openai-codex:default', credential }
  })
}

// ---- Chutes -------------------------------------------------------------------------------------

export interface ChutesLoginOptions extends FlowDeps {
  readonly endpoints?: Partial<ChutesEndpoints>
  readonly manual?: boolean
}

export async function loginChutes (opts: ChutesLoginOptions): Promise<LoginResult> {
  const ep: ChutesEndpoints = { ...CHUTES_OAUTH, ...opts.endpoints }
  if (ep.clientId === '') {
    throw new LoginError('Chutes has no public OAuth client: create an app on chutes.ai and set models.providers.chutes.oauth.clientId (or CHUTES_CLIENT_ID, or --client-id)')
  }
  const now = opts.now ?? Date.now
  const login: LoopbackLogin = {
    endpoints: ep,
    manual: opts.manual === true,
    action: 'sign in with Chutes',
    params: (pkce, state) => ({ state, code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
  }
  return await loopbackLogin(opts.io, login, async (code, redirectUri, pkce) => {
    const what = 'Chutes token exchange'
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      client_id: ep.clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: pkce.verifier,
    }
    if (ep.clientSecret !== undefined && ep.clientSecret !== '') form.client_secret = ep.clientSecret
    const json = expectJson(await request(opts, what, ep.tokenUrl, { form }), what)
    const access = accessToken(json, what)
    // Who signed in: best effort, the token works without it.
    const info = await request(opts, 'Chutes userinfo', ep.userinfoUrl, { method: 'GET', headers: { authorization: `Bearer ${access}` } })
      .then((r) => r.ok ? r.json : undefined, () => undefined)
    const email = str(info?.email)
    const username = str(info?.username)
    const t = now()
    const credential: OAuthCredential = {
      ...oauthTokens('chutes', json, access, expiresAt(json, t, t + 3_600_000)),
      // Refresh needs the app's client (no universal one).
      clientId: ep.clientId,
      ...(ep.clientSecret !== undefined && ep.clientSecret !== '' ? { clientSecret: ep.clientSecret } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(username !== undefined ? { username } : {}),
    }
    return { profileId: `chutes:${email ?? 'default'}`, credential }
  })
}
