import t from 'tap'
import { substituteEnv, envReferenceName } from '../../src/config/env-substitute.ts'
import { ConfigError, MissingEnvVarError } from '../../src/core/errors.ts'

t.test('a ${VAR} in any string is replaced from the environment', async (t) => {
  const out = substituteEnv({ a: 'x-${FOO}-y', list: ['${FOO}', 3, true, null] }, { FOO: 'bar' })
  t.same(out, { a: 'x-bar-y', list: ['bar', 3, true, null] })
})

t.test('a missing variable is an error naming the variable and the dotted config path', async (t) => {
  const cfg = { models: { providers: { openai: { apiKey: '${OPENAI_KEY}' } } } }
  const err = t.throws(() => substituteEnv(cfg, {})) as Error
  t.type(err, ConfigError)
  t.type(err, MissingEnvVarError)
  t.equal(err.message, 'Missing env var "OPENAI_KEY" referenced at config path: models.providers.openai.apiKey')
})

t.test('an empty variable counts as missing and array indexes appear as [i]', async (t) => {
  const cfg = { gateway: { clients: [{ name: 'a', key: 'k' }, { name: 'b', key: '${CLIENT_B}' }] } }
  t.throws(() => substituteEnv(cfg, { CLIENT_B: '' }), {
    message: 'Missing env var "CLIENT_B" referenced at config path: gateway.clients[1].key',
  })
})

t.test('$${X} is the literal ${X} and needs no variable', async (t) => {
  t.same(substituteEnv({ a: 'cost $${X} and ${Y}' }, { Y: 'y' }), { a: 'cost ${X} and y' })
})

t.test('lower-case names are not variables and stay as written', async (t) => {
  t.same(substituteEnv({ a: '${lower}' }, {}), { a: '${lower}' })
})

t.test('a __proto__ key stays plain data', async (t) => {
  const parsed = JSON.parse('{"__proto__": {"polluted": "${P}"}}') as unknown
  const out = substituteEnv(parsed, { P: 'yes' }) as Record<string, unknown>
  t.same(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { polluted: 'yes' })
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('envReferenceName recognises only a whole ${VAR} string', async (t) => {
  t.equal(envReferenceName('${OPENAI_KEY}'), 'OPENAI_KEY')
  t.equal(envReferenceName('sk-${OPENAI_KEY}'), undefined)
  t.equal(envReferenceName(42), undefined)
})
