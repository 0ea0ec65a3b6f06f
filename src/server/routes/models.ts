// GET /v1/models and /v1/models/{id}: the catalog refs plus the agent's aliases.
import Type from 'typebox'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ModelNotFoundError } from '../../core/errors.ts'
import type { Runtime } from '../runtime.ts'
import { errorBody } from '../error-reply.ts'

interface ModelObject { id: string, object: 'model', created: number, owned_by: string }

const listCache = new WeakMap<Runtime, Map<string, ModelObject[]>>()

function modelList (runtime: Runtime, agent: string): ModelObject[] {
  let perAgent = listCache.get(runtime)
  if (perAgent === undefined) { perAgent = new Map(); listCache.set(runtime, perAgent) }
  let list = perAgent.get(agent)
  if (list !== undefined) return list
  list = []
  for (const provider of runtime.config.catalog.providers.values()) {
    for (const model of provider.models.values()) {
      list.push({ id: `${provider.id}/${model.id}`, object: 'model', created: 0, owned_by: provider.id })
    }
  }
  const settings = runtime.config.agents.get(agent)
  if (settings !== undefined) {
    for (const [alias, ref] of settings.aliases) {
      list.push({ id: alias, object: 'model', created: 0, owned_by: ref.split('/')[0] ?? 'rotor' })
    }
  }
  perAgent.set(agent, list)
  return list
}

/** `/v1/models/{id}`: ids hold `/` (`provider/model`), so the route takes the rest of the path. */
export const ModelParams = Type.Object({ '*': Type.String({ maxLength: 2048 }) })

export function modelsRoutes (plain: FastifyInstance, runtime: () => Runtime): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/v1/models', async (request) => ({ object: 'list', data: modelList(runtime(), request.identity.agent) }))
  app.get('/v1/models/*', { schema: { params: ModelParams } }, async (request, reply) => {
    const id = request.params['*']
    const found = modelList(runtime(), request.identity.agent).find((m) => m.id === id || m.id.toLowerCase() === id.toLowerCase())
    if (found === undefined) {
      const err = new ModelNotFoundError(`Model "${id}" not found`)
      return reply.code(404).send(errorBody(err))
    }
    return found
  })
}
