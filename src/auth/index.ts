// Public surface of the auth area.
export type { ApiKeyCredential, TokenCredential, OAuthCredential, Credential, CredentialType, AuthProfilesFile, ProfileSource, Profile } from './types.ts'
export {
  openCredentialsFile, writeJsonAtomic, normalizeAuthProfiles, emptyAuthProfiles,
  type CredentialsFile, type CredentialsFileOptions
} from './credentials-file.ts'
export { resolveProfiles, resolveSecret, type ResolveProfilesInput } from './profiles.ts'
export { maskSecret } from '../core/mask.ts'
export type { ModelCooldown, UsageStats } from '../core/types.ts'
export {
  createCredentialResolver, type CredentialResolver, type CredentialResolverOptions, type ResolvedCredential, type ResolveOptions
} from './credential-resolver.ts'
