// The ioredis client of the redis store, tuned so Redis can never stall a request: no
// offline queue, one retry, short timeouts, reconnect forever in the background.
import { Redis } from 'ioredis'
import { defineScripts } from './scripts.ts'
import { StateUnavailableError } from '../../core/errors.ts'

export interface ConnectionOptions {
  readonly url: string
  /** Per-command cap; default 300 ms. */
  readonly commandTimeoutMs?: number
  readonly connectTimeoutMs?: number
}

/** Reconnect delay: 100 ms doubling to a 2 s cap, plus up to 100 ms of jitter. */
export function retryDelay (times: number): number {
  return Math.min(50 * 2 ** Math.min(Math.max(times, 1), 6), 2000) + Math.floor(Math.random() * 100)
}

export function createClient (opts: ConnectionOptions): Redis {
  const client = new Redis(opts.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: opts.connectTimeoutMs ?? 1000,
    commandTimeout: opts.commandTimeoutMs ?? 300,
    retryStrategy: retryDelay,
    enableAutoPipelining: true,
    lazyConnect: false,
    connectionName: 'rotor-state',
  })
  defineScripts(client)
  return client
}

/** Wraps any Redis/ioredis failure once; the message never carries the URL's password. */
export function unavailable (err: unknown, url: string): StateUnavailableError {
  if (err instanceof StateUnavailableError) return err
  let secret = ''
  try { secret = decodeURIComponent(new URL(url).password) } catch { /* no password */ }
  const raw = err instanceof Error ? err.message : String(err)
  const message = secret.length >= 3 ? raw.split(secret).join('***') : raw
  const code = (err as { code?: unknown } | null)?.code
  return new StateUnavailableError(`redis: ${message}${typeof code === 'string' && !message.includes(code) ? ` (${code})` : ''}`)
}
