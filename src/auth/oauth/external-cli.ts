// Credentials of other CLIs on this machine (docs/configuration.md): Claude Code's
// ~/.claude/.credentials.json → anthropic:claude-cli, Codex's $CODEX_HOME/auth.json →
// openai-codex:codex-cli. Tokens rotor refreshes are written back in the CLI's own format, so
// both keep working with one rotating refresh token. HOME comes from the gateway's env.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeJsonAtomic } from '../credentials-file.ts'
import { codexAccountId, jwtExpiryMs } from './jwt.ts'
import type { StoredToken } from './types.ts'
import { isRecord } from '../../core/json.ts'

export type Env = Readonly<Record<string, string | undefined>>

export const CLAUDE_CLI_PROFILE = 'anthropic:claude-cli'
export const CODEX_CLI_PROFILE = 'openai-codex:codex-cli'

const str = (v: unknown): string | undefined => typeof v === 'string' && v !== '' ? v : undefined

/** The user's home from the env (tests pass a temporary HOME); undefined when unset. */
export function homeOf (env: Env): string | undefined {
  return str(env.HOME?.trim()) ?? str(env.USERPROFILE?.trim())
}

export interface ExternalCli {
  readonly profileId: string
  readonly provider: string
  readonly path: string
  /** The CLI's current token, or undefined when the file is missing or not in the expected shape. */
  read (): StoredToken | undefined
  /** Writes a newer token back, keeping every other field; false when the file is missing or already newer. */
  writeBack (t: StoredToken, now: number): Promise<boolean>
}

function readJson (path: string): Record<string, unknown> | undefined {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch { return undefined }
  try {
    const json: unknown = JSON.parse(text)
    return isRecord(json) ? json : undefined
  } catch {
    return undefined
  }
}

function claudeCli (path: string): ExternalCli {
  const read = (): StoredToken | undefined => {
    const o = readJson(path)?.claudeAiOauth
    if (!isRecord(o)) return undefined
    const access = str(o.accessToken)
    if (access === undefined) return undefined
    const expires = typeof o.expiresAt === 'number' && Number.isFinite(o.expiresAt) ? o.expiresAt : 0
    return { access, refresh: str(o.refreshToken) ?? '', expires, fields: {} }
  }
  return {
    profileId: CLAUDE_CLI_PROFILE,
    provider: 'anthropic',
    path,
    read,
    async writeBack (t) {
      const json = readJson(path)
      const o = json?.claudeAiOauth
      if (json === undefined || !isRecord(o)) return false
      if (o.accessToken === t.access || (typeof o.expiresAt === 'number' && o.expiresAt >= t.expires)) return false
      await writeJsonAtomic(path, { ...json, claudeAiOauth: { ...o, accessToken: t.access, refreshToken: t.refresh, expiresAt: t.expires } }, 0o600)
      return true
    },
  }
}

function codexCli (path: string): ExternalCli {
  const read = (): StoredToken | undefined => {
    const tokens = readJson(path)?.tokens
    if (!isRecord(tokens)) return undefined
    const access = str(tokens.access_token)
    if (access === undefined) return undefined
    const idToken = str(tokens.id_token)
    const accountId = str(tokens.account_id) ?? codexAccountId(access)
    return {
      access,
      refresh: str(tokens.refresh_token) ?? '',
      // auth.json has no expiry field: the access token's own `exp` is the truth.
      expires: jwtExpiryMs(access) ?? 0,
      fields: { ...(idToken !== undefined ? { idToken } : {}), ...(accountId !== undefined ? { accountId } : {}) },
    }
  }
  return {
    profileId: CODEX_CLI_PROFILE,
    provider: 'openai-codex',
    path,
    read,
    async writeBack (t, now) {
      const json = readJson(path)
      const tokens = json?.tokens
      if (json === undefined || !isRecord(tokens)) return false
      const theirs = str(tokens.access_token)
      if (theirs === t.access || (theirs !== undefined && (jwtExpiryMs(theirs) ?? 0) >= t.expires)) return false
      const idToken = str(t.fields.idToken)
      const accountId = str(t.fields.accountId)
      await writeJsonAtomic(path, {
        ...json,
        tokens: {
          ...tokens,
          access_token: t.access,
          refresh_token: t.refresh,
          ...(idToken !== undefined ? { id_token: idToken } : {}),
          ...(accountId !== undefined ? { account_id: accountId } : {}),
        },
        last_refresh: new Date(now).toISOString(),
      }, 0o600)
      return true
    },
  }
}

/** The CLIs rotor knows, at their paths under the env's HOME (CODEX_HOME overrides Codex's dir). */
export function externalClis (env: Env): ExternalCli[] {
  const home = homeOf(env)
  const out: ExternalCli[] = []
  if (home !== undefined) out.push(claudeCli(join(home, '.claude', '.credentials.json')))
  const codexHome = str(env.CODEX_HOME?.trim()) ?? (home === undefined ? undefined : join(home, '.codex'))
  if (codexHome !== undefined) out.push(codexCli(join(codexHome, 'auth.json')))
  return out
}

export function externalCliFor (env: Env, profileId: string): ExternalCli | undefined {
  if (profileId !== CLAUDE_CLI_PROFILE && profileId !== CODEX_CLI_PROFILE) return undefined
  return externalClis(env).find((c) => c.profileId === profileId)
}
