// `npm run soak`: many concurrent slow streams through one rotor process, loopback only.
// The slow upstream and rotor each run in their own process; this one drives the clients.
// Reports: streams completed, time to first byte (p50/p99) straight at the upstream and
// through rotor and the difference (second round, warm connections; the cold first round is
// shown too), rotor's peak RSS, and — after a batch of client aborts — how many upstream
// responses are still open (an abandoned stream's connection must be closed, so the upstream
// sees each one end early) and whether the upstream's socket count grew. Bounded in count and time (one
// watchdog); not a test: it prints figures and exits 1 only when the run itself failed.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Agent } from 'undici'
import { portLine, spawnNode, type ChildHandle } from './lib/child.ts'
import { percentile } from './lib/load.ts'
import { startRotorChild } from './lib/targets.ts'
import type { SlowStats } from './slow-upstream.ts'

const USAGE = `usage: npm run soak -- [--streams N] [--aborts N] [--first-byte-ms MS] [--interval-ms MS] [--chunks N]
  --streams N        concurrent slow streams per phase (default 1000)
  --aborts N         streams the client abandons after their first chunk (default 200)
  --first-byte-ms MS upstream wait before its first chunk (default 100)
  --interval-ms MS   upstream gap between chunks (default 100)
  --chunks N         content chunks per stream (default 20)
  --ramp-ms MS       stream starts spread over this long (default 1000; every stream lasts longer, so all overlap)`

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const API_KEY = 'sk-soak-1234567890abcdef'

interface Settings { streams: number; aborts: number; firstByteMs: number; intervalMs: number; chunks: number; rampMs: number }

function settings(): Settings {
  let values
  try {
    values = parseArgs({
      options: {
        streams: { type: 'string' }, aborts: { type: 'string' }, 'first-byte-ms': { type: 'string' },
        'interval-ms': { type: 'string' }, chunks: { type: 'string' }, 'ramp-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    process.exit(2)
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); process.exit(0) }
  const int = (raw: string | undefined, fallback: number, name: string, min: number, max: number): number => {
    const n = raw === undefined ? fallback : Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      process.stderr.write(`--${name} must be an integer from ${min} to ${max}\n${USAGE}\n`)
      process.exit(2)
    }
    return n
  }
  return {
    streams: int(values.streams, 1000, 'streams', 1, 5000),
    aborts: int(values.aborts, 200, 'aborts', 0, 5000),
    firstByteMs: int(values['first-byte-ms'], 100, 'first-byte-ms', 0, 10_000),
    intervalMs: int(values['interval-ms'], 100, 'interval-ms', 1, 10_000),
    chunks: int(values.chunks, 20, 'chunks', 1, 1000),
    rampMs: int(values['ramp-ms'], 1000, 'ramp-ms', 0, 60_000),
  }
}

function progress(msg: string): void {
  process.stderr.write(`[soak] ${msg}\n`)
}

interface StreamResult { ok: boolean; ttfbMs: number; error?: string }

const body = JSON.stringify({ model: 'fake/m1', stream: true, messages: [{ role: 'user', content: 'Tell me a slow story.' }] })
const upstreamBody = JSON.stringify({ model: 'm1', stream: true, messages: [{ role: 'user', content: 'Tell me a slow story.' }] })

/** One streamed request; `abortAfterFirst` hangs up once the first chunk is in. */
async function oneStream(agent: Agent, origin: string, payload: string, headers: Record<string, string>, abortAfterFirst: boolean): Promise<StreamResult> {
  const ac = new AbortController()
  const t0 = performance.now()
  let ttfbMs = -1
  let tail = ''
  try {
    const res = await agent.request({ origin, path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload, signal: ac.signal })
    res.body.on('error', () => { /* an abort below rejects the loop instead */ })
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (ttfbMs < 0) {
        ttfbMs = performance.now() - t0
        if (abortAfterFirst) { ac.abort(); return { ok: true, ttfbMs } }
      }
      tail = (tail + chunk.toString('utf8')).slice(-64)
    }
    const ok = res.statusCode === 200 && tail.endsWith('data: [DONE]\n\n')
    return ok ? { ok, ttfbMs } : { ok, ttfbMs, error: `status ${res.statusCode}, ends ${JSON.stringify(tail.slice(-32))}` }
  } catch (err) {
    return { ok: false, ttfbMs, error: (err as Error).message }
  }
}

/** `n` streams whose starts are spread evenly over `rampMs`. */
async function phase(name: string, n: number, rampMs: number, run: () => Promise<StreamResult>): Promise<StreamResult[]> {
  progress(`${name}: ${n} concurrent streams`)
  const started = performance.now()
  const results = await Promise.all(Array.from({ length: n }, async (_, i) => {
    if (rampMs > 0) await new Promise((r) => setTimeout(r, (i * rampMs) / n))
    return run()
  }))
  progress(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return results
}

async function upstreamStats(port: number): Promise<SlowStats> {
  const res = await fetch(`http://127.0.0.1:${port}/_stats`)
  return await res.json() as SlowStats
}

/** CPU time a process has used so far, ms (Linux /proc; utime + stime at 100 ticks/s); undefined elsewhere. */
async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/** Peak resident set of a process in MiB (Linux VmHWM); undefined elsewhere. */
async function peakRssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}

function summary(results: StreamResult[]): { completed: number; failed: number; p50: number; p99: number; errors: string[] } {
  const ttfb = results.filter((r) => r.ttfbMs >= 0).map((r) => r.ttfbMs).sort((a, b) => a - b)
  const errors = [...new Set(results.filter((r) => !r.ok).map((r) => r.error ?? 'unknown'))].slice(0, 5)
  return { completed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, p50: percentile(ttfb, 50), p99: percentile(ttfb, 99), errors }
}

async function main(): Promise<number> {
  const s = settings()
  const children: ChildHandle[] = []
  let tmp: string | undefined
  const budgetMs = 60_000 + 3 * (s.firstByteMs + s.chunks * s.intervalMs) + 60_000
  const watchdog = setTimeout(() => {
    progress(`aborting: the run exceeded its ${Math.round(budgetMs / 1000)} s budget`)
    void Promise.all(children.map((c) => c.stop())).finally(() => process.exit(1))
  }, budgetMs)
  // Clients of rotor, and clients straight at the upstream (closed after their phase, so
  // their idle sockets do not count at the upstream later).
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 })
  const directAgent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 })
  try {
    const load = loadavg()[0]
    const upstream = spawnNode({
      name: 'slow upstream',
      args: [join(ROOT, 'bench/slow-upstream.ts'), '--first-byte-ms', String(s.firstByteMs), '--interval-ms', String(s.intervalMs), '--chunks', String(s.chunks)],
      cwd: ROOT,
    })
    children.push(upstream)
    const upstreamPort = await upstream.waitFor(portLine, 20_000)
    tmp = await mkdtemp(join(tmpdir(), 'rotor-soak-'))
    const rotor = await startRotorChild({
      root: ROOT,
      home: join(tmp, 'home'),
      state: 'memory',
      config: {
        logging: { level: 'warn' },
        models: { mode: 'replace', providers: { fake: { baseUrl: `http://127.0.0.1:${upstreamPort}/v1`, api: 'openai-completions', apiKey: API_KEY, models: [{ id: 'm1' }] } } },
        agents: { defaults: { model: { primary: 'fake/m1' } } },
      },
    })
    children.push(rotor.child)
    const rotorOrigin = `http://127.0.0.1:${rotor.port}`
    const upstreamOrigin = `http://127.0.0.1:${upstreamPort}`
    progress(`slow upstream on ${upstreamPort}, rotor on ${rotor.port} (pid ${rotor.child.pid ?? '?'})`)

    // Two rounds each; the second is measured, with warm connections and a warm JIT on every side.
    const round = (origin: string, a: Agent, payload: string, headers: Record<string, string>) => () => oneStream(a, origin, payload, headers, false)
    const direct = round(upstreamOrigin, directAgent, upstreamBody, { authorization: `Bearer ${API_KEY}` })
    const straightCold = summary(await phase('warm-up straight at the upstream', s.streams, s.rampMs, direct))
    const straight = summary(await phase('straight at the upstream', s.streams, s.rampMs, direct))
    await directAgent.close()
    const viaRotor = round(rotorOrigin, agent, body, {})
    // A few streams first, so the first measured round is about connections, not rotor's JIT.
    await phase('JIT warm-up through rotor', 50, s.rampMs, viaRotor)
    const throughCold = summary(await phase('warm-up through rotor', s.streams, s.rampMs, viaRotor))
    const cpuBefore = await cpuMs(rotor.child.pid)
    const through = summary(await phase('through rotor', s.streams, s.rampMs, viaRotor))
    const cpuAfter = await cpuMs(rotor.child.pid)
    const rotorCpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore

    const before = await upstreamStats(upstreamPort)
    await phase('client aborts through rotor', s.aborts, 0, () => oneStream(agent, rotorOrigin, body, {}, true))
    // Bounded wait for the upstream to see every abandoned stream closed.
    let after = await upstreamStats(upstreamPort)
    for (let i = 0; i < 200 && after.open > 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      after = await upstreamStats(upstreamPort)
    }
    const rss = await peakRssMiB(rotor.child.pid)
    const rotorAlive = !rotor.child.exited()

    const ms = (v: number): string => Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a'
    const out = process.stdout
    out.write(`\nrotor soak — node ${process.version}, ${availableParallelism()} CPUs, load ${load.toFixed(2)} at start; ` +
      `${s.streams} concurrent streams of ${s.chunks} chunks every ${s.intervalMs} ms after ${s.firstByteMs} ms\n\n`)
    out.write(`streams completed   straight ${straight.completed}/${s.streams}, through rotor ${through.completed}/${s.streams}\n`)
    out.write(`TTFB p50            straight ${ms(straight.p50)}, through rotor ${ms(through.p50)}, added ${ms(through.p50 - straight.p50)}\n`)
    out.write(`TTFB p99            straight ${ms(straight.p99)}, through rotor ${ms(through.p99)}, added ${ms(through.p99 - straight.p99)}\n`)
    out.write(`first round (cold)  p50 straight ${ms(straightCold.p50)}, through rotor ${ms(throughCold.p50)}; p99 straight ${ms(straightCold.p99)}, through rotor ${ms(throughCold.p99)} (new connections on every hop)\n`)
    out.write(`rotor CPU           ${rotorCpuMs === undefined ? 'n/a (no /proc)' : `${rotorCpuMs} ms for the measured round (${(rotorCpuMs / s.streams).toFixed(2)} ms per stream of ${s.chunks + 3} chunks)`}\n`)
    out.write(`rotor peak RSS      ${rss === undefined ? 'n/a (no /proc)' : `${rss.toFixed(1)} MiB`}\n`)
    out.write(`client aborts       ${s.aborts} sent; upstream saw ${after.aborted - before.aborted} closed before their end; ` +
      `upstream responses still open ${after.open}; sockets at the upstream ${before.sockets} before the aborts (rotor's idle pool), ${after.sockets} after\n`)
    out.write(`rotor process       ${rotorAlive ? 'alive' : 'EXITED'}\n`)
    for (const e of [...straight.errors, ...through.errors]) out.write(`error: ${e}\n`)
    out.write(`${JSON.stringify({
      soak: 'rotor', node: process.version, cpus: availableParallelism(), settings: s,
      straight, through, straightCold, throughCold, addedP50Ms: through.p50 - straight.p50, addedP99Ms: through.p99 - straight.p99,
      peakRssMiB: rss, rotorCpuMs, aborts: { sent: s.aborts, upstreamClosedBeforeEnd: after.aborted - before.aborted, upstreamStillOpen: after.open, socketsBefore: before.sockets, socketsAfter: after.sockets },
      rotorAlive,
    })}\n`)
    return rotorAlive && after.open === 0 && through.completed === s.streams ? 0 : 1
  } catch (err) {
    progress(`failed: ${(err as Error).message}`)
    return 1
  } finally {
    // Children first: nothing below may leave them running.
    await Promise.all(children.map((c) => c.stop()))
    await Promise.all([agent, directAgent].map((a) => a.closed ? undefined : a.destroy().catch(() => undefined)))
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
    clearTimeout(watchdog)
  }
}

process.exit(await main())
