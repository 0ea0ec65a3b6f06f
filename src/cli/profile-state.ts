// One profile's state as `models status` and `auth list` show it: no secrets, times in ms.
import type { Profile } from '../auth/types.ts'
import { profileState, type ProfileState } from '../routing/profile-view.ts'
import { resolveProfiles } from '../auth/profiles.ts'
import type { AuthProfilesFile } from '../auth/types.ts'
import type { LoadedConfig } from '../config/types.ts'
import { formatDuration } from './output.ts'

export { profileState, type ProfileState }

/** `cooldown 4m12s (rate_limit, model m1)`; several blocks are joined with `; `. */
export function stateText (st: ProfileState, now: number): string {
  if (st.blocks.length === 0) return st.halfOpen ? 'ok (probing)' : 'ok'
  return st.blocks.map((b) => {
    const what = b.scope === 'disabled' ? 'disabled' : 'cooldown'
    const detail = b.scope === 'model' ? `${b.reason}, model ${b.model ?? ''}` : b.reason
    return `${what} ${formatDuration(b.until - now)} (${detail})`
  }).join('; ')
}

/** The agent's profiles as the gateway merges them (file, config key, env), keyless ones left out. */
export function agentProfiles (config: LoadedConfig, file: AuthProfilesFile, env: NodeJS.ProcessEnv, now: number, warn: (msg: string) => void = () => {}): Profile[] {
  return resolveProfiles({ file, catalog: config.catalog, declared: config.auth.declared, env, warn, now })
    .filter((p) => p.type !== 'none')
}

/** Whether a profile can serve now: usable, and not an expired OAuth token that cannot refresh. */
export function canServe (p: Profile, now: number): boolean {
  if (p.type === 'none') return true
  if (!p.usable) return false
  const c = p.credential
  return !(c?.type === 'oauth' && c.expires <= now && c.refresh === '')
}
