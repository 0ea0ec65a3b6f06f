// Every secret value rotor holds, so that texts coming from upstreams and token endpoints can be
// scrubbed of them before they are logged or sent to a client (docs/operations.md, "Secrets").
// Upstreams echo keys back in their errors, and most keys carry no recognisable prefix, so a
// pattern cannot find them: the exact values can. Filled from each runtime snapshot (client and
// admin keys, provider keys and secret-looking headers, the Redis password), from every profile
// list read (file, config, env) and by the credential resolver whenever a token is refreshed or
// exchanged; old values stay (an upstream may echo the token it just rejected). Only error texts
// and log lines are scrubbed: a success body is never scanned.
import { topologySecrets } from '../config/redis-topology.ts'
import type { LoadedConfig } from '../config/types.ts'
import { isSecretFieldName, maskSecret, maskSecretPatterns } from '../core/mask.ts'
import type { Credential } from './types.ts'

/** Shorter values are not scrubbed: a 3-character key would turn every "abc" into a mask. */
export const MIN_SECRET_LENGTH = 8
/** Values kept (oldest forgotten first): old refreshed tokens are the ones worth dropping. */
const CAPACITY = 1024

export interface SecretRegistry {
  /** Registers values; undefined, empty and short ones are ignored, known ones cost a Map lookup. */
  add (...values: ReadonlyArray<string | undefined>): void
  /**
   * `text` with every registered secret (also in its JSON-escaped and URL-encoded forms) replaced
   * by its masked form (`sk-…1a2b`), then secret-looking tokens masked by pattern.
   */
  scrub (text: string): string
  readonly size: number
}

const jsonEscaped = (s: string): string => JSON.stringify(s).slice(1, -1)

/**
 * The forms a secret may take inside a text (as is, inside a JSON string such as a log line,
 * URL-encoded), each with the mask that replaces it (escaped like the form, so a log line stays JSON).
 */
function formsOf (secret: string): ReadonlyArray<readonly [string, string]> {
  const masked = maskSecret(secret)
  const forms: Array<readonly [string, string]> = [[secret, masked]]
  const json = jsonEscaped(secret)
  if (json !== secret) forms.push([json, jsonEscaped(masked)])
  const url = encodeURIComponent(secret)
  if (url !== secret) forms.push([url, masked])
  return forms
}

export function createSecretRegistry (capacity = CAPACITY): SecretRegistry {
  /** Secret → its forms and their masks, oldest first. */
  const secrets = new Map<string, ReadonlyArray<readonly [string, string]>>()
  /** Every form with its mask, longest form first (so a secret containing another goes first); rebuilt on change. */
  let table: ReadonlyArray<readonly [string, string]> | undefined

  function add (...values: ReadonlyArray<string | undefined>): void {
    for (const v of values) {
      if (v === undefined || v.length < MIN_SECRET_LENGTH || secrets.has(v)) continue
      secrets.set(v, formsOf(v))
      if (secrets.size > capacity) secrets.delete(secrets.keys().next().value as string)
      table = undefined
    }
  }

  function build (): ReadonlyArray<readonly [string, string]> {
    const rows: Array<readonly [string, string]> = []
    for (const forms of secrets.values()) rows.push(...forms)
    rows.sort((a, b) => b[0].length - a[0].length)
    return rows
  }

  function scrub (text: string): string {
    if (text === '') return text
    table ??= build()
    // One native substring search per form: faster than one big alternation regex for the
    // texts scrubbed here (error messages, log lines) and the number of secrets a gateway holds.
    let out = text
    for (const [form, masked] of table) if (out.includes(form)) out = out.replaceAll(form, () => masked)
    return maskSecretPatterns(out)
  }

  return { add, scrub, get size () { return secrets.size } }
}

const SECRET_HEADER = /authorization|key|token|secret|cookie|signature/i

/** key, token, access, refresh and any other field of a credential whose name says secret (idToken, clientSecret). */
export function credentialSecrets (c: Credential): string[] {
  const out: string[] = []
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === 'string' && isSecretFieldName(k)) out.push(v)
  }
  return out
}

/** A header value and, for `Bearer x`-style values, the credential after the scheme. */
function headerSecrets (headers: Readonly<Record<string, string>> | undefined, out: string[]): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!SECRET_HEADER.test(name)) continue
    out.push(value)
    const m = /^\S+\s+(\S+)$/.exec(value.trim())
    if (m !== null) out.push(m[1])
  }
}

/** Secrets a config snapshot holds: client and admin keys, provider keys and auth headers, the Redis passwords. */
export function configSecrets (config: LoadedConfig): string[] {
  const out: string[] = []
  for (const c of config.gateway.clients) out.push(c.key)
  if (config.gateway.adminKey !== undefined) out.push(config.gateway.adminKey)
  for (const p of config.catalog.providers.values()) {
    if (p.apiKey !== undefined) out.push(p.apiKey)
    headerSecrets(p.headers, out)
    for (const m of p.models.values()) headerSecrets(m.headers, out)
  }
  out.push(...topologySecrets(config.state.redis))
  return out
}
