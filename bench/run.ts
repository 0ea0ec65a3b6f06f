// `npm run bench`: rotor's cost over a bare Node proxy, against a canned upstream.
// Fake upstream, bare proxy and rotor each run in their own process; autocannon drives
// the load from this one. Every phase is bounded (start timeouts, fixed-duration runs,
// one watchdog for the whole run).
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { ChildHandle } from './lib/child.ts'
import { probe, runLoad } from './lib/load.ts'
import { compare, formatComparisons, formatDetails, formatRows, judge } from './lib/report.ts'
import type { RowResult } from './lib/report.ts'
import {
  dropRedisPrefix, gatewayEntry, redisReachable, startBareProxyChild, startFakeUpstreamChild, startRotorChild,
} from './lib/targets.ts'
import { FAMILIES, MODES, TARGETS, rotorAuthProfiles, rotorConfig } from './rows.ts'
import { redisToolsPresent, startRedisCluster } from '../test/helpers/redis-topology.ts'
import type { Family, Mode, TargetSpec } from './rows.ts'

const USAGE = `usage: npm run bench -- [--duration S] [--warmup S] [--connections N] [--redis] [--log-level L] [--probes N]
  --duration S     measured seconds per row (default 5)
  --warmup S       warm-up seconds per row before measuring (default 2)
  --connections N  concurrent connections (default 50); pipelining is always 1
  --redis          add the rotor-redis rows: the shared Redis (also added when REDIS_URL is set and
                   reachable) and a local Redis Cluster the bench starts (3 masters + 3 replicas)
  --log-level L    rotor's logging.level during the run (default warn)
  --probes N       sequential correctness probes per row before the load (default 20)`

interface Settings {
  durationS: number
  warmupS: number
  connections: number
  redis: boolean
  logLevel: string
  probes: number
}

function number(raw: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`--${name} must be a number from ${min} to ${max}\n${USAGE}\n`)
    process.exit(2)
  }
  return n
}

function settings(): Settings {
  let parsed
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' },
        redis: { type: 'boolean' }, 'log-level': { type: 'string' }, probes: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    process.exit(2)
  }
  const v = parsed.values
  if (v.help) { process.stdout.write(`${USAGE}\n`); process.exit(0) }
  return {
    durationS: number(v.duration, 5, 'duration', 1, 300),
    warmupS: number(v.warmup, 2, 'warmup', 0, 60),
    connections: Math.floor(number(v.connections, 50, 'connections', 1, 2000)),
    redis: v.redis === true,
    logLevel: v['log-level'] ?? 'warn',
    probes: Math.floor(number(v.probes, 20, 'probes', 1, 1000)),
  }
}

function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`)
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface RunState {
  children: Set<ChildHandle>
  tmp?: string
  redisCleanup?: { url: string; prefix: string }
  /** Local topologies the bench started, stopped at the end. */
  stops: Array<() => Promise<void>>
}

async function cleanup(state: RunState): Promise<void> {
  await Promise.all([...state.children].map((c) => c.stop()))
  state.children.clear()
  for (const stop of state.stops.splice(0)) await stop().catch(() => {})
  if (state.redisCleanup) {
    const n = await dropRedisPrefix(state.redisCleanup.url, state.redisCleanup.prefix)
    if (n > 0) progress(`removed ${n} redis keys under ${state.redisCleanup.prefix}`)
  }
  if (state.tmp) await rm(state.tmp, { recursive: true, force: true })
}

function skippedRows(target: string, note: string): RowResult[] {
  return FAMILIES.flatMap((f) => MODES.map((mode) => ({ target, family: f.id, mode, status: 'skipped' as const, note })))
}

interface Live {
  spec: TargetSpec
  baseUrl: string
}

async function measureRow(live: Live, family: Family, mode: Mode, s: Settings): Promise<RowResult> {
  const { spec, baseUrl } = live
  const request = spec.kind === 'bare' ? family.bareRequest(mode) : family.rotorRequest(mode)
  progress(`${spec.name} ${family.id} ${mode}: probing, warming up ${s.warmupS}s, measuring ${s.durationS}s`)
  const checked = await probe(baseUrl, request, mode, s.probes)
  const figures = await runLoad({ baseUrl, request, connections: s.connections, durationS: s.durationS, warmupS: s.warmupS })
  const verdict = judge(figures)
  const notes = [checked.ok ? undefined : checked.note, verdict.note].filter((n) => n !== undefined)
  return {
    target: spec.name, family: family.id, mode,
    status: checked.ok && verdict.status === 'ok' ? 'ok' : 'flagged',
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    figures,
    ...(checked.overheadMs !== undefined ? { overheadMs: checked.overheadMs } : {}),
  }
}

/** Starts one target, or says why its rows are skipped (failed: a startup that should have worked). */
async function startTarget(spec: TargetSpec, s: Settings, state: RunState, upstreamPort: number):
  Promise<{ live: Live } | { skipped: string; failed: boolean } | { omitted: string }> {
  if (spec.kind === 'bare') {
    const bare = await startBareProxyChild(ROOT, upstreamPort)
    state.children.add(bare.child)
    return { live: { spec, baseUrl: `http://127.0.0.1:${bare.port}` } }
  }
  if (gatewayEntry(ROOT) === undefined) return { skipped: 'src/cli/main.ts does not exist yet', failed: false }
  const store = spec.state ?? 'memory'
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  let redisCluster: string[] | undefined
  if (store === 'redis') {
    if (!s.redis && process.env.REDIS_URL === undefined) return { omitted: `${spec.name}: not run (pass --redis or set REDIS_URL)` }
    if (spec.topology === 'cluster') {
      if (!await redisToolsPresent()) return { skipped: 'redis-server/redis-cli not installed', failed: false }
      progress(`${spec.name}: starting a local Redis Cluster (3 masters + 3 replicas)`)
      const cluster = await startRedisCluster()
      state.stops.push(() => cluster.stop())
      redisCluster = cluster.redisConfig.cluster.nodes
    } else if (!await redisReachable(redisUrl)) {
      return { skipped: `redis not reachable at ${redisUrl}`, failed: false }
    }
  }
  const prefix = `rotor-bench-${process.pid}-${spec.name}:`
  // The cluster's keys go with the cluster.
  if (store === 'redis' && redisCluster === undefined) state.redisCleanup = { url: redisUrl, prefix }
  try {
    const rotor = await startRotorChild({
      root: ROOT,
      home: join(state.tmp ?? tmpdir(), spec.name),
      state: store,
      config: rotorConfig({
        upstreamBaseUrl: `http://127.0.0.1:${upstreamPort}/v1`, logLevel: s.logLevel,
        ...(store === 'redis' ? { redisUrl, redisPrefix: prefix, ...(redisCluster !== undefined ? { redisCluster } : {}) } : {}),
      }),
      authProfiles: rotorAuthProfiles(),
      ...(store === 'redis' ? { redisUrl } : {}),
      env: Object.assign({}, ...FAMILIES.map((f) => f.rotorEnv ?? {})) as Record<string, string>,
    })
    state.children.add(rotor.child)
    return { live: { spec, baseUrl: `http://127.0.0.1:${rotor.port}` } }
  } catch (err) {
    // A gateway without redis support yet is a note; one that can't start at all is a failure.
    return { skipped: `gateway did not start in ${store} mode: ${(err as Error).message}`, failed: !spec.optional }
  }
}

async function main(): Promise<number> {
  const s = settings()
  const state: RunState = { children: new Set(), stops: [] }
  const rowCount = TARGETS.length * FAMILIES.length * MODES.length
  const budgetMs = (rowCount * (s.durationS + s.warmupS + 5) + 60) * 1000
  const watchdog = setTimeout(() => {
    progress(`aborting: the run exceeded its ${Math.round(budgetMs / 1000)} s budget`)
    void cleanup(state).finally(() => process.exit(1))
  }, budgetMs)

  const rows: RowResult[] = []
  const notes: string[] = []
  let failed = false
  try {
    state.tmp = await mkdtemp(join(tmpdir(), 'rotor-bench-'))
    const upstream = await startFakeUpstreamChild(ROOT)
    state.children.add(upstream.child)
    progress(`fake upstream on ${upstream.port}`)
    const load = loadavg()[0]
    if (load > availableParallelism() / 2) notes.push(`machine busy at start (load average ${load.toFixed(2)} on ${availableParallelism()} CPUs): figures are noisy`)

    // All targets run side by side (idle ones cost nothing) and rows are measured
    // interleaved — family, mode, then target — so machine drift hits every target alike.
    const live: Live[] = []
    for (const spec of TARGETS) {
      const started = await startTarget(spec, s, state, upstream.port)
      if ('live' in started) {
        live.push(started.live)
        progress(`${spec.name} on ${started.live.baseUrl}`)
      } else if ('omitted' in started) {
        notes.push(started.omitted)
      } else {
        rows.push(...skippedRows(spec.name, started.skipped))
        progress(`${spec.name} skipped: ${started.skipped}`)
        if (started.failed) failed = true
      }
    }
    for (const family of FAMILIES) {
      for (const mode of MODES) {
        for (const target of live) rows.push(await measureRow(target, family, mode, s))
      }
    }
  } catch (err) {
    progress(`failed: ${(err as Error).message}`)
    failed = true
  } finally {
    await cleanup(state)
    clearTimeout(watchdog)
  }

  // Table order: family, mode, then the TARGETS order (bare first), whatever the run order was.
  const rank = (r: RowResult): number[] => [
    FAMILIES.findIndex((f) => f.id === r.family), MODES.indexOf(r.mode), TARGETS.findIndex((x) => x.name === r.target),
  ]
  rows.sort((a, b) => {
    const ra = rank(a), rb = rank(b)
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2]
  })
  const comparisons = compare(rows)
  const out = process.stdout
  out.write(`\nrotor bench — node ${process.version}, ${availableParallelism()} CPUs, ${s.connections} connections, pipelining 1, ${s.warmupS}s warm-up + ${s.durationS}s per row\n\n`)
  out.write(`${formatRows(rows)}\n\n${formatComparisons(comparisons)}\n`)
  const details = formatDetails(rows)
  if (details !== '') out.write(`\n${details}\n`)
  for (const n of notes) out.write(`note: ${n}\n`)
  out.write(`${JSON.stringify({
    bench: 'rotor', node: process.version, cpus: availableParallelism(),
    connections: s.connections, pipelining: 1, durationS: s.durationS, warmupS: s.warmupS,
    rows, comparisons, notes,
  })}\n`)
  if (rows.some((r) => r.status === 'flagged')) failed = true
  return failed ? 1 : 0
}

const code = await main()
process.exit(code)
