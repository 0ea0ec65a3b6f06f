// The few HTTP calls a login makes (token, device-code and userinfo endpoints), with errors
// that name the endpoint's OAuth error and never echo a token.
import { errorReason, transportReason, type FetchLike } from '../oauth/token-endpoints.ts'
import type { OAuthCredential } from '../types.ts'
import { type FlowDeps } from './types.ts'
import { isRecord } from '../../core/json.ts'
import { LoginError } from '../../core/errors.ts'

export const DEFAULT_TIMEOUT_MS = 30_000

export interface JsonReply {
  readonly status: number
  readonly ok: boolean
  /** The parsed body; undefined when it was not JSON. */
  readonly json: Record<string, unknown> | undefined
  readonly text: string
}

export function str (v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

export interface RequestSpec {
  readonly method?: 'GET' | 'POST'
  /** Form fields (x-www-form-urlencoded) or a JSON body. */
  readonly form?: Record<string, string>
  readonly json?: Record<string, unknown>
  readonly headers?: Record<string, string>
}

/** One request; resolves to status and body whatever the status. Throws LoginError on transport failure. */
export async function request (deps: FlowDeps, what: string, url: string, spec: RequestSpec): Promise<JsonReply> {
  const fetchFn: FetchLike = deps.fetch ?? fetch
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const headers: Record<string, string> = { accept: 'application/json', ...spec.headers }
  let body: string | undefined
  if (spec.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(spec.form).toString()
  } else if (spec.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(spec.json)
  }
  let res: Response
  let text: string
  try {
    res = await fetchFn(url, { method: spec.method ?? 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) })
    text = await res.text()
  } catch (err) {
    throw new LoginError(`${what} failed: ${transportReason(err, timeoutMs)}`)
  }
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: res.status, ok: res.ok, json: isRecord(json) ? json : undefined, text }
}

/** The JSON body of a 2xx answer, else a LoginError naming the endpoint's error. */
export function expectJson (reply: JsonReply, what: string): Record<string, unknown> {
  if (!reply.ok) throw new LoginError(`${what} failed: ${errorReason(reply.status, reply.text).reason}`)
  if (reply.json === undefined) throw new LoginError(`${what} failed: HTTP ${reply.status}: the answer is not JSON`)
  return reply.json
}

/** `expires_in` seconds → ms epoch; `fallback` (ms epoch) when absent. */
export function expiresAt (json: Record<string, unknown>, now: number, fallback: number): number {
  const s = typeof json.expires_in === 'number' ? json.expires_in : typeof json.expires_in === 'string' ? Number(json.expires_in) : NaN
  return Number.isFinite(s) && s > 0 ? now + s * 1000 : fallback
}

/** The token response's `access_token`, or a LoginError. */
export function accessToken (json: Record<string, unknown>, what: string): string {
  const access = str(json.access_token)
  if (access === undefined) throw new LoginError(`${what} failed: the answer has no access_token`)
  return access
}

/** The token part of a login's oauth credential; logins add their own fields after it. */
export function oauthTokens (provider: string, json: Record<string, unknown>, access: string, expires: number): OAuthCredential {
  return { type: 'oauth', provider, access, refresh: str(json.refresh_token) ?? '', expires }
}
