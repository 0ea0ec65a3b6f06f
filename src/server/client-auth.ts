// Client key → agent, compared in constant time (docs/http-api.md).
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { ClientDef } from '../config/types.ts'
import { DEFAULT_AGENT } from '../config/types.ts'

export interface ClientIdentity {
  readonly name: string
  readonly agent: string
}

interface CompiledClient extends ClientIdentity { readonly digest: Buffer }

export interface ClientAuthenticator {
  readonly open: boolean
  authenticate (headers: IncomingHttpHeaders): ClientIdentity | undefined
}


// Hashing both sides gives equal-length buffers, so timingSafeEqual never leaks the length.
function digest (s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

export function presentedKey (headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization
  if (typeof auth === 'string' && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    return auth.slice(7).trim()
  }
  const apiKey = headers['x-api-key']
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined
}

/** With no clients configured every request is served as `defaultAgent` (the config's default agent). */
export function createClientAuthenticator (clients: readonly ClientDef[], defaultAgent: string = DEFAULT_AGENT): ClientAuthenticator {
  const compiled: CompiledClient[] = clients.map((c) => ({ name: c.name, agent: c.agent, digest: digest(c.key) }))
  const anonymous: ClientIdentity = { name: 'anonymous', agent: defaultAgent }
  if (compiled.length === 0) return { open: true, authenticate: () => anonymous }
  return {
    open: false,
    authenticate (headers) {
      const key = presentedKey(headers)
      if (key === undefined) return undefined
      const d = digest(key)
      let found: CompiledClient | undefined
      // Compare against every client so timing does not reveal which one matched.
      for (const c of compiled) if (timingSafeEqual(c.digest, d)) found = c
      return found
    },
  }
}

/** True for the same secret, in constant time. */
export function secretEquals (presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false
  return timingSafeEqual(digest(presented), digest(expected))
}

export function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}
