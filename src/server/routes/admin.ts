// /admin/*: bearer adminKey, or loopback only when none is set. Answers come from the state
// store (shared in redis mode) and never carry a secret: the status view is built from ids,
// types, times and counters only.
import Type from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AGENT_ID_PATTERN } from '../../core/agent-id.ts'
import { ForbiddenError, InvalidApiKeyError, InvalidRequestError, NotFoundError } from '../../core/errors.ts'
import type { StateStore } from '../../state/types.ts'
import { displayState, profileState } from '../../routing/profile-view.ts'
import { baseOrder } from '../../routing/profile-order.ts'
import type { Clock } from '../../core/types.ts'
import { ownValue } from '../../core/own.ts'
import { isLoopbackHost, presentedKey, secretEquals } from '../client-auth.ts'
import type { Runtime } from '../runtime.ts'
import { errorBody } from '../error-reply.ts'

export interface AdminDeps {
  readonly runtime: () => Runtime
  readonly store: StateStore
  readonly now: Clock
  readonly reload: () => { ok: true } | { ok: false, error: string }
}

// Route schemas: what the URL and body may hold. Anything else is a 400 before a handler
// runs, so no handler sees an array where it expects an id, or an id that is not one.
export const AgentQuery = Type.Object({
  agent: Type.Optional(Type.String({ pattern: AGENT_ID_PATTERN })),
})
export const ProviderParams = Type.Object({
  provider: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }),
})
export const ProfileParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256 }),
})
export const OrderBody = Type.Object({
  order: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 256 }),
})

export function adminRoutes (plain: FastifyInstance, deps: AdminDeps): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>()
  app.addHook('onRequest', async (request, reply) => {
    const adminKey = deps.runtime().config.gateway.adminKey
    const err = adminKey === undefined
      ? (isLoopbackHost(request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '') ? undefined : new ForbiddenError('Admin API is only available on loopback when no adminKey is set'))
      : (secretEquals(presentedKey(request.headers), adminKey) ? undefined : new InvalidApiKeyError('Invalid or missing admin key'))
    if (err !== undefined) return reply.code(err.status).send(errorBody(err))
  })

  app.get('/admin/status', { schema: { querystring: AgentQuery } }, async (request) => {
    return statusOf(deps, request.query.agent ?? deps.runtime().config.defaultAgent)
  })

  app.post('/admin/reload', async (_request, reply) => {
    const result = deps.reload()
    if (!result.ok) return reply.code(400).send(errorBody(new InvalidRequestError(`Reload rejected: ${result.error}`)))
    return { status: 'reloaded' }
  })

  app.post('/admin/profiles/:id/clear-cooldown', { schema: { params: ProfileParams, querystring: AgentQuery } }, async (request, reply) => {
    const { id } = request.params
    const agent = request.query.agent ?? deps.runtime().config.defaultAgent
    const { profiles } = deps.runtime().profilesFor(agent)
    if (!profiles.some((p) => p.id === id)) return reply.code(404).send(errorBody(new NotFoundError(`Auth profile "${id}" not found`)))
    await deps.store.clearCooldown(agent, id)
    return { status: 'cleared', profile: id }
  })

  app.get('/admin/order/:provider', { schema: { params: ProviderParams, querystring: AgentQuery } }, async (request, reply) => {
    const agent = request.query.agent ?? deps.runtime().config.defaultAgent
    const { provider } = request.params
    if (!knownProvider(deps, agent, provider)) return reply.code(404).send(errorBody(new NotFoundError(`Provider "${provider}" not found`)))
    return orderOf(deps, agent, provider)
  })

  app.put('/admin/order/:provider', { schema: { params: ProviderParams, querystring: AgentQuery, body: OrderBody } }, async (request, reply) => {
    const { provider } = request.params
    const agent = request.query.agent ?? deps.runtime().config.defaultAgent
    const order = request.body.order
    const { profiles } = deps.runtime().profilesFor(agent)
    for (const id of order) {
      const p = profiles.find((x) => x.id === id)
      if (p === undefined) return reply.code(400).send(errorBody(new InvalidRequestError(`Auth profile "${id}" not found`, 'order')))
      if (p.provider !== provider) return reply.code(400).send(errorBody(new InvalidRequestError(`Auth profile "${id}" is for ${p.provider}, not ${provider}`, 'order')))
    }
    await deps.runtime().credentials.file(agent).update((f) => { f.order = { ...f.order, [provider]: order } })
    return orderOf(deps, agent, provider)
  })

  app.delete('/admin/order/:provider', { schema: { params: ProviderParams, querystring: AgentQuery } }, async (request, reply) => {
    const { provider } = request.params
    const agent = request.query.agent ?? deps.runtime().config.defaultAgent
    if (!knownProvider(deps, agent, provider)) return reply.code(404).send(errorBody(new NotFoundError(`Provider "${provider}" not found`)))
    await deps.runtime().credentials.file(agent).update((f) => {
      if (f.order === undefined || !Object.hasOwn(f.order, provider)) return false
      delete f.order[provider]
    })
    return orderOf(deps, agent, provider)
  })
}

/** In the catalog, or named by the agent's file order (a provider removed from config keeps its order). */
function knownProvider (deps: AdminDeps, agent: string, provider: string): boolean {
  const runtime = deps.runtime()
  return runtime.config.catalog.providers.has(provider) || ownValue(runtime.profilesFor(agent).file.order, provider) !== undefined
}

async function orderOf (deps: AdminDeps, agent: string, provider: string): Promise<unknown> {
  const runtime = deps.runtime()
  const { file, profiles } = runtime.profilesFor(agent)
  const explicit = ownValue(file.order, provider)
  const candidates = profiles.filter((p) => p.provider === provider)
  const stats = await deps.store.readStats(agent, candidates.map((p) => p.id))
  const settings = runtime.config.agents.get(agent)
  const effective = baseOrder({ provider, profiles: candidates, fileOrder: explicit, configOrder: ownValue(settings?.configOrder, provider), stats })
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
      order: ownValue(file.order, provider.id) ?? ownValue(runtime.config.agents.get(agent)?.configOrder, provider.id) ?? null,
      lastGood: ownValue(lastGood, provider.id) ?? null,
      profiles: mine.map((p) => p.id),
    }
  }
  return {
    agent,
    store: { kind: deps.store.kind, health: deps.store.health(), ...(deps.store.topology !== undefined ? { topology: deps.store.topology() } : {}) },
    strategy: runtime.config.auth.strategy,
    providers,
    profiles: profiles.map((p) => {
      const s = stats.get(p.id)
      const view = profileState(p, s, now)
      return {
        ...view,
        state: displayState(view),
        cooldownUntil: s?.cooldownUntil ?? null,
        cooldownReason: s?.cooldownReason ?? null,
        disabledUntil: s?.disabledUntil ?? null,
        disabledReason: s?.disabledReason ?? null,
        modelCooldowns: Object.fromEntries(Object.entries(s?.modelCooldowns ?? {}).map(([m, e]) => [m, { until: e.until, errorCount: e.errorCount }])),
      }
    }),
  }
}
