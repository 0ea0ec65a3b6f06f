import t from 'tap'
import { startFakeUpstream, completion } from '../helpers/fake-upstream.ts'
import { startTestGateway, fakeProviderConfig } from '../helpers/gateway.ts'

t.test('an alias resolves to provider/model and the fake answers', async (t) => {
  const up = await startFakeUpstream(() => ({ body: completion('hello') }))
  t.teardown(() => up.close())
  const gw = await startTestGateway({
    config: fakeProviderConfig(`${up.url}/v1`),
    authProfiles: { version: 1, profiles: { 'fake:a': { type: 'api_key', provider: 'fake', key: 'sk-fake-aaaaaaaaaaaa1111' } } },
  })
  t.teardown(() => gw.close())
  const res = await gw.chat({ model: 'one', messages: [{ role: 'user', content: 'hi' }] })
  const text = await res.text()
  t.equal(res.status, 200, text)
  t.equal(res.headers.get('x-rotor-model'), 'fake/m1')
  t.equal(res.headers.get('x-rotor-profile'), 'fake:a')
  t.equal(JSON.parse(text).choices[0].message.content, 'hello')
  t.equal(up.requests[0].body.model, 'm1')
  t.equal(up.requests[0].headers.authorization, 'Bearer sk-fake-aaaaaaaaaaaa1111')
})
