// /admin/*: bearer adminKey, or loopback only when none is set. Answers come from the state
// store (shared in redis mode) and never carry a secret: the status view is built from ids,
// types, times and counters only.
import type { FastifyInstance } from 'fastify'
import { ForbiddenError, InvalidApiKeyError, InvalidRequestError, NotFoundError } from '../../errors.ts'
import type { StateStore } from '../../state/types.ts'
import { profileState } from '../../routing/profile-view.ts'
import { baseOrder } from '../../routing/profile-order.ts'
import type { Clock } from '../../routing/types.ts'
import { isLoopbackHost, presentedKey, secretEquals } from '../client-auth.ts'
import type { Runtime } from '../runtime.ts'
import { errorBody } from '../error-reply.ts'

export interface AdminDeps {
  readonly runtime: () => Runtime
  readonly store: StateStore
  readonly now: Clock
  readonly reload: () => { ok: true } | { ok: false, error: string }
}

export function adminRoutes (app: FastifyInstance, deps: AdminDeps): void {
  app.addHook('onRequest', async (request, reply) => {
    const adminKey = deps.runtime().config.gateway.adminKey
    const err = adminKey === undefined
      ? (isLoopbackHost(request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '') ? undefined : new ForbiddenError('Admin API is only available on loopback when no adminKey is set'))
      : (secretEquals(presentedKey(request.headers), adminKey) ? undefined : new InvalidApiKeyError('Invalid or missing admin key'))
    if (err !== undefined) return reply.code(err.status).send(errorBody(err))
  })

  app.get('/admin/status', async (request) => {
    const agent = (request.query as { agent?: string }).agent ?? 'default'
    return statusOf(deps, agent)
  })

  app.post('/admin/reload', async (_request, reply) => {
    const result = deps.reload()
    if (!result.ok) return reply.code(400).send(errorBody(new InvalidRequestError(`Reload rejected: ${result.error}`)))
    return { status: 'reloaded' }
  })

  app.post('/admin/profiles/:id/clear-cooldown', async (request, reply) => {
    const { id } = request.params as { id: string }
    const agent = (request.query as { agent?: string }).agent ?? 'default'
    const { profiles } = deps.runtime().profilesFor(agent)
    if (!profiles.some((p) => p.id === id)) return reply.code(404).send(errorBody(new NotFoundError(`Auth profile "${id}" not found`)))
    await deps.store.clearCooldown(agent, id)
    return { status: 'cleared', profile: id }
  })

  app.get('/admin/order/:provider', async (request) => {
    const { provider } = request.params as { provider: string }
    const agent = (request.query as { agent?: string }).agent ?? 'default'
    return orderOf(deps, agent, provider)
  })

  app.put('/admin/order/:provider', async (request, reply) => {
    const { provider } = request.params as { provider: string }
    const agent = (request.query as { agent?: string }).agent ?? 'default'
    const body = request.body as { order?: unknown } | undefined
    const order = body?.order
    if (!Array.isArray(order) || order.some((x) => typeof x !== 'string') || order.length === 0) {
      return reply.code(400).send(errorBody(new InvalidRequestError('Body must be {"order": ["<profile id>", …]}', 'order')))
    }
    const { profiles } = deps.runtime().profilesFor(agent)
    for (const id of order as string[]) {
      const p = profiles.find((x) => x.id === id)
      if (p === undefined) return reply.code(400).send(errorBody(new InvalidRequestError(`Auth profile "${id}" not found`, 'order')))
      if (p.provider !== provider) return reply.code(400).send(errorBody(new InvalidRequestError(`Auth profile "${id}" is for ${p.provider}, not ${provider}`, 'order')))
    }
    await deps.runtime().credentials.file(agent).update((f) => { f.order = { ...f.order, [provider]: order as string[] } })
    return orderOf(deps, agent, provider)
  })

  app.delete('/admin/order/:provider', async (request) => {
    const { provider } = request.params as { provider: string }
    const agent = (request.query as { agent?: string }).agent ?? 'default'
    await deps.runtime().credentials.file(agent).update((f) => {
      if (f.order === undefined || !(provider in f.order)) return false
      delete f.order[provider]
    })
    return orderOf(deps, agent, provider)
  })
}

async function orderOf (deps: AdminDeps, agent: string, provider: string): Promise<unknown> {
  const runtime = deps.runtime()
  const { file, profiles } = runtime.profilesFor(agent)
  const explicit = file.order?.[provider]
  const candidates = profiles.filter((p) => p.provider === provider)
  const stats = await deps.store.readStats(agent, candidates.map((p) => p.id))
  const settings = runtime.config.agents.get(agent)
  const effective = baseOrder({ provider, profiles: candidates, fileOrder: explicit, configOrder: settings?.configOrder[provider], stats })
  return { agent, provider, explicit: explicit ?? null, effective: effective.map((p) => p.id), default: explicit === undefined }
}

async function statusOf (deps: AdminDeps, agent: string): Promise<unknown> {
  const runtime = deps.runtime()
  const now = deps.now()
  const { file, profiles } = runtime.profilesFor(agent)
  const stats = await deps.store.readStats(agent, profiles.map((p) => p.id))
  const lastGood = await deps.store.lastGood(agent)
  const providers: Record<string, unknown> = {}
  for (const provider of runtime.config.catalog.providers.values()) {
    const mine = profiles.filter((p) => p.provider === provider.id)
    providers[provider.id] = {
      api: provider.api,
      baseUrl: provider.baseUrl,
      models: [...provider.models.keys()],
      order: file.order?.[provider.id] ?? runtime.config.agents.get(agent)?.configOrder[provider.id] ?? null,
      lastGood: lastGood[provider.id] ?? null,
      profiles: mine.map((p) => p.id),
    }
  }
  return {
    agent,
    store: { kind: deps.store.kind, health: deps.store.health() },
    strategy: runtime.config.auth.strategy,
    providers,
    profiles: profiles.map((p) => {
      const s = stats.get(p.id)
      const view = profileState(p, s, now)
      return {
        ...view,
        state: view.state === 'ok' && view.halfOpen ? 'probe' : view.state,
        cooldownUntil: s?.cooldownUntil ?? null,
        cooldownReason: s?.cooldownReason ?? null,
        disabledUntil: s?.disabledUntil ?? null,
        disabledReason: s?.disabledReason ?? null,
        modelCooldowns: Object.fromEntries(Object.entries(s?.modelCooldowns ?? {}).map(([m, e]) => [m, { until: e.until, errorCount: e.errorCount }])),
      }
    }),
  }
}
