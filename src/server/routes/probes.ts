// Liveness, readiness and metrics: no auth.
import type { FastifyInstance } from 'fastify'
import type { StateStore } from '../../state/types.ts'
import type { Metrics } from '../../telemetry/metrics.ts'

export function probeRoutes (app: FastifyInstance, store: StateStore, metrics: Metrics): void {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async () => store.health() === 'ready'
    ? { status: 'ready', store: store.kind }
    : { status: 'degraded', store: store.kind, reason: 'state store unreachable; serving from local state' })
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics()
    return reply.header('content-type', metrics.registry.contentType).send(text)
  })
}
