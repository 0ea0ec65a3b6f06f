// A process that refreshes an OAuth profile the way Clawdbot 2026.1.24 does, for races against
// rotor. Transcribed from clawdbot/clawdbot v2026.1.24:
// - src/agents/auth-profiles/oauth.ts `resolveApiKeyForProfile` + `refreshOAuthTokenWithLock`:
//   use the stored token while `now < expires`; else lock auth-profiles.json with proper-lockfile
//   (AUTH_STORE_LOCK_OPTIONS from constants.ts), re-read the store under the lock, use its token
//   when a peer refreshed meanwhile, else call the token endpoint, store `{...cred, ...new,
//   type: "oauth"}`, unlock;
// - src/infra/json-file.ts `saveJsonFile`: writeFileSync in place (not atomic), then chmod 0600;
// - pi-ai's refresh: a JSON refresh_token grant, `expires = now + expires_in·1000 − 5 min`.
// The clock comes with each command, so the test can move both processes past an expiry.
//
// Usage: node clawdbot-refresher.ts <auth-profiles.json> <token url> <profile id>
// stdin, one JSON per line: {"now": <ms epoch>}; stdout, one JSON per line: {"access", "refreshed"} | {"error"}.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import lockfile from 'proper-lockfile'

const AUTH_STORE_LOCK_OPTIONS = {
  retries: { retries: 10, factor: 2, minTimeout: 100, maxTimeout: 10_000, randomize: true },
  stale: 30_000,
} as const

interface OAuthCred { type: 'oauth', provider: string, access: string, refresh: string, expires: number, [k: string]: unknown }
interface Store { version: number, profiles: Record<string, OAuthCred>, [k: string]: unknown }

const [authPath, tokenUrl, profileId] = process.argv.slice(2)

function loadStore (): Store {
  return JSON.parse(readFileSync(authPath, 'utf8')) as Store
}

/** saveAuthProfileStore: only these five keys, written in place. */
function saveStore (store: Store): void {
  const payload = { version: 1, profiles: store.profiles, order: store.order, lastGood: store.lastGood, usageStats: store.usageStats }
  writeFileSync(authPath, `${JSON.stringify(payload, null, 2)}\n`, 'utf8')
  chmodSync(authPath, 0o600)
}

async function refreshGrant (cred: OAuthCred, now: number): Promise<OAuthCred> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', client_id: 'fake-client', refresh_token: cred.refresh }),
  })
  const body = await res.json() as { access_token?: string, refresh_token?: string, expires_in?: number }
  if (!res.ok || body.access_token === undefined) throw new Error(`token endpoint answered ${res.status}`)
  return { ...cred, access: body.access_token, refresh: body.refresh_token ?? cred.refresh, expires: now + (body.expires_in ?? 3600) * 1000 - 5 * 60_000, type: 'oauth' }
}

async function resolve (now: number): Promise<{ access: string, refreshed: boolean }> {
  const cred = loadStore().profiles[profileId]
  if (cred === undefined) throw new Error('no such profile')
  if (now < cred.expires) return { access: cred.access, refreshed: false }
  const release = await lockfile.lock(authPath, { ...AUTH_STORE_LOCK_OPTIONS })
  try {
    const store = loadStore()
    const fresh = store.profiles[profileId]
    if (now < fresh.expires) return { access: fresh.access, refreshed: false }
    const next = await refreshGrant(fresh, now)
    store.profiles[profileId] = next
    saveStore(store)
    return { access: next.access, refreshed: true }
  } finally {
    await release().catch(() => {})
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue
  const { now } = JSON.parse(line) as { now: number }
  try {
    process.stdout.write(JSON.stringify(await resolve(now)) + '\n')
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) + '\n')
  }
}
