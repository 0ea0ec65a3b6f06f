// Saving a login's credential into an agent's auth-profiles.json (locked, atomic, 0600).
import { openCredentialsFile } from '../credentials-file.ts'
import type { LoginResult } from './types.ts'

/**
 * Stores (or replaces) the profile. An explicit `order` for the provider that does not list
 * the profile is left alone — the caller can warn, since routing would then skip it.
 * Resolves to true when such an order exists without the profile.
 */
export async function storeLoginResult (path: string, result: LoginResult): Promise<{ readonly outsideOrder: boolean }> {
  let outsideOrder = false
  await openCredentialsFile(path, { checkIntervalMs: 0 }).update((file) => {
    file.profiles[result.profileId] = result.credential
    const order = file.order?.[result.credential.provider]
    outsideOrder = order !== undefined && !order.includes(result.profileId)
  })
  return { outsideOrder }
}
