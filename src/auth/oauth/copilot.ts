// GitHub Copilot (docs/providers.md): the GitHub token found in the Copilot/gh CLIs' files, and
// its exchange for the short-lived Copilot session token (+ the API base URL to use).
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { errorReason, transportReason, withoutSent, type FetchLike, REFRESH_TIMEOUT_MS } from './token-endpoints.ts'
import { homeOf, type Env } from './external-cli.ts'
import { type StoredToken } from './types.ts'
import { isRecord } from '../../core/json.ts'
import { RefreshError } from '../../core/errors.ts'

export const COPILOT_PROVIDER = 'github-copilot'
export const COPILOT_DISCOVERED_PROFILE = 'github-copilot:github'
export const COPILOT_TOKEN_URL = 'https://api.github.com/copilot_internal/v2/token'
/** Env vars that already give `github-copilot:env` (builtin-providers.ts). */
export const COPILOT_ENV_VARS: readonly string[] = ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN']

/** Editor identity the token exchange and the API both check (one copy: providers/github-copilot.ts sends it too). */
export const COPILOT_EDITOR_HEADERS: Readonly<Record<string, string>> = {
  'editor-version': 'vscode/1.107.0',
  'editor-plugin-version': 'copilot-chat/0.35.0',
  'user-agent': 'GitHubCopilotChat/0.35.0',
}

const str = (v: unknown): string | undefined => typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined

function readText (path: string): string | undefined {
  try { return readFileSync(path, 'utf8') } catch { return undefined }
}

const TOKEN_KEYS = ['oauth_token', 'github_token', 'token', 'access_token']

/** First token-looking string under the usual keys, preferring github.com entries; depth ≤ 3. */
function findToken (v: unknown, depth = 0): string | undefined {
  if (!isRecord(v) || depth > 3) return undefined
  for (const k of TOKEN_KEYS) {
    const s = str(v[k])
    if (s !== undefined) return s
  }
  const entries = Object.entries(v).sort(([a], [b]) => Number(b.startsWith('github.com')) - Number(a.startsWith('github.com')))
  for (const [, child] of entries) {
    const s = findToken(child, depth + 1)
    if (s !== undefined) return s
  }
  return undefined
}

function parseJson (text: string | undefined): unknown {
  if (text === undefined) return undefined
  try { return JSON.parse(text) } catch { return undefined }
}

/**
 * The GitHub token from, in order: the Copilot CLI (`~/.copilot/credentials.json`), the Copilot
 * editor plugins (`~/.config/github-copilot/{apps,hosts}.json`), the gh CLI
 * (`~/.config/gh/hosts.yml`, `github.com.oauth_token`). Undefined when none holds one.
 */
export function discoverGithubToken (env: Env): string | undefined {
  const home = homeOf(env)
  if (home === undefined) return undefined
  const config = str(env.XDG_CONFIG_HOME) ?? join(home, '.config')
  const fromJson = [
    join(home, '.copilot', 'credentials.json'),
    join(config, 'github-copilot', 'apps.json'),
    join(config, 'github-copilot', 'hosts.json'),
  ]
  for (const p of fromJson) {
    const t = findToken(parseJson(readText(p)))
    if (t !== undefined) return t
  }
  const gh = join(str(env.GH_CONFIG_DIR) ?? join(config, 'gh'), 'hosts.yml')
  const text = readText(gh)
  if (text === undefined) return undefined
  let parsed: unknown
  try { parsed = YAML.parse(text) } catch { return undefined }
  return isRecord(parsed) ? findToken(parsed['github.com']) : undefined
}

/** True when no env var already provides a Copilot profile. */
export function copilotEnvUnset (env: Env): boolean {
  return COPILOT_ENV_VARS.every((n) => str(env[n]) === undefined)
}

/** Identifies which GitHub token a cached Copilot token came from, without storing the token. */
export function githubTokenFingerprint (githubToken: string): string {
  return createHash('sha256').update(githubToken).digest('hex').slice(0, 16)
}

/** `proxy-ep=proxy.x.githubcopilot.com` in the token → `https://api.x.githubcopilot.com`. */
function baseUrlFromToken (token: string): string | undefined {
  const m = /(?:^|;)proxy-ep=([^;]+)/.exec(token)
  return m === null ? undefined : `https://${m[1].replace(/^proxy\./, 'api.')}`
}

export interface CopilotExchangeInput {
  readonly githubToken: string
  readonly tokenUrl?: string
  readonly fetch?: FetchLike
  readonly timeoutMs?: number
}

/** GET copilot_internal/v2/token → {access: session token, expires, fields.baseUrl, fields.src}; throws RefreshError without the GitHub token in it. */
export async function exchangeCopilotToken (input: CopilotExchangeInput): Promise<StoredToken> {
  try {
    return await exchange(input)
  } catch (err) {
    throw withoutSent(err, [input.githubToken])
  }
}

async function exchange (input: CopilotExchangeInput): Promise<StoredToken> {
  const timeoutMs = input.timeoutMs ?? REFRESH_TIMEOUT_MS
  let res: Response
  try {
    res = await (input.fetch ?? fetch)(input.tokenUrl ?? COPILOT_TOKEN_URL, {
      method: 'GET',
      headers: { authorization: `token ${input.githubToken}`, accept: 'application/json', ...COPILOT_EDITOR_HEADERS },
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    throw new RefreshError(`token exchange: ${transportReason(err, timeoutMs)}`)
  }
  let text: string
  try { text = await res.text() } catch (err) { throw new RefreshError(`token exchange: ${transportReason(err, timeoutMs)}`) }
  if (!res.ok) {
    const { reason, code } = errorReason(res.status, text)
    const hint = res.status === 401 || res.status === 403 ? ' (GitHub token revoked, or no Copilot subscription)' : ''
    throw new RefreshError(`token exchange ${reason}${hint}`, code)
  }
  const json = parseJson(text)
  const token = isRecord(json) ? str(json.token) : undefined
  if (!isRecord(json) || token === undefined) throw new RefreshError(`token exchange HTTP ${res.status}: the answer has no token`)
  const expiresAt = typeof json.expires_at === 'number' && Number.isFinite(json.expires_at) ? json.expires_at * 1000 : 0
  const api = isRecord(json.endpoints) ? str(json.endpoints.api) : undefined
  const baseUrl = api ?? baseUrlFromToken(token)
  return {
    access: token,
    refresh: '',
    expires: expiresAt,
    fields: { src: githubTokenFingerprint(input.githubToken), ...(baseUrl !== undefined ? { baseUrl: baseUrl.replace(/\/+$/, '') } : {}) },
  }
}
