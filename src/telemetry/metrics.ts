// Prometheus metrics (docs/operations.md). One registry per gateway, nothing global.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Usage } from './usage.ts'

export interface ProfileGaugeRow {
  readonly agent: string
  readonly provider: string
  readonly profile: string
  readonly state: 'ok' | 'cooldown' | 'disabled' | 'probe'
}

export interface Metrics {
  readonly registry: Registry
  request (model: string, provider: string, status: number): void
  /** outcome: 'ok' or the failure reason / kind. */
  attempt (model: string, outcome: string): void
  upstream (model: string, ttfbMs: number, durationMs: number): void
  usage (model: string, usage: Usage, costUsd: number): void
  /** Called on each scrape for live gauges. */
  setCollectors (c: { profiles: () => Promise<readonly ProfileGaugeRow[]>, degraded: () => boolean }): void
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export function createMetrics (): Metrics {
  const registry = new Registry()
  const requests = new Counter({ name: 'rotor_requests_total', help: 'Client requests by model used, provider and status', labelNames: ['model', 'provider', 'status'], registers: [registry] })
  const attempts = new Counter({ name: 'rotor_attempts_total', help: 'Upstream attempts by model and outcome', labelNames: ['model', 'outcome'], registers: [registry] })
  const failovers = new Counter({ name: 'rotor_failovers_total', help: 'Attempts that moved on to another candidate, by reason', labelNames: ['reason'], registers: [registry] })
  const ttfb = new Histogram({ name: 'rotor_upstream_ttfb_seconds', help: 'Upstream time to first byte', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [registry] })
  const duration = new Histogram({ name: 'rotor_upstream_duration_seconds', help: 'Request duration including the streamed body', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [registry] })
  const tokens = new Counter({ name: 'rotor_tokens_total', help: 'Tokens by model and kind', labelNames: ['model', 'kind'], registers: [registry] })
  const cost = new Counter({ name: 'rotor_cost_usd_total', help: 'Estimated USD cost by model', labelNames: ['model'], registers: [registry] })
  let collectors: Parameters<Metrics['setCollectors']>[0] | undefined
  new Gauge({
    name: 'rotor_profile_state', help: 'Auth profile state (1 for the current state)', labelNames: ['agent', 'provider', 'profile', 'state'], registers: [registry],
    async collect () {
      this.reset()
      if (collectors === undefined) return
      for (const row of await collectors.profiles()) this.set({ agent: row.agent, provider: row.provider, profile: row.profile, state: row.state }, 1)
    },
  })
  new Gauge({
    name: 'rotor_state_store_degraded', help: '1 while the shared state store is unreachable and local state serves', registers: [registry],
    collect () { this.set(collectors?.degraded() === true ? 1 : 0) },
  })
  return {
    registry,
    request (model, provider, status) { requests.inc({ model, provider, status: String(status) }) },
    attempt (model, outcome) {
      attempts.inc({ model, outcome })
      if (outcome !== 'ok') failovers.inc({ reason: outcome })
    },
    upstream (model, ttfbMs, durationMs) {
      ttfb.observe({ model }, ttfbMs / 1000)
      duration.observe({ model }, durationMs / 1000)
    },
    usage (model, u, usd) {
      tokens.inc({ model, kind: 'prompt' }, u.promptTokens)
      tokens.inc({ model, kind: 'completion' }, u.completionTokens)
      if (u.cachedTokens > 0) tokens.inc({ model, kind: 'cached' }, u.cachedTokens)
      if (usd > 0) cost.inc({ model }, usd)
    },
    setCollectors (c) { collectors = c },
  }
}
