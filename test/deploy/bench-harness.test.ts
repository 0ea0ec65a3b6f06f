// The bench harness keeps working: fake upstream and bare proxy answer both modes, a short
// load run counts and flags correctly, and the report compares against the bare proxy.
import t from 'tap'
import { startBareProxy } from '../../bench/bare-proxy.ts'
import { COMPLETION_BODY, startFakeUpstream } from '../../bench/fake-upstream.ts'
import { percentile, probe, runLoad } from '../../bench/lib/load.ts'
import { compare, formatComparisons, formatRows, judge } from '../../bench/lib/report.ts'
import type { RowResult } from '../../bench/lib/report.ts'
import { FAMILIES, rotorConfig } from '../../bench/rows.ts'

t.test('the fake upstream answers through the bare proxy in both modes', async (t) => {
  const upstream = await startFakeUpstream()
  t.teardown(() => upstream.close())
  const proxy = await startBareProxy({ upstream: `http://127.0.0.1:${upstream.port}` })
  t.teardown(() => proxy.close())
  t.ok(COMPLETION_BODY.length > 300 && COMPLETION_BODY.length < 500, 'the non-stream answer is about 400 bytes')
  const base = `http://127.0.0.1:${proxy.port}`
  for (const family of FAMILIES) {
    t.same(await probe(base, family.bareRequest('non-stream'), 'non-stream', 3), { ok: true }, `${family.id} non-stream`)
    t.same(await probe(base, family.bareRequest('stream'), 'stream', 3), { ok: true }, `${family.id} stream`)
  }
  const missing = await probe(base, { path: '/v1/nope', headers: {}, body: '{}' }, 'non-stream', 1)
  t.equal(missing.ok, false, 'a wrong answer fails the probe')
  t.match(missing.note, /HTTP 404/)
})

t.test('a short load run is counted and judged', async (t) => {
  const upstream = await startFakeUpstream()
  t.teardown(() => upstream.close())
  const request = FAMILIES[0].bareRequest('stream')
  const good = await runLoad({ baseUrl: `http://127.0.0.1:${upstream.port}`, request, connections: 4, durationS: 1, warmupS: 0 })
  t.ok(good.requests > 0 && good.rps > 0, 'requests were answered')
  t.ok(good.p50Ms > 0 && good.p99Ms >= good.p50Ms, 'latency percentiles are ordered')
  t.equal(judge(good).status, 'ok')
  const bad = await runLoad({ baseUrl: `http://127.0.0.1:${upstream.port}`, request: { ...request, path: '/v1/nope' }, connections: 2, durationS: 1, warmupS: 0 })
  const verdict = judge(bad)
  t.equal(verdict.status, 'flagged', 'non-2xx answers flag the row')
  t.match(verdict.note, /non-2xx \(404×\d+\)/)
})

t.test('the report compares each row with the bare proxy', async (t) => {
  t.equal(percentile([1, 2, 3, 4], 50), 2)
  t.equal(percentile([1, 2, 3, 4], 99), 4)
  const figures = (rps: number, p50: number): RowResult['figures'] => ({
    rps, requests: rps, p50Ms: p50, p99Ms: p50 * 2, errors: 0, timeouts: 0, non2xx: 0, statusCodes: { 200: rps }, durationS: 1,
  })
  const rows: RowResult[] = [
    { target: 'bare', family: 'openai', mode: 'stream', status: 'ok', figures: figures(1000, 5) },
    { target: 'rotor', family: 'openai', mode: 'stream', status: 'ok', figures: figures(800, 5.25), overheadMs: 0.2 },
    { target: 'rotor-redis', family: 'openai', mode: 'stream', status: 'skipped', note: 'redis not reachable\nmore' },
  ]
  const cmp = compare(rows)
  t.equal(cmp.length, 1, 'skipped rows are not compared')
  t.equal(cmp[0].rpsRatio, 0.8)
  t.equal(Math.round(cmp[0].addedP50Us), 250)
  t.match(formatRows(rows), /SKIPPED: redis not reachable \| more/)
  t.match(formatComparisons(cmp), /0\.800\s+250/)
})

t.test('the rotor config points every family at the fake upstream', async (t) => {
  const config = rotorConfig({ upstreamBaseUrl: 'http://127.0.0.1:9/v1', logLevel: 'warn' })
  const models = config.models as { mode: string; providers: Record<string, { baseUrl: string }> }
  t.equal(models.mode, 'replace', 'no built-in or implicit providers join the run')
  for (const f of FAMILIES) t.equal(models.providers[f.providerId].baseUrl, 'http://127.0.0.1:9/v1')
  t.notOk('state' in config, 'memory mode needs no redis settings')
  t.same(rotorConfig({ upstreamBaseUrl: 'x', logLevel: 'warn', redisUrl: 'redis://h:1', redisPrefix: 'p:' }).state, { redis: { url: 'redis://h:1', prefix: 'p:' } })
})
