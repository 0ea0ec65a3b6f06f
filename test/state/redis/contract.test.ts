// The same StateStore contract for the memory store and the redis store (real Redis).
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openCredentialsFile } from '../../../src/auth/credentials-file.ts'
import { createMemoryStore } from '../../../src/state/memory-store.ts'
import { createRedisStore } from '../../../src/state/redis-store.ts'
import { stateStoreContract } from '../contract.ts'
import { redisForTest } from '../../helpers/redis.ts'

t.test('memory store', async (t) => {
  stateStoreContract(t, async (t, clock) => {
    const home = mkdtempSync(join(tmpdir(), 'rotor-contract-'))
    const store = createMemoryStore({
      credentialsFor: (agent) => openCredentialsFile(join(home, agent, 'auth-profiles.json')),
      clock,
    })
    // Close (which flushes the file writes) before the directory goes.
    t.teardown(async () => {
      await store.close()
      rmSync(home, { recursive: true, force: true })
    })
    return store
  })
})

t.test('redis store', async (t) => {
  stateStoreContract(t, async (t, clock) => {
    const { url, prefix } = await redisForTest(t)
    const store = await createRedisStore({ url, prefix, clock })
    t.teardown(() => store.close())
    return store
  })
})
