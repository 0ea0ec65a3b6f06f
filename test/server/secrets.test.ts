import t from 'tap'
import { errorJson, sseChunk } from '../helpers/fake-upstream.ts'
import { scenario, HI, KEYS } from '../helpers/scenario.ts'

const secrets = [...Object.values(KEYS), 'client-key-123456789', 'admin-key-123456789']

function assertNoSecret (t: import('tap').Test, where: string, text: string): void {
  for (const s of secrets) t.notOk(text.includes(s), `${where} does not contain ${s.slice(0, 8)}…`)
  t.notOk(/aaaaaaaaaaaaaaaa|bbbbbbbbbbbbbbbb|xxxxxxxxxxxxxxx/.test(text), `${where} has no key fragment`)
}

t.test('no credential reaches logs (debug level), error bodies, admin output or metrics', async (t) => {
  // An upstream that echoes the credential it got in its error message.
  const echo = (status: number) => (req: { headers: Record<string, unknown> }) => errorJson(status, `bad request with ${String(req.headers.authorization)}`)
  const { gw } = await scenario(t, {
    byKey: { a: echo(401), b: echo(500), x: echo(503) },
    config: {
      logging: { level: 'debug' },
      gateway: { clients: [{ name: 'app', key: 'client-key-123456789' }], adminKey: 'admin-key-123456789' },
    },
  })
  const auth = { authorization: 'Bearer client-key-123456789' }
  const failed = await gw.chat({ model: 'fake/m1', ...HI }, auth)
  t.equal(failed.status, 502)
  assertNoSecret(t, 'the 502 body', await failed.text())
  const wrong = await gw.chat({ model: 'fake/m1', ...HI }, { authorization: 'Bearer sk-fake-aaaaaaaaaaaaaaaa1111' })
  assertNoSecret(t, 'the 401 body', await wrong.text())
  const status = await gw.app.inject({ method: 'GET', url: '/admin/status', headers: { authorization: 'Bearer admin-key-123456789' } })
  t.equal(status.statusCode, 200)
  assertNoSecret(t, 'admin status', status.body)
  const metrics = await gw.app.inject({ method: 'GET', url: '/metrics' })
  assertNoSecret(t, 'metrics', metrics.body)
  await gw.close()
  t.ok(gw.logs.length > 0, 'something was logged')
  assertNoSecret(t, 'the logs', gw.logs.join('\n'))
})

t.test('the admin API needs the admin key when one is set', async (t) => {
  const { gw } = await scenario(t, { config: { gateway: { adminKey: 'admin-key-123456789' } } })
  const none = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  t.equal(none.statusCode, 401)
  const wrong = await gw.app.inject({ method: 'GET', url: '/admin/status', headers: { authorization: 'Bearer nope-nope-nope' } })
  t.equal(wrong.statusCode, 401)
  const ok = await gw.app.inject({ method: 'GET', url: '/admin/status', headers: { authorization: 'Bearer admin-key-123456789' } })
  t.equal(ok.statusCode, 200)
})

t.test('a mid-stream error event does not carry the credential either', async (t) => {
  const { gw } = await scenario(t, { byKey: { a: () => ({ chunks: [sseChunk('x'), sseChunk('y')], destroyAfter: 1 }) } })
  const res = await gw.chat({ model: 'fake/m1', stream: true, ...HI })
  assertNoSecret(t, 'the stream', await res.text())
})
