// Merges file, config and env credentials into the profiles routing may use (docs/configuration.md).
import { discoverAws } from '../config/aws-discovery.ts'
import type { Catalog, LoadedConfig } from '../config/types.ts'
import type { AuthProfilesFile, Credential, Profile, ProfileSource } from './types.ts'

export interface ResolveProfilesInput {
  readonly file: AuthProfilesFile
  readonly catalog: Catalog
  readonly declared: LoadedConfig['auth']['declared']
  readonly env: NodeJS.ProcessEnv
  readonly warn: (msg: string) => void
  /** For `token` expiry; defaults to Date.now(). */
  readonly now?: number
}

type Declared = LoadedConfig['auth']['declared'][string]

/** CLI hint for storing a credential of the declared mode. */
function fixFor (provider: string, mode: Declared['mode']): string {
  if (mode === 'api_key') return `rotor onboard --auth-choice ${provider}-api-key --token <key>`
  if (mode === 'oauth') return `rotor models auth login --provider ${provider} (or paste-token)`
  return `rotor models auth paste-token --provider ${provider}`
}

/** Why a credential cannot be used, or undefined when it can (Clawdbot's order.ts filter). */
function unusableReason (id: string, cred: Credential, declared: Declared | undefined, now: number): string | undefined {
  if (declared !== undefined) {
    if (declared.provider !== cred.provider) {
      return `auth.profiles["${id}"].provider is "${declared.provider}" but the stored credential is for "${cred.provider}"; fix: change the provider or the profile id`
    }
    const accepted = declared.mode === cred.type || (declared.mode === 'oauth' && cred.type === 'token')
    if (!accepted) {
      return `auth.profiles["${id}"].mode is "${declared.mode}" but the stored credential is "${cred.type}"; fix: run ${fixFor(cred.provider, declared.mode)} or change the mode`
    }
  }
  switch (cred.type) {
    case 'api_key':
      return cred.key.trim() === '' ? `profile ${id} has an empty api key` : undefined
    case 'token':
      if (cred.token.trim() === '') return `profile ${id} has an empty token`
      if (cred.expires !== undefined && cred.expires > 0 && cred.expires <= now) return `token of profile ${id} expired`
      return undefined
    case 'oauth':
      return cred.access === '' && cred.refresh === '' ? `oauth profile ${id} has neither an access nor a refresh token` : undefined
  }
}

function profileOf (id: string, cred: Credential, source: ProfileSource, reason: string | undefined): Profile {
  return reason === undefined
    ? { id, provider: cred.provider, type: cred.type, source, credential: cred, usable: true }
    : { id, provider: cred.provider, type: cred.type, source, credential: cred, usable: false, unusableReason: reason }
}

function firstSet (env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = env[n]
    if (v !== undefined && v.trim() !== '') return v.trim()
  }
  return undefined
}

/**
 * `<provider>:none`, the profile rotor makes up for a keyless provider (`auth: "none"`): no
 * credential stands behind it, so its usage stats stay in the state store and are never
 * written to auth-profiles.json (a Clawdbot reading the file would find a profile id it does
 * not have).
 */
export function isKeylessProfile (catalog: Catalog, profileId: string): boolean {
  const colon = profileId.indexOf(':')
  if (colon < 0 || profileId.slice(colon + 1) !== 'none') return false
  return catalog.providers.get(profileId.slice(0, colon))?.auth === 'none'
}

/** Name part of the AWS credential chain's profile id: `amazon-bedrock:aws-sdk`. */
export const AWS_SDK_PROFILE = 'aws-sdk'

/**
 * Order: the file's profiles (insertion order), then `<provider>:config` from a provider's
 * `apiKey`, then `<provider>:env`, then `<provider>:aws-sdk` for `auth: "aws-sdk"` providers
 * (the AWS chain; see above), then `<provider>:none` for keyless providers. An id already
 * taken by an earlier source is not added again (the file wins). Unusable profiles are kept,
 * with the reason, so status/doctor can show them; mismatches are also passed to warn().
 */
export function resolveProfiles (input: ResolveProfilesInput): Profile[] {
  const { file, catalog, declared, env, warn } = input
  const now = input.now ?? Date.now()
  const out: Profile[] = []
  const seen = new Set<string>()
  const add = (id: string, cred: Credential, source: ProfileSource): void => {
    if (seen.has(id)) return
    seen.add(id)
    const decl = Object.hasOwn(declared, id) ? declared[id] : undefined
    const reason = unusableReason(id, cred, decl, now)
    // Only config/credential disagreements are warned about: empty or expired secrets are routine.
    if (reason !== undefined && reason.startsWith('auth.profiles[')) warn(reason)
    out.push(profileOf(id, cred, source, reason))
  }

  for (const [id, cred] of Object.entries(file.profiles)) add(id, cred, 'file')

  for (const p of catalog.providers.values()) {
    if (p.auth !== 'none' && p.apiKey !== undefined) {
      add(`${p.id}:config`, { type: 'api_key', provider: p.id, key: p.apiKey }, 'config')
    }
  }

  for (const p of catalog.providers.values()) {
    if (p.auth === 'none') continue
    const key = firstSet(env, p.envVars)
    if (key !== undefined) {
      add(`${p.id}:env`, { type: 'api_key', provider: p.id, key }, 'env')
      continue
    }
    const token = firstSet(env, p.envTokenVars)
    if (token !== undefined) add(`${p.id}:env`, { type: 'token', provider: p.id, token }, 'env')
  }

  // The AWS chain: when AWS credentials were found without a network call, or when it is the
  // provider's only way in (an instance role, which is never probed before the first request).
  let aws: ReturnType<typeof discoverAws> | undefined
  for (const p of catalog.providers.values()) {
    if (p.auth !== 'aws-sdk') continue
    const id = `${p.id}:${AWS_SDK_PROFILE}`
    if (seen.has(id)) continue
    aws ??= discoverAws(env)
    if (aws.chain === undefined && out.some((x) => x.provider === p.id)) continue
    seen.add(id)
    out.push({ id, provider: p.id, type: 'aws-sdk', source: 'env', credential: undefined, usable: true })
  }

  for (const p of catalog.providers.values()) {
    if (p.auth !== 'none') continue
    const id = `${p.id}:none`
    if (seen.has(id)) continue
    seen.add(id)
    out.push({ id, provider: p.id, type: 'none', source: 'none', credential: undefined, usable: true })
  }
  return out
}

/** The bearer/key to send for a profile at `now`, or why there is none. */
export function resolveSecret (profile: Profile, now: number): { secret: string } | { unusable: string } {
  if (!profile.usable) return { unusable: profile.unusableReason ?? 'profile is unusable' }
  const c = profile.credential
  // The AWS chain's credentials are resolved by the Bedrock adapter itself.
  if (c === undefined) return profile.type === 'none' || profile.type === 'aws-sdk' ? { secret: '' } : { unusable: 'profile has no credential' }
  switch (c.type) {
    case 'api_key':
      return { secret: c.key }
    case 'token':
      if (c.expires !== undefined && c.expires > 0 && c.expires <= now) return { unusable: 'token expired' }
      return { secret: c.token }
    case 'oauth':
      // Static view (CLI, scan): refreshing is the gateway's credential resolver's job.
      if (c.access !== '' && c.expires > now) return { secret: c.access }
      return { unusable: 'oauth token expired' }
  }
}
