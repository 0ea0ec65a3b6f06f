// Display forms of secrets for admin/CLI output: never more than a short prefix and 4 trailing chars.
import type { Credential } from '../auth/types.ts'

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

const SECRET_FIELD = /token|secret|password|key|access|refresh/i

/** Copy of a credential with every secret field masked (key, token, access, refresh, and any extra field that looks like one). */
export function redactCredential<C extends Credential> (c: C): C {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c)) {
    out[k] = typeof v === 'string' && k !== 'type' && k !== 'provider' && SECRET_FIELD.test(k) ? maskSecret(v) : v
  }
  return out as C
}
