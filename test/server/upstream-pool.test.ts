// gateway.upstreamConnections sizes the shared upstream pool per origin; a reload keeps the
// pool (and its warm connections) unless the size changes.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Agent } from 'undici'
import { sseChunk } from '../helpers/fake-upstream.ts'
import { fakeProviderConfig } from '../helpers/gateway.ts'
import { scenario, HI } from '../helpers/scenario.ts'

type PoolStats = Record<string, { connected: number, pending: number, queued: number, running: number }>

t.test('the pool opens at most gateway.upstreamConnections connections to one origin and queues the rest', async (t) => {
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  t.teardown(() => { release() })
  const { gw, up } = await scenario(t, {
    config: { gateway: { upstreamConnections: 2 } },
    byKey: { a: () => ({ chunks: [sseChunk('one'), { data: 'data: [DONE]\n\n', gate: held }] }) },
  })
  const origin = new URL(up.url).origin
  const stats = (): PoolStats[string] | undefined => ((gw.runtime().dispatcher as Agent).stats as unknown as PoolStats)[origin]
  const streams = [0, 1, 2].map(() => gw.chat({ model: 'fake/m1', stream: true, ...HI }))
  let queued = false
  for (let i = 0; i < 500 && !queued; i++) {
    const s = stats()
    queued = s !== undefined && s.running === 2 && s.pending + s.queued >= 1 && up.requests.length === 2
    if (!queued) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.ok(queued, 'two requests reached the upstream and the third waits in the pool')
  t.equal(stats()?.connected, 2)
  release()
  const texts = await Promise.all(streams.map(async (r) => (await r).text()))
  t.equal(up.requests.length, 3)
  for (const text of texts) t.match(text, /data: \[DONE\]/)
})

t.test('a reload keeps the pool unless upstreamConnections changes', async (t) => {
  const { gw, up } = await scenario(t, { config: { gateway: { upstreamConnections: 4 } } })
  const write = (connections: number): void => {
    writeFileSync(join(gw.home, 'rotor.json'), JSON.stringify({ ...fakeProviderConfig(`${up.url}/v1`), auth: { strategy: 'ordered' }, gateway: { upstreamConnections: connections } }))
  }
  const first = gw.runtime().dispatcher
  write(4)
  t.strictSame(gw.reload(), { ok: true })
  t.equal(gw.runtime().dispatcher, first, 'same size: the same pool')
  write(8)
  t.strictSame(gw.reload(), { ok: true })
  const second = gw.runtime().dispatcher
  t.not(second, first, 'a new size: a new pool')
  t.equal((first as Agent).closed, true, 'the old pool is closed once its requests finish')
  const res = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(res.status, 200, 'the new pool serves')
})
