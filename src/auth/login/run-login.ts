// Interactive logins per provider (`rotor models auth login --provider P`): one dispatch table
// and the mapping from config (`models.providers.<id>.oauth.*`) and env to endpoint overrides.
import { loginGitHubCopilot, loginQwenPortal } from './device-code.ts'
import { loginGoogleAntigravity } from './google.ts'
import { loginAnthropic, loginChutes, loginOpenAICodex } from './pkce.ts'
import type { FlowDeps, LoginResult } from './types.ts'

export const LOGIN_PROVIDERS = ['anthropic', 'openai-codex', 'qwen-portal', 'chutes', 'github-copilot', 'google-antigravity'] as const
export type LoginProvider = typeof LOGIN_PROVIDERS[number]

export function isLoginProvider (p: string): p is LoginProvider {
  return (LOGIN_PROVIDERS as readonly string[]).includes(p)
}

/**
 * Endpoint keys each flow reads from `models.providers.<id>.oauth`. Copilot's `tokenUrl` there
 * is the Copilot token exchange, so its GitHub endpoints have their own names.
 */
export const OVERRIDE_KEYS: Readonly<Record<LoginProvider, readonly string[]>> = {
  anthropic: ['authorizeUrl', 'tokenUrl', 'clientId', 'redirectUri', 'scope'],
  'openai-codex': ['authorizeUrl', 'tokenUrl', 'clientId', 'redirectUri', 'scope', 'originator'],
  chutes: ['authorizeUrl', 'tokenUrl', 'userinfoUrl', 'clientId', 'clientSecret', 'redirectUri', 'scope'],
  'qwen-portal': ['deviceCodeUrl', 'tokenUrl', 'clientId', 'scope'],
  'github-copilot': ['deviceCodeUrl', 'accessTokenUrl', 'clientId', 'scope'],
  'google-antigravity': ['authorizeUrl', 'tokenUrl', 'clientId', 'clientSecret', 'redirectUri', 'scope', 'userinfoUrl', 'codeAssistUrl'],
}

/** Overrides from a provider's `oauth` config object, then env (Chutes' app client). */
export function endpointOverrides (provider: LoginProvider, oauth: unknown, env: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
  const out: Record<string, string> = {}
  if (provider === 'chutes') {
    if (env.CHUTES_CLIENT_ID !== undefined && env.CHUTES_CLIENT_ID !== '') out.clientId = env.CHUTES_CLIENT_ID
    if (env.CHUTES_CLIENT_SECRET !== undefined && env.CHUTES_CLIENT_SECRET !== '') out.clientSecret = env.CHUTES_CLIENT_SECRET
  }
  if (typeof oauth === 'object' && oauth !== null) {
    const o = oauth as Record<string, unknown>
    for (const k of OVERRIDE_KEYS[provider]) {
      const v = o[k]
      if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim()
    }
  }
  return out
}

export interface RunLoginOptions extends FlowDeps {
  readonly provider: LoginProvider
  readonly endpoints?: Readonly<Record<string, string>>
  /** Codex/Chutes/Antigravity: no loopback server, paste the redirect URL. */
  readonly manual?: boolean
}

export async function runLogin (opts: RunLoginOptions): Promise<LoginResult> {
  const endpoints = opts.endpoints ?? {}
  switch (opts.provider) {
    case 'anthropic': return await loginAnthropic({ ...opts, endpoints })
    case 'openai-codex': return await loginOpenAICodex({ ...opts, endpoints })
    case 'chutes': return await loginChutes({ ...opts, endpoints })
    case 'qwen-portal': return await loginQwenPortal({ ...opts, endpoints })
    case 'github-copilot': return await loginGitHubCopilot({ ...opts, endpoints })
    case 'google-antigravity': return await loginGoogleAntigravity({ ...opts, endpoints })
  }
}
