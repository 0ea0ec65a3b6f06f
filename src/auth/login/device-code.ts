// Device-authorization logins (RFC 8628): Qwen Portal (with PKCE, docs/providers.md) and GitHub
// for Copilot (docs/providers.md). The user opens a URL and enters a code; rotor polls the
// token endpoint at the interval the server asks for. Endpoints can be overridden.
import { errorReason } from '../oauth/token-endpoints.ts'
import type { OAuthCredential, TokenCredential } from '../types.ts'
import { accessToken, expectJson, expiresAt, oauthTokens, request, str } from './http.ts'
import { createPkce } from './pkce.ts'
import { type FlowDeps, type LoginResult } from './types.ts'
import { LoginError } from '../../core/errors.ts'

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

export interface QwenEndpoints {
  readonly deviceCodeUrl: string
  readonly tokenUrl: string
  readonly clientId: string
  readonly scope: string
}

export const QWEN_OAUTH: QwenEndpoints = {
  deviceCodeUrl: 'https://chat.qwen.ai/api/v1/oauth2/device/code',
  tokenUrl: 'https://chat.qwen.ai/api/v1/oauth2/token',
  clientId: 'f0304373b74a44d2b584a3fb70ca9e56',
  scope: 'openid profile email model.completion',
}

export interface GitHubDeviceEndpoints {
  readonly deviceCodeUrl: string
  /** GitHub's OAuth token endpoint (not the Copilot token exchange). */
  readonly accessTokenUrl: string
  readonly clientId: string
  readonly scope: string
}

export const GITHUB_COPILOT_OAUTH: GitHubDeviceEndpoints = {
  deviceCodeUrl: 'https://github.com/login/device/code',
  accessTokenUrl: 'https://github.com/login/oauth/access_token',
  clientId: 'Iv1.b507a08c87ecfe98',
  scope: 'read:user',
}

/** RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval. */
const SLOW_DOWN_MS = 5000
const DEFAULT_INTERVAL_S = 5

interface DeviceCode {
  readonly deviceCode: string
  readonly userCode: string
  readonly verificationUri: string
  readonly verificationUriComplete: string | undefined
  readonly intervalMs: number
  /** ms epoch after which the code is dead. */
  readonly deadline: number
}

function seconds (v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

async function requestDeviceCode (deps: FlowDeps, what: string, url: string, form: Record<string, string>, now: number): Promise<DeviceCode> {
  const json = expectJson(await request(deps, what, url, { form }), what)
  const deviceCode = str(json.device_code)
  const userCode = str(json.user_code)
  const verificationUri = str(json.verification_uri) ?? str(json.verification_url)
  if (deviceCode === undefined || userCode === undefined || verificationUri === undefined) {
    throw new LoginError(`${what} failed: the answer lacks device_code, user_code or verification_uri`)
  }
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: str(json.verification_uri_complete),
    intervalMs: (seconds(json.interval) ?? DEFAULT_INTERVAL_S) * 1000,
    deadline: now + (seconds(json.expires_in) ?? 900) * 1000,
  }
}

async function showDeviceCode (deps: FlowDeps, code: DeviceCode, service: string): Promise<void> {
  const open = code.verificationUriComplete ?? code.verificationUri
  deps.io.print(`To sign in to ${service}, open ${code.verificationUri} and enter the code ${code.userCode}`)
  if (code.verificationUriComplete !== undefined) deps.io.print(`(or open ${code.verificationUriComplete})`)
  try { await deps.io.openUrl(open) } catch { /* printed above */ }
  deps.io.print('Waiting for you to approve…')
}

const timerSleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms) })

/**
 * Polls the token endpoint until it hands out a token. Pending answers come as HTTP 400 (RFC)
 * or as 200 with an `error` field (GitHub); both are read the same way.
 */
async function pollForToken (deps: FlowDeps, what: string, url: string, form: Record<string, string>, code: DeviceCode): Promise<Record<string, unknown>> {
  const now = deps.now ?? Date.now
  const sleep = deps.sleep ?? timerSleep
  let interval = code.intervalMs
  for (;;) {
    if (now() >= code.deadline) throw new LoginError(`${what}: the device code expired before it was approved; start the login again`)
    await sleep(interval)
    const reply = await request(deps, what, url, { form })
    const json = reply.json
    const error = str(json?.error)
    if (reply.ok && json !== undefined && error === undefined && str(json.access_token) !== undefined) return json
    switch (error) {
      case 'authorization_pending':
        continue
      case 'slow_down': {
        const asked = seconds(json?.interval)
        interval = asked !== undefined && asked * 1000 > interval ? asked * 1000 : interval + SLOW_DOWN_MS
        continue
      }
      case 'expired_token':
        throw new LoginError(`${what}: the device code expired; start the login again`)
      case 'access_denied':
        throw new LoginError(`${what}: the sign-in was denied`)
      default:
        // Any other answer is final (GitHub reports errors with status 200).
        if (error === undefined && reply.ok) throw new LoginError(`${what} failed: HTTP ${reply.status}: the answer has no access_token`)
        throw new LoginError(`${what} failed: ${errorReason(reply.status, reply.text).reason}`)
    }
  }
}

// ---- Qwen Portal ------------------------------------------------------------------------------

export interface QwenLoginOptions extends FlowDeps {
  readonly endpoints?: Partial<QwenEndpoints>
}

export async function loginQwenPortal (opts: QwenLoginOptions): Promise<LoginResult> {
  const ep: QwenEndpoints = { ...QWEN_OAUTH, ...opts.endpoints }
  const now = opts.now ?? Date.now
  const pkce = createPkce()
  const code = await requestDeviceCode(opts, 'Qwen device authorization', ep.deviceCodeUrl, {
    client_id: ep.clientId,
    scope: ep.scope,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }, now())
  await showDeviceCode(opts, code, 'Qwen')
  const what = 'Qwen token request'
  const json = await pollForToken(opts, what, ep.tokenUrl, {
    grant_type: DEVICE_GRANT,
    client_id: ep.clientId,
    device_code: code.deviceCode,
    code_verifier: pkce.verifier,
  }, code)
  const access = accessToken(json, what)
  const t = now()
  const resourceUrl = str(json.resource_url)
  const credential: OAuthCredential = {
    ...oauthTokens('qwen-portal', json, access, expiresAt(json, t, t + 3_600_000)),
    ...(resourceUrl !== undefined ? { resourceUrl } : {}),
  }
  return { profileId: 'qwen-portal:default', credential }
}

// ---- GitHub Copilot -----------------------------------------------------------------------------

export interface GitHubCopilotLoginOptions extends FlowDeps {
  readonly endpoints?: Partial<GitHubDeviceEndpoints>
}

/**
 * GitHub device flow with the Copilot editor client. The GitHub token is stored as a `token`
 * credential; the gateway exchanges it for short-lived Copilot tokens on use.
 */
export async function loginGitHubCopilot (opts: GitHubCopilotLoginOptions): Promise<LoginResult> {
  const ep: GitHubDeviceEndpoints = { ...GITHUB_COPILOT_OAUTH, ...opts.endpoints }
  const now = opts.now ?? Date.now
  const code = await requestDeviceCode(opts, 'GitHub device authorization', ep.deviceCodeUrl, {
    client_id: ep.clientId,
    scope: ep.scope,
  }, now())
  await showDeviceCode(opts, code, 'GitHub')
  const what = 'GitHub token request'
  const json = await pollForToken(opts, what, ep.accessTokenUrl, {
    client_id: ep.clientId,
    device_code: code.deviceCode,
    grant_type: DEVICE_GRANT,
  }, code)
  const credential: TokenCredential = { type: 'token', provider: 'github-copilot', token: accessToken(json, what) }
  return { profileId: 'github-copilot:github', credential }
}
