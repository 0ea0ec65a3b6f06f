// Implicit credentials (docs/configuration.md): the CLIs' tokens copied into an agent's auth-profiles.json
// as anthropic:claude-cli, openai-codex:codex-cli and github-copilot:github.
import type { Catalog } from '../../config/types.ts'
import type { CredentialsFile } from '../credentials-file.ts'
import type { AuthProfilesFile, Credential } from '../types.ts'
import { COPILOT_DISCOVERED_PROFILE, COPILOT_PROVIDER, copilotEnvUnset, discoverGithubToken } from './copilot.ts'
import { externalClis, type Env } from './external-cli.ts'
import type { StoredToken } from './types.ts'

export interface ImportOptions {
  readonly env: Env
  readonly catalog: Catalog
}

/** A CLI's token replaces ours when missing, a static token (upgrade), or an older oauth one; never an api key. */
function cliIsNewer (cur: Credential | undefined, t: StoredToken): boolean {
  if (cur === undefined || cur.type === 'token') return true
  if (cur.type === 'api_key') return false
  return t.access !== cur.access && t.expires > cur.expires
}

type Change = (f: AuthProfilesFile) => boolean

/** Profiles added or updated, by id; the file is written only when something changed. */
export async function importExternalCredentials (file: CredentialsFile, opts: ImportOptions): Promise<string[]> {
  const changes = new Map<string, Change>()
  for (const cli of externalClis(opts.env)) {
    if (!opts.catalog.providers.has(cli.provider)) continue
    const t = cli.read()
    if (t === undefined) continue
    changes.set(cli.profileId, (f) => {
      const cur = f.profiles[cli.profileId]
      if (!cliIsNewer(cur, t)) return false
      const base = cur?.type === 'oauth' ? cur : {}
      f.profiles[cli.profileId] = { ...base, ...t.fields, type: 'oauth', provider: cli.provider, access: t.access, refresh: t.refresh, expires: t.expires }
      return true
    })
  }
  if (opts.catalog.providers.has(COPILOT_PROVIDER) && copilotEnvUnset(opts.env)) {
    const token = discoverGithubToken(opts.env)
    if (token !== undefined) {
      // Only when missing: the id is also `rotor models auth login-github-copilot`'s default.
      changes.set(COPILOT_DISCOVERED_PROFILE, (f) => {
        if (f.profiles[COPILOT_DISCOVERED_PROFILE] !== undefined) return false
        f.profiles[COPILOT_DISCOVERED_PROFILE] = { type: 'token', provider: COPILOT_PROVIDER, token }
        return true
      })
    }
  }
  // Decide on the cached copy first so agents without anything to import get no file written.
  const current = file.read()
  const probe = structuredClone(current) as AuthProfilesFile
  const wanted = [...changes].filter(([, change]) => change(probe))
  if (wanted.length === 0) return []
  const done: string[] = []
  await file.update((f) => {
    for (const [id, change] of wanted) if (change(f)) done.push(id)
    return done.length > 0
  })
  return done
}
