// One bounded load run per row (autocannon, after a warm-up), plus a correctness probe.
import autocannon from 'autocannon'
import type { Result } from 'autocannon'
import type { Mode, Request } from '../rows.ts'

export interface LoadOptions {
  baseUrl: string
  request: Request
  connections: number
  durationS: number
  warmupS: number
}

export interface LoadFigures {
  rps: number
  requests: number
  p50Ms: number
  p99Ms: number
  errors: number
  timeouts: number
  non2xx: number
  statusCodes: Record<string, number>
  durationS: number
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

function cannon(opts: LoadOptions, durationS: number, onLatency?: (ms: number, status: number) => void): Promise<Result> {
  const instance = autocannon({
    url: `${opts.baseUrl}${opts.request.path}`,
    method: 'POST',
    headers: opts.request.headers,
    body: opts.request.body,
    connections: opts.connections,
    pipelining: 1,
    duration: durationS,
    timeout: 10,
  })
  // autocannon's own histogram is whole milliseconds; the raw per-response times
  // (hrtime, fractional ms) give the µs resolution the added-latency figure needs.
  if (onLatency) {
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => onLatency(ms, status))
  }
  return Promise.resolve(instance)
}

export async function runLoad(opts: LoadOptions): Promise<LoadFigures> {
  if (opts.warmupS > 0) await cannon(opts, opts.warmupS)
  const latencies: number[] = []
  const result = await cannon(opts, opts.durationS, (ms, status) => {
    if (status >= 200 && status < 300) latencies.push(ms)
  })
  latencies.sort((a, b) => a - b)
  const statusCodes: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count
  const ok = result['2xx']
  return {
    rps: result.duration > 0 ? ok / result.duration : 0,
    requests: ok,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    durationS: result.duration,
  }
}

export interface ProbeResult {
  ok: boolean
  note?: string
  /** rotor only: median of x-rotor-overhead-ms over the probe requests. */
  overheadMs?: number
}

function checkBody(mode: Mode, contentType: string, text: string, wire: 'openai' | 'anthropic' | 'bedrock' | 'gemini'): string | undefined {
  if (wire === 'bedrock') {
    if (mode === 'stream') return contentType.includes('application/vnd.amazon.eventstream') && text.includes('metadata') ? undefined : 'answer is not a Converse event stream'
    return text.includes('"output":{"message"') ? undefined : 'answer is not a Converse response'
  }
  if (wire === 'gemini') {
    if (mode === 'stream') return text.includes('"finishReason":"STOP"') ? undefined : 'stream has no finishReason'
    return text.includes('"candidates"') ? undefined : 'answer is not a Cloud Code response'
  }
  if (wire === 'anthropic') {
    if (mode === 'stream') return text.includes('event: message_stop') ? undefined : 'stream has no message_stop event'
    return text.includes('"type":"message"') ? undefined : 'answer is not an Anthropic message'
  }
  if (mode === 'stream') {
    if (!contentType.includes('text/event-stream')) return `content-type ${contentType || '(none)'}, expected text/event-stream`
    if (!text.trimEnd().endsWith('data: [DONE]')) return 'stream did not end with data: [DONE]'
    if (!text.includes('chat.completion.chunk')) return 'stream has no chat.completion.chunk events'
    return undefined
  }
  try {
    const v: unknown = JSON.parse(text)
    const choices = typeof v === 'object' && v !== null ? (v as { choices?: unknown }).choices : undefined
    return Array.isArray(choices) && choices.length > 0 ? undefined : 'JSON answer has no choices'
  } catch {
    return 'answer is not JSON'
  }
}

/**
 * Sends `count` sequential requests and checks each answer has the right shape, so a row
 * that "succeeds" with wrong bodies is flagged. Bounded by a per-request timeout.
 */
export async function probe(baseUrl: string, request: Request, mode: Mode, count: number): Promise<ProbeResult> {
  const overheads: number[] = []
  for (let i = 0; i < count; i++) {
    let res: Response
    let text: string
    try {
      res = await fetch(`${baseUrl}${request.path}`, {
        method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(10_000),
      })
      text = await res.text()
    } catch (err) {
      return { ok: false, note: `probe request failed: ${(err as Error).message}` }
    }
    if (res.status !== 200) return { ok: false, note: `probe got HTTP ${res.status}: ${text.slice(0, 200)}` }
    const bad = checkBody(mode, res.headers.get('content-type') ?? '', text, request.wire ?? 'openai')
    if (bad !== undefined) return { ok: false, note: `probe: ${bad}` }
    const overhead = Number.parseFloat(res.headers.get('x-rotor-overhead-ms') ?? '')
    if (Number.isFinite(overhead)) overheads.push(overhead)
  }
  overheads.sort((a, b) => a - b)
  return overheads.length > 0 ? { ok: true, overheadMs: percentile(overheads, 50) } : { ok: true }
}
