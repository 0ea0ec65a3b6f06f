// Refresh-token grants per provider, as one table (docs/providers.md). The
// catalog's `models.providers.<id>.oauth.{tokenUrl,clientId}` override the defaults here; an
// unknown provider with a configured tokenUrl gets a plain RFC 6749 form grant.
import { safeMessage } from '../../core/classify.ts'
import { createSecretRegistry } from '../secret-registry.ts'
import { codexAccountId, jwtExpiryMs } from './jwt.ts'
import { type StoredToken } from './types.ts'
import { isRecord } from '../../core/json.ts'
import { RefreshError } from '../../core/errors.ts'

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

interface EndpointSpec {
  readonly tokenUrl?: string
  readonly clientId?: string
  /** Installed-app clients' public secret (Google requires it on every grant). */
  readonly clientSecret?: string
  readonly body: 'json' | 'form'
  /** Provider fields taken from a token response (kept old ones win when absent). */
  readonly fields?: (json: Record<string, unknown>, access: string) => Record<string, unknown>
}

const str = (v: unknown): string | undefined => typeof v === 'string' && v !== '' ? v : undefined

export const TOKEN_ENDPOINTS: Readonly<Record<string, EndpointSpec>> = {
  anthropic: {
    tokenUrl: 'https://console.anthropic.com/v1/oauth/token',
    clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
    body: 'json',
  },
  'openai-codex': {
    tokenUrl: 'https://auth.openai.com/oauth/token',
    clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
    body: 'form',
    fields: (json, access) => {
      const idToken = str(json.id_token)
      const accountId = codexAccountId(access) ?? (idToken === undefined ? undefined : codexAccountId(idToken))
      return { ...(idToken !== undefined ? { idToken } : {}), ...(accountId !== undefined ? { accountId } : {}) }
    },
  },
  'qwen-portal': {
    tokenUrl: 'https://chat.qwen.ai/api/v1/oauth2/token',
    clientId: 'f0304373b74a44d2b584a3fb70ca9e56',
    body: 'form',
    fields: (json) => str(json.resource_url) !== undefined ? { resourceUrl: json.resource_url } : {},
  },
  // No universal public client: clientId comes from config or the credential's `clientId`.
  chutes: { tokenUrl: 'https://api.chutes.ai/idp/token', body: 'form' },
  // Google also wants the installed-app client secret, public in the Antigravity app.
  'google-antigravity': {
    tokenUrl: 'https://oauth2.googleapis.com/token',
    clientId: '1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com',
    clientSecret: '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',
    body: 'form',
  },
}

const GENERIC: EndpointSpec = { body: 'form' }

export interface RefreshInput {
  readonly provider: string
  readonly current: StoredToken
  /** The catalog's provider `oauth` settings (config overrides of the table). */
  readonly override: Readonly<{ tokenUrl?: string, clientId?: string }> | undefined
  readonly now: number
  readonly fetch?: FetchLike
  readonly timeoutMs?: number
}

export const REFRESH_TIMEOUT_MS = 20_000

/** The innermost message of a transport error (`fetch failed` says nothing). */
export function transportReason (err: unknown, timeoutMs: number): string {
  if (isRecord(err) && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`
  let e: unknown = err
  let deepest = err instanceof Error ? err.message : String(err)
  for (let i = 0; i < 5 && isRecord(e); i++) {
    const m = typeof e.message === 'string' ? e.message : ''
    if (typeof e.code === 'string') return safeMessage(m.includes(e.code) ? m : `${e.code}: ${m}`)
    if (m !== '') deepest = m
    e = e.cause
  }
  return safeMessage(deepest)
}

/** `HTTP 400 invalid_grant: <description>` from an OAuth error body (RFC 6749 or OpenAI's nested form). */
export function errorReason (status: number, text: string): { reason: string, code: string | undefined } {
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  let code: string | undefined
  let description: string | undefined
  if (isRecord(json)) {
    const e = json.error
    if (isRecord(e)) {
      code = str(e.code) ?? str(e.type)
      description = str(e.message)
    } else {
      code = str(e)
    }
    description ??= str(json.error_description) ?? str(json.message) ?? str(json.detail)
  }
  const parts = [`HTTP ${status}`]
  if (code !== undefined) parts.push(` ${safeMessage(code, 60)}`)
  if (description !== undefined) parts.push(`: ${safeMessage(description, 160)}`)
  return { reason: parts.join(''), code }
}

async function post (fetchFn: FetchLike, url: string, spec: EndpointSpec, params: Record<string, string>, timeoutMs: number): Promise<Response> {
  const body = spec.body === 'json' ? JSON.stringify(params) : new URLSearchParams(params).toString()
  try {
    return await fetchFn(url, {
      method: 'POST',
      headers: {
        'content-type': spec.body === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    throw new RefreshError(transportReason(err, timeoutMs))
  }
}

/**
 * A RefreshError whose reason no longer holds any of `sent` (the tokens and client secret a
 * request carried): some endpoints echo the refresh token in their error description.
 */
export function withoutSent (err: unknown, sent: ReadonlyArray<string | undefined>): unknown {
  if (!(err instanceof RefreshError)) return err
  const secrets = createSecretRegistry()
  secrets.add(...sent)
  return new RefreshError(secrets.scrub(err.reason), err.oauthError)
}

/** One refresh-token grant. Resolves to the next token; throws RefreshError (never with a token in it). */
export async function refreshOAuthToken (input: RefreshInput): Promise<StoredToken> {
  try {
    return await grant(input)
  } catch (err) {
    throw withoutSent(err, [input.current.refresh, input.current.access, str(input.current.fields.clientSecret)])
  }
}

async function grant (input: RefreshInput): Promise<StoredToken> {
  const spec = TOKEN_ENDPOINTS[input.provider] ?? GENERIC
  const tokenUrl = input.override?.tokenUrl ?? spec.tokenUrl
  if (tokenUrl === undefined || tokenUrl === '') {
    throw new RefreshError(`no token endpoint known; set models.providers.${input.provider}.oauth.tokenUrl`)
  }
  const { current } = input
  if (current.refresh === '') throw new RefreshError('the credential has no refresh token; log in again')
  const clientId = str(current.fields.clientId) ?? input.override?.clientId ?? spec.clientId
  // The built-in secret belongs to the built-in client only.
  const clientSecret = str(current.fields.clientSecret) ?? (clientId === spec.clientId ? spec.clientSecret : undefined)
  const params: Record<string, string> = { grant_type: 'refresh_token', refresh_token: current.refresh }
  if (clientId !== undefined) params.client_id = clientId
  if (clientSecret !== undefined) params.client_secret = clientSecret
  const timeoutMs = input.timeoutMs ?? REFRESH_TIMEOUT_MS
  const res = await post(input.fetch ?? fetch, tokenUrl, spec, params, timeoutMs)
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    throw new RefreshError(`HTTP ${res.status}: ${transportReason(err, timeoutMs)}`)
  }
  if (!res.ok) {
    const { reason, code } = errorReason(res.status, text)
    throw new RefreshError(reason, code)
  }
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  if (!isRecord(json)) throw new RefreshError(`HTTP ${res.status}: the token endpoint did not answer JSON`)
  const access = str(json.access_token)
  if (access === undefined) throw new RefreshError(`HTTP ${res.status}: the token response has no access_token`)
  return {
    access,
    // Providers that do not rotate (Google) omit it: the old one stays valid.
    refresh: str(json.refresh_token) ?? current.refresh,
    expires: expiryOf(json, access, input.now),
    fields: { ...current.fields, ...spec.fields?.(json, access) },
  }
}

function expiryOf (json: Record<string, unknown>, access: string, now: number): number {
  const inS = typeof json.expires_in === 'number' ? json.expires_in : typeof json.expires_in === 'string' ? Number(json.expires_in) : NaN
  if (Number.isFinite(inS) && inS > 0) return now + inS * 1000
  return jwtExpiryMs(access) ?? now + 3_600_000
}
