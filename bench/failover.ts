// `npm run failover`: a Redis failover under load. For each topology (a local Cluster of 3
// masters + 3 replicas, a local Sentinel group of 1 master + 1 replica + 3 sentinels), three
// gateway processes share it; a paced load (default 200 req/s, spread over the gateways) runs
// for a bounded time; the profile is OAuth with tokens that must be refreshed every few
// seconds (a rotating, reuse-revoking token endpoint); once the load runs, the master that
// holds both the agent's state and the credential is killed (-9) while a refresh is in flight
// at the token endpoint. Reported: failed requests (goal 0), latency, how long each gateway
// reported `degraded` in /readyz, and token-endpoint calls per expiry (goal 1, with no refresh
// token used twice). Not a test: figures only; exits 1 only when the run itself failed.
import { parseArgs } from 'node:util'
import { credentialKeys } from '../src/auth/oauth/redis-credential-scripts.ts'
import { createKeys } from '../src/state/redis/keys.ts'
import { completion, startFakeUpstream } from '../test/helpers/fake-upstream.ts'
import { startFakeTokenEndpoint, type TokenPair } from '../test/helpers/fake-token-endpoint.ts'
import { startRedisCluster, startRedisSentinel } from '../test/helpers/redis-topology.ts'
import { startReplicas, type Replica } from '../test/helpers/replicas.ts'
import { percentile } from './lib/load.ts'

const USAGE = `usage: npm run failover -- [--topology cluster|sentinel|both] [--rate N] [--duration S] [--kill-at S]
  --topology T   which topology to fail over (default both)
  --rate N       requests per second over the 3 gateways (default 200)
  --duration S   seconds of load (default 20)
  --kill-at S    the master is killed at the first refresh after this many seconds (default 5)`

// Tokens live 5 min + 4 s: past the 5-minute refresh margin after 4 s, so one expiry every ~4 s.
const EXPIRES_IN_S = 304
const TOKEN_LATENCY_MS = 800
const PREFIX = 'rotor-failover:'

interface Settings { topologies: Array<'cluster' | 'sentinel'>, rate: number, durationS: number, killAtS: number }

function settings (): Settings {
  const { values } = parseArgs({ options: { topology: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, 'kill-at': { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help === true) { process.stdout.write(`${USAGE}\n`); process.exit(0) }
  const topo = values.topology ?? 'both'
  if (!['cluster', 'sentinel', 'both'].includes(topo)) { process.stderr.write(`${USAGE}\n`); process.exit(2) }
  const num = (v: string | undefined, d: number, min: number, max: number): number => {
    const n = v === undefined ? d : Number(v)
    if (!Number.isFinite(n) || n < min || n > max) { process.stderr.write(`${USAGE}\n`); process.exit(2) }
    return n
  }
  return {
    topologies: topo === 'both' ? ['cluster', 'sentinel'] : [topo as 'cluster' | 'sentinel'],
    rate: num(values.rate, 200, 1, 2000),
    durationS: num(values.duration, 20, 5, 300),
    killAtS: num(values['kill-at'], 5, 1, 250),
  }
}

function progress (msg: string): void { process.stderr.write(`[failover] ${msg}\n`) }

interface Report {
  topology: string
  requests: number
  failed: number
  failures: string[]
  latencyMs: { p50: number, p99: number, max: number }
  /** Requests slower than 1 s, by when they started, in whole seconds from the kill. */
  slowBySecondFromKill: Record<string, number>
  killed: string
  promotedAfterMs: number
  degradedMs: number[]
  refresh: { calls: number, refreshes: number, rejected: number, callsPerExpiry: number, inFlightAtKill: boolean }
}

/** Polls /readyz every 50 ms; total time seen `degraded`. */
function watchDegraded (r: Replica, signal: AbortSignal): Promise<number> {
  return (async () => {
    let total = 0
    let since = 0
    while (!signal.aborted) {
      const at = Date.now()
      const status = await r.readyz().then((x) => x.status, () => 'unreachable')
      if (status !== 'ready' && since === 0) since = at
      if (status === 'ready' && since !== 0) { total += at - since; since = 0 }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return since === 0 ? total : total + Date.now() - since
  })()
}

async function runOne (kind: 'cluster' | 'sentinel', s: Settings): Promise<Report> {
  const cleanup: Array<() => unknown> = []
  const t = { teardown: (fn: () => unknown) => { cleanup.push(fn) } }
  try {
    progress(`${kind}: starting the topology`)
    const cluster = kind === 'cluster' ? await startRedisCluster() : undefined
    const sentinel = kind === 'sentinel' ? await startRedisSentinel({ failover: true }) : undefined
    cleanup.push(() => cluster?.stop() ?? sentinel?.stop())
    const redisConfig = cluster?.redisConfig ?? sentinel!.redisConfig

    // On the Cluster, a profile whose credential shares a master with the agent's state, so
    // killing that master hits both the store and the refresh lock.
    let profileId = 'fake:oauth'
    if (cluster !== undefined) {
      const agentMaster = await cluster.masterOf(createKeys(PREFIX).version('default'))
      for (let i = 0; i < 500; i++) {
        if (await cluster.masterOf(credentialKeys(PREFIX).record('tok', `fake:oauth${i}`)) === agentMaster) { profileId = `fake:oauth${i}`; break }
      }
    }

    const ep = await startFakeTokenEndpoint({ expiresIn: EXPIRES_IN_S })
    cleanup.push(() => ep.close())
    ep.setLatency(TOKEN_LATENCY_MS)
    const seeded: TokenPair = ep.seed()
    // Access tokens stay good until they expire (a rotated-out one too), as with real
    // providers; a refresh token used twice revokes the family and every token of it.
    const up = await startFakeUpstream((req) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
      return ep.isIssued(token)
        ? { body: completion('ok') }
        : { status: 401, body: { error: { message: 'invalid access token', type: 'authentication_error' } } }
    })
    cleanup.push(() => up.close())
    const config = {
      // info: the replicas helper waits for the "rotor listening" line.
      logging: { level: 'info' },
      state: { store: 'redis', redis: { prefix: PREFIX } },
      models: { mode: 'replace', providers: { fake: { baseUrl: `${up.url}/v1`, api: 'openai-completions', auth: 'oauth', oauth: { tokenUrl: ep.tokenUrl }, models: [{ id: 'm1' }] } } },
      agents: { defaults: { model: { primary: 'fake/m1' } } },
    }
    const profiles = { version: 1, profiles: { [profileId]: { type: 'oauth', provider: 'fake', access: seeded.access, refresh: seeded.refresh, expires: Date.now() + EXPIRES_IN_S * 1000 } } }
    progress(`${kind}: starting 3 gateways`)
    const replicas = await startReplicas(t, 3, { config, authProfiles: profiles, redis: { redisConfig, env: {} } })

    const stop = new AbortController()
    const watchers = replicas.map((r) => watchDegraded(r, stop.signal))
    const latencies: number[] = []
    const samples: Array<{ at: number, ms: number }> = []
    let killedAtAbs = 0
    const failures: string[] = []
    const total = Math.round(s.rate * s.durationS)
    const t0 = Date.now()
    let killed = ''
    let promotedAfterMs = -1
    let inFlightAtKill = false
    const chaos = (async () => {
      await new Promise((resolve) => setTimeout(resolve, s.killAtS * 1000))
      // The next refresh that reaches the endpoint: kill while it is held there.
      const seen = ep.received
      const deadline = Date.now() + 15_000
      while (ep.received === seen && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
      inFlightAtKill = ep.received > ep.calls
      const r = cluster !== undefined
        ? await cluster.failover(credentialKeys(PREFIX).record('tok', profileId))
        : await sentinel!.failover()
      killed = `127.0.0.1:${r.killed} → 127.0.0.1:${r.promoted}`
      killedAtAbs = r.killedAt
      promotedAfterMs = r.servedAt - r.killedAt
      progress(`${kind}: killed ${r.killed} at +${r.killedAt - t0} ms, ${r.promoted} serving after ${promotedAfterMs} ms`)
    })()
    progress(`${kind}: ${total} requests at ${s.rate}/s`)
    const inflight: Array<Promise<void>> = []
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / s.rate - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      const started = Date.now()
      inflight.push(replicas[i % 3].chat().then(async (res) => {
        const body = await res.text()
        latencies.push(Date.now() - started)
        samples.push({ at: started, ms: Date.now() - started })
        if (res.status !== 200) failures.push(`${res.status} ${body.slice(0, 160)}`)
      }, (err: unknown) => { failures.push(String(err)) }))
    }
    await Promise.all(inflight)
    await chaos
    // Let every gateway finish its resync before the degraded clocks stop.
    const settle = Date.now() + 20_000
    while (Date.now() < settle && (await Promise.all(replicas.map((r) => r.readyz().then((x) => x.status, () => '?')))).some((x) => x !== 'ready')) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    stop.abort()
    const degradedMs = await Promise.all(watchers)
    const sorted = [...latencies].sort((a, b) => a - b)
    const slowBySecondFromKill: Record<string, number> = {}
    for (const x of samples) {
      if (x.ms < 1000) continue
      const k = String(Math.floor((x.at - killedAtAbs) / 1000))
      slowBySecondFromKill[k] = (slowBySecondFromKill[k] ?? 0) + 1
    }
    // Generations issued = successful refreshes; every call beyond them was a second call for an expiry.
    const callsPerExpiry = ep.refreshes === 0 ? 0 : ep.calls / ep.refreshes
    return {
      topology: kind,
      requests: total,
      failed: failures.length,
      failures: [...new Set(failures)].slice(0, 5),
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
      slowBySecondFromKill,
      killed,
      promotedAfterMs,
      degradedMs,
      refresh: { calls: ep.calls, refreshes: ep.refreshes, rejected: ep.rejected, callsPerExpiry: Number(callsPerExpiry.toFixed(2)), inFlightAtKill },
    }
  } finally {
    for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => {})
  }
}

const s = settings()
const watchdog = setTimeout(() => { progress('aborting: over the time budget'); process.exit(1) }, (s.durationS + 120) * 1000 * s.topologies.length)
watchdog.unref()
const reports: Report[] = []
let failed = false
for (const kind of s.topologies) {
  try {
    reports.push(await runOne(kind, s))
  } catch (err) {
    failed = true
    progress(`${kind}: run failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  }
}
for (const r of reports) {
  process.stdout.write(`\n${r.topology}: ${r.requests} requests at ${s.rate}/s over ${s.durationS} s, master killed (${r.killed}), replica serving after ${r.promotedAfterMs} ms\n`)
  process.stdout.write(`  failed requests: ${r.failed}${r.failures.length > 0 ? ` (${r.failures.join(' | ')})` : ''}\n`)
  process.stdout.write(`  latency ms: p50 ${r.latencyMs.p50}, p99 ${r.latencyMs.p99}, max ${r.latencyMs.max}; requests over 1 s by start (s from the kill): ${JSON.stringify(r.slowBySecondFromKill)}\n`)
  process.stdout.write(`  degraded (per gateway, ms): ${r.degradedMs.join(', ')}\n`)
  process.stdout.write(`  token endpoint: ${r.refresh.calls} calls for ${r.refresh.refreshes} expiries (${r.refresh.callsPerExpiry} per expiry), ${r.refresh.rejected} reused refresh tokens; a refresh was in flight at the kill: ${r.refresh.inFlightAtKill}\n`)
}
process.stdout.write(`${JSON.stringify({ bench: 'failover', rate: s.rate, durationS: s.durationS, reports })}\n`)
process.exit(failed ? 1 : 0)
