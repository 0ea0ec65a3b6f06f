import t from 'tap'
import { scenario, HI, profilesFile } from '../helpers/scenario.ts'

t.test('round-robin starts each request at the next profile', async (t) => {
  const { gw } = await scenario(t, { names: ['a', 'b', 'c', 'x'], config: { auth: { strategy: 'round-robin' } } })
  const seen: string[] = []
  for (let i = 0; i < 6; i++) seen.push((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile') ?? '')
  t.same(seen.slice(0, 3).sort(), ['fake:a', 'fake:b', 'fake:c'])
  t.same(seen.slice(3), seen.slice(0, 3), 'the cycle repeats')
})

t.test('ordered always starts at the first profile of the explicit order', async (t) => {
  const { gw } = await scenario(t, {
    names: ['a', 'b', 'c', 'x'],
    config: { auth: { strategy: 'ordered', order: { fake: ['fake:c', 'fake:a', 'fake:b'] } } },
  })
  for (let i = 0; i < 3; i++) t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:c')
})

t.test("the agent file's order beats the config order", async (t) => {
  const { gw } = await scenario(t, {
    authProfiles: profilesFile(['a', 'b', 'x'], { order: { fake: ['fake:b', 'fake:a'] } }),
    config: { auth: { strategy: 'ordered', order: { fake: ['fake:a', 'fake:b'] } } },
  })
  t.equal((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile'), 'fake:b')
})

t.test('model@profile pins the profile: no rotation', async (t) => {
  const { gw } = await scenario(t, { names: ['a', 'b', 'x'], config: { auth: { strategy: 'round-robin' } } })
  for (let i = 0; i < 4; i++) {
    const res = await gw.chat({ model: 'fake/m1@fake:b', ...HI })
    t.equal(res.headers.get('x-rotor-profile'), 'fake:b')
    t.equal(res.headers.get('x-rotor-model'), 'fake/m1')
  }
})

t.test('a pinned profile that fails does not fall back to other profiles or models', async (t) => {
  const { gw, up } = await scenario(t, { byKey: { b: () => ({ status: 500, body: { error: { message: 'boom' } } }) } })
  const res = await gw.chat({ model: 'fake/m1@fake:b', ...HI })
  t.equal(res.status, 502)
  t.equal(up.requests.length, 1)
})

t.test('x-rotor-session keeps a session on the profile it last succeeded with', async (t) => {
  const { gw } = await scenario(t, { names: ['a', 'b', 'c', 'x'], config: { auth: { strategy: 'round-robin' } } })
  const first = (await gw.chat({ model: 'fake/m1', ...HI }, { 'x-rotor-session': 's1' })).headers.get('x-rotor-profile')
  for (let i = 0; i < 4; i++) {
    t.equal((await gw.chat({ model: 'fake/m1', ...HI }, { 'x-rotor-session': 's1' })).headers.get('x-rotor-profile'), first)
  }
  const others = new Set<string>()
  for (let i = 0; i < 3; i++) others.add((await gw.chat({ model: 'fake/m1', ...HI })).headers.get('x-rotor-profile') ?? '')
  t.equal(others.size, 3, 'requests without a session still rotate')
})
