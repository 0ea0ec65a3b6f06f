// Model names a client can send that are not valid header values. Unusable names (control
// characters, lone surrogates, absurd length) are refused before any upstream call;
// printable non-Latin-1 names are served and percent-encoded in rotor's headers.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { headerValue } from '../../src/server/header-value.ts'
import { scenario, HI, profilesFile } from '../helpers/scenario.ts'

function openRouterScenario (t: Test): ReturnType<typeof scenario> {
  const file = profilesFile(['a']) as { profiles: Record<string, unknown> }
  file.profiles['openrouter:josé'] = { type: 'api_key', provider: 'openrouter', key: 'sk-or-zzzzzzzzzzzzzzzzzzzz9999' }
  return scenario(t, {
    authProfiles: file,
    config: (baseUrl) => ({
      models: {
        mode: 'replace',
        providers: {
          fake: { baseUrl, api: 'openai-completions', models: [{ id: 'm1' }] },
          // An open catalog: any model id is passed through to the upstream.
          openrouter: { baseUrl, api: 'openai-completions', models: [] },
        },
      },
    }),
  })
}

t.test('a printable non-Latin-1 model name is served and percent-encoded in x-rotor-model', async (t) => {
  const { gw, up } = await openRouterScenario(t)
  const res = await gw.chat({ model: 'openrouter/模型', ...HI })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'openrouter/%E6%A8%A1%E5%9E%8B')
  t.equal(decodeURIComponent(res.headers.get('x-rotor-model') ?? ''), 'openrouter/模型')
  t.equal(res.headers.get('x-rotor-profile'), 'openrouter:jos%C3%A9')
  t.equal(decodeURIComponent(res.headers.get('x-rotor-profile') ?? ''), 'openrouter:josé')
  t.same((await res.json() as { choices: unknown[] }).choices.length, 1)
  t.equal(up.requests.length, 1)
  t.equal(up.requests[0].body.model, '模型', 'the upstream gets the name as sent')
})

t.test('a model name with control characters or a lone surrogate is a 400 and nothing goes upstream', async (t) => {
  const { gw, up } = await openRouterScenario(t)
  const names = [
    'openrouter/a\rb', 'openrouter/a\nb', 'openrouter/a\u0000b', 'openrouter/a\u0001b', 'openrouter/a\u007fb',
    'openrouter/a\u0085b', 'openrouter/\ud800', 'openrouter/x\udc00y', 'fake/m1\r\nx-injected: 1',
    `openrouter/${'m'.repeat(600)}`,
  ]
  for (const model of names) {
    const res = await gw.chat({ model, ...HI })
    t.equal(res.status, 400, JSON.stringify(model).slice(0, 40))
    const body = await res.json() as { error: { code: string, param: string | null } }
    t.equal(body.error.code, 'invalid_request')
    t.equal(body.error.param, 'model')
    t.equal(res.headers.get('x-rotor-attempts'), '0')
    t.equal(res.headers.get('x-injected'), null)
  }
  t.equal(up.requests.length, 0, 'no upstream was called (or billed)')
  const after = await gw.chat({ model: 'fake/m1', ...HI })
  t.equal(after.status, 200, 'the gateway still serves')
})

t.test('headerValue keeps printable ASCII and round-trips everything else', async (t) => {
  t.equal(headerValue('anthropic/claude-opus-4-5'), 'anthropic/claude-opus-4-5')
  t.equal(headerValue('anthropic:me@example.com'), 'anthropic:me@example.com')
  t.equal(headerValue('a%b'), 'a%25b')
  t.equal(headerValue('a\r\nb'), 'a%0D%0Ab')
  t.equal(headerValue('\ud800'), '%EF%BF%BD', 'a lone surrogate never throws')
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
    const v = headerValue(s)
    return /^[\x20-\x7e]*$/.test(v) && decodeURIComponent(v) === s
  }), { seed: 10, numRuns: 2000 })
  t.pass('round-trips')
})
