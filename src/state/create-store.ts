// The one way to open the configured state store (state.store), for the gateway and the CLI
// alike: the credentials files' usageStats (memory) or Redis. The redis store is loaded only
// when configured, so a CLI command on the memory store starts without ioredis.
import type { CredentialsFile } from '../auth/credentials-file.ts'
import type { LoadedConfig } from '../config/types.ts'
import type { Clock } from '../core/types.ts'
import type { Logger } from '../telemetry/logger.ts'
import { createMemoryStore } from './memory-store.ts'
import type { StateStore } from './types.ts'

export interface StateStoreDeps {
  /** The agent's credentials file, where the memory store keeps usageStats. */
  readonly credentialsFor: (agent: string) => CredentialsFile
  readonly clock?: Clock
  /** Redis: readiness and degradation. */
  readonly log?: Pick<Logger, 'info' | 'warn'>
  /** Memory: a failed read or write of a credentials file (the state keeps serving from memory). */
  readonly onError?: (err: unknown) => void
  /** Redis: how long opening waits for the first connection, and the per-command timeout. */
  readonly connectWaitMs?: number
  readonly commandTimeoutMs?: number
  /** Memory: whether a profile's stats are written to its file (keyless providers' synthetic ids are not). */
  readonly persists?: (agent: string, profileId: string) => boolean
}

export async function createStateStore (state: LoadedConfig['state'], deps: StateStoreDeps): Promise<StateStore> {
  if (state.store === 'redis') {
    const { createRedisStore } = await import('./redis-store.ts')
    return createRedisStore({
      topology: state.redis,
      prefix: state.prefix,
      clock: deps.clock,
      log: deps.log,
      connectWaitMs: deps.connectWaitMs,
      commandTimeoutMs: deps.commandTimeoutMs,
    })
  }
  return createMemoryStore({ credentialsFor: deps.credentialsFor, clock: deps.clock, onError: deps.onError, persists: deps.persists })
}
