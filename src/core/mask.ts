// Display forms of secrets for admin/CLI output and scrubbed texts: never more than a short
// prefix and 4 trailing chars.

const ELLIPSIS = '…'

/**
 * `sk-ant-api03-…xyz1a2b` → `sk-ant-…1a2b`; `gho_abcdef…` → `gho…1a2b`.
 * Secrets shorter than 12 chars show at most their last 2 chars (`****` under 8).
 */
export function maskSecret (s: string): string {
  if (s.length < 8) return '****'
  if (s.length < 12) return ELLIPSIS + s.slice(-2)
  const tail = s.slice(-4)
  let prefix = s.slice(0, 3)
  if (s.startsWith('sk-')) {
    const second = s.indexOf('-', 3)
    // A long first group is secret material, not a vendor marker: keep just `sk-`.
    if (second !== -1 && second <= 10 && s.length - (second + 1) >= 12) prefix = s.slice(0, second + 1)
  }
  return prefix + ELLIPSIS + tail
}

// Backstop for secrets rotor does not hold. A vendor prefix counts when no letter or digit comes
// right before it, so `key_sk-proj-…` (glued to a word by `_`) is caught but `task-…` is not.
const PREFIXED = /(?<![A-Za-z0-9])(?:sk-|gh[opsu]_|github_pat_|vapi_|xai-|gsk_|r8_|cpk_|AKIA|ya29\.)[A-Za-z0-9_.~+/=-]{12,}/g
const JWT = /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g
// Copilot session tokens (`tid=…;exp=…;…:sig`) carry `;`, `=` and `:`.
const SCHEME = /\b(Bearer|Basic)(\s+)([A-Za-z0-9_.~+/=:;-]{12,})/gi

const mask = (token: string): string => maskSecret(token)

/** Masks secret-looking tokens: vendor-prefixed keys, JWTs, the credential after `Bearer`/`Basic`. */
export function maskSecretPatterns (text: string): string {
  return text
    .replace(SCHEME, (_m, scheme: string, space: string, token: string) => scheme + space + maskSecret(token))
    .replace(JWT, mask)
    .replace(PREFIXED, mask)
}

/** A credential field whose name says it holds a secret: key, token, access, refresh, idToken, clientSecret … */
export function isSecretFieldName (name: string): boolean {
  return name !== 'type' && name !== 'provider' && /token|secret|password|key|access|refresh/i.test(name)
}

/** A URL safe to print or log (a Redis URL): its password replaced by `***`. */
export function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}
