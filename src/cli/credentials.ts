// Credential writes shared by onboard and `models auth`: profiles into the agent's
// auth-profiles.json (locked, atomic, 0600), and imports from other CLIs' stores.
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Credential, OAuthCredential } from '../auth/types.ts'
import { credentialsFile, type CliContext } from './context.ts'
import { CliError } from '../core/errors.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

export const PROFILE_ID = /^[a-z0-9-]+:.+$/

/** Stores (or replaces) one profile of the agent. */
export async function putProfile (ctx: CliContext, agent: string, id: string, cred: Credential): Promise<void> {
  if (!PROFILE_ID.test(id) || id.split(':')[0] !== cred.provider) {
    throw new CliError(`Profile id "${id}" must look like ${cred.provider}:<name>`)
  }
  await credentialsFile(ctx, agent).update((f) => { f.profiles[id] = cred })
}

/** A secret from a flag must be one line without blanks; never echoed back. */
export function checkSecret (value: string, what: string): string {
  const s = value.trim()
  if (s === '') throw new CliError(`${what} is empty`)
  if (/\s/.test(s)) throw new CliError(`${what} contains whitespace; pass it exactly as issued`)
  return s
}

/** An Anthropic setup-token (`claude setup-token`) as Clawdbot stores it: oauth, no refresh, one year. */
export function setupTokenCredential (token: string, now: number): OAuthCredential {
  return { type: 'oauth', provider: 'anthropic', access: token, refresh: '', expires: now + 365 * DAY }
}

/** `exp` (ms) of a JWT, when it decodes; tokens are never logged. */
export function jwtExpiry (token: string): number | undefined {
  const part = token.split('.')[1]
  if (part === undefined) return undefined
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown }
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined
  } catch {
    return undefined
  }
}

function userHome (ctx: CliContext): string {
  const h = ctx.env.HOME?.trim()
  return h !== undefined && h !== '' ? h : homedir()
}

function readJson (path: string, missingHint: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`No credentials at ${path}; ${missingHint}`)
    throw new CliError(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    // JSON.parse messages quote the input: never shown.
    throw new CliError(`${path} is not valid JSON`)
  }
}

const str = (v: unknown): string => typeof v === 'string' ? v : ''

/** `~/.codex/auth.json` (or `$CODEX_HOME/auth.json`) → profile `openai-codex:codex-cli`. */
export function codexCredential (ctx: CliContext): { path: string, cred: OAuthCredential } {
  const dir = ctx.env.CODEX_HOME?.trim() || join(userHome(ctx), '.codex')
  const path = join(dir, 'auth.json')
  const data = readJson(path, 'run `codex login` first') as { tokens?: Record<string, unknown> } | null
  const tokens = data?.tokens
  const access = str(tokens?.access_token)
  if (access === '') throw new CliError(`${path} holds no tokens.access_token; run \`codex login\` first`)
  const cred: OAuthCredential = {
    type: 'oauth',
    provider: 'openai-codex',
    access,
    refresh: str(tokens?.refresh_token),
    expires: jwtExpiry(access) ?? ctx.now() + HOUR,
  }
  const accountId = str(tokens?.account_id)
  if (accountId !== '') cred.accountId = accountId
  return { path, cred }
}
