// Google Antigravity login (`rotor models auth login --provider google-antigravity`): the
// installed-app authorization-code flow with PKCE on a loopback callback (localhost:51121, or
// the redirect URL pasted), `access_type=offline` + `prompt=consent` so Google issues a refresh
// token; then the account's email (userinfo, for the profile id `google-antigravity:<email>`)
// and its Cloud Code Assist project (loadCodeAssist / onboardUser), stored as `projectId`.
// Endpoints default to the ones in docs/providers.md; every one can be overridden (tests use loopback fakes).
import { ANTIGRAVITY_BASE_URL, ANTIGRAVITY_PROVIDER, CLOUD_CODE_PROD_URL, discoverProject } from '../oauth/google-project.ts'
import { TOKEN_ENDPOINTS } from '../oauth/token-endpoints.ts'
import type { OAuthCredential } from '../types.ts'
import { accessToken, expectJson, expiresAt, oauthTokens, request, str } from './http.ts'
import { loopbackLogin, type LoopbackLogin } from './pkce.ts'
import { type FlowDeps, type LoginResult } from './types.ts'
import { LoginError, ProjectDiscoveryError } from '../../core/errors.ts'

export interface GoogleEndpoints {
  readonly authorizeUrl: string
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  /** Loopback redirect; a port of 0 (tests) takes any free port. */
  readonly redirectUri: string
  readonly scope: string
  readonly userinfoUrl: string
  /** Cloud Code Assist base(s) for project discovery, comma-separated, tried in order. */
  readonly codeAssistUrl: string
}

const token = TOKEN_ENDPOINTS[ANTIGRAVITY_PROVIDER]

export const GOOGLE_ANTIGRAVITY_OAUTH: GoogleEndpoints = {
  authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: token.tokenUrl ?? 'https://oauth2.googleapis.com/token',
  clientId: token.clientId ?? '',
  clientSecret: token.clientSecret ?? '',
  redirectUri: 'http://localhost:51121/oauth-callback',
  scope: ['cloud-platform', 'userinfo.email', 'userinfo.profile', 'cclog', 'experimentsandconfigs']
    .map((s) => `https://www.googleapis.com/auth/${s}`).join(' '),
  userinfoUrl: 'https://www.googleapis.com/oauth2/v1/userinfo?alt=json',
  // Production answers loadCodeAssist for every account; the sandbox is Antigravity's own.
  codeAssistUrl: `${CLOUD_CODE_PROD_URL},${ANTIGRAVITY_BASE_URL}`,
}

export interface GoogleLoginOptions extends FlowDeps {
  readonly endpoints?: Partial<GoogleEndpoints>
  /** Skip the loopback server: the user pastes the redirect URL (remote machines). */
  readonly manual?: boolean
}

export async function loginGoogleAntigravity (opts: GoogleLoginOptions): Promise<LoginResult> {
  const ep: GoogleEndpoints = { ...GOOGLE_ANTIGRAVITY_OAUTH, ...opts.endpoints }
  const now = opts.now ?? Date.now
  const login: LoopbackLogin = {
    endpoints: ep,
    manual: opts.manual === true,
    action: 'sign in with your Google account for Antigravity',
    params: (pkce, state) => ({
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      state,
      access_type: 'offline',
      prompt: 'consent',
    }),
    explainPaste: true,
  }
  return await loopbackLogin(opts.io, login, async (code, redirectUri, pkce) => {
    const what = 'Google token exchange'
    const json = expectJson(await request(opts, what, ep.tokenUrl, {
      form: {
        grant_type: 'authorization_code',
        client_id: ep.clientId,
        client_secret: ep.clientSecret,
        code,
        redirect_uri: redirectUri,
        code_verifier: pkce.verifier,
      },
    }), what)
    const access = accessToken(json, what)
    if (str(json.refresh_token) === undefined) {
      throw new LoginError('Google issued no refresh token; revoke rotor\'s access at https://myaccount.google.com/permissions and sign in again')
    }
    const t = now()
    // Who signed in: best effort, the token works without it.
    const info = await request(opts, 'Google userinfo', ep.userinfoUrl, { method: 'GET', headers: { authorization: `Bearer ${access}` } })
      .then((r) => r.ok ? r.json : undefined, () => undefined)
    const email = str(info?.email)
    opts.io.print('Finding the account\'s Cloud Code Assist project…')
    let projectId: string
    try {
      projectId = await discoverProject({
        accessToken: access,
        baseUrls: ep.codeAssistUrl.split(',').map((s) => s.trim().replace(/\/+$/, '')).filter((s) => s !== ''),
        fetch: opts.fetch,
        sleep: opts.sleep,
        timeoutMs: opts.timeoutMs,
        progress: (line) => { opts.io.print(line) },
      })
    } catch (err) {
      throw err instanceof ProjectDiscoveryError ? new LoginError(`signed in, but no Cloud Code Assist project: ${err.message}`) : err
    }
    const credential: OAuthCredential = {
      ...oauthTokens(ANTIGRAVITY_PROVIDER, json, access, expiresAt(json, t, t + 3_600_000)),
      projectId,
      ...(email !== undefined ? { email } : {}),
    }
    return { profileId: `${ANTIGRAVITY_PROVIDER}:${email ?? 'default'}`, credential }
  })
}
