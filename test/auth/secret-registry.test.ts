import t from 'tap'
import { configSecrets, createSecretRegistry, credentialSecrets } from '../../src/auth/secret-registry.ts'
import { maskSecretPatterns } from '../../src/core/mask.ts'
import type { LoadedConfig } from '../../src/config/types.ts'
import { buildCatalog } from '../../src/config/catalog.ts'

const OPAQUE = 'Zq8xT2mN9pL4vR7wK3jH6cF1aB5dE0gY'

t.test('a registered secret without any known prefix is replaced by its mask wherever it appears', async (t) => {
  const secrets = createSecretRegistry()
  secrets.add(OPAQUE)
  t.equal(secrets.scrub(`Invalid key ${OPAQUE}.`), 'Invalid key Zq8…E0gY.')
  t.equal(secrets.scrub(`key_${OPAQUE}_suffix ${OPAQUE}`), 'key_Zq8…E0gY_suffix Zq8…E0gY', 'glued to words, and every occurrence')
  t.equal(secrets.scrub('nothing here'), 'nothing here')
})

t.test('JSON-escaped and URL-encoded forms are scrubbed too, and a log line stays valid JSON', async (t) => {
  const odd = 'p"a/s\\s+w=rd&1234'
  const secrets = createSecretRegistry()
  secrets.add(odd)
  const line = JSON.stringify({ msg: `refresh failed: ${odd}` })
  const scrubbed = secrets.scrub(line)
  t.notOk(scrubbed.includes(JSON.stringify(odd).slice(1, -1)))
  t.strictSame(JSON.parse(scrubbed), { msg: 'refresh failed: p"a…1234' })
  t.equal(secrets.scrub(`?token=${encodeURIComponent(odd)}`), '?token=p"a…1234')
})

t.test('values shorter than 8 characters are not scrubbed', async (t) => {
  const secrets = createSecretRegistry()
  secrets.add('a', 'abc1234', '', undefined)
  t.equal(secrets.size, 0)
  t.equal(secrets.scrub('a abc1234'), 'a abc1234')
})

t.test('a secret that contains another is replaced whole', async (t) => {
  const secrets = createSecretRegistry()
  secrets.add('inner-secret-123', 'outer-inner-secret-123-tail')
  t.equal(secrets.scrub('x outer-inner-secret-123-tail y'), 'x out…tail y')
})

t.test('masks that contain replacement patterns are inserted literally', async (t) => {
  const secrets = createSecretRegistry()
  secrets.add('$&$&-secret-$`$1')
  t.equal(secrets.scrub('k=$&$&-secret-$`$1'), 'k=$&$…$`$1')
})

t.test('the oldest secrets are forgotten past the capacity', async (t) => {
  const secrets = createSecretRegistry(2)
  secrets.add('first-secret-1', 'second-secret-2', 'third-secret-3')
  t.equal(secrets.size, 2)
  t.equal(secrets.scrub('first-secret-1'), 'first-secret-1')
  t.equal(secrets.scrub('third-secret-3'), 'thi…et-3')
})

t.test('secret-looking tokens are masked even when not registered', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['prefixed key', 'Invalid key sk-ant-api03-abcdefghijklmnopqrstuvwx1a2b provided', 'Invalid key sk-ant-…1a2b provided'],
    ['glued to a word by _', 'key_sk-proj-abcdefghijklmnopqrstuvwx9z9z', 'key_sk-proj-…9z9z'],
    ['GitHub token', 'token gho_abcdefghijklmnop9z9z', 'token gho…9z9z'],
    ['bearer', 'Bearer abcdefghijklmnopqrst', 'Bearer abc…qrst'],
    ['Copilot session token after bearer', 'Bearer tid=abc123;exp=1700000000;sku=x:f00dcafe', 'Bearer tid…cafe'],
    ['JWT', 'jwt eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl end', 'jwt eyJ…dXJl end'],
    ['unsigned JWT glued to a word', 'id_eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'id_eyJ…In0.'],
  ]
  for (const [name, text, want] of cases) t.equal(maskSecretPatterns(text), want, name)
  t.equal(maskSecretPatterns('model claude-3-5-sonnet-20241022 is fine'), 'model claude-3-5-sonnet-20241022 is fine')
  t.equal(maskSecretPatterns('task-0123456789abcdefghij'), 'task-0123456789abcdefghij', 'sk- inside a word is not a key')
})

t.test('a credential gives its key, token, access, refresh and other secret fields', async (t) => {
  t.strictSame(credentialSecrets({ type: 'api_key', provider: 'p', key: 'k-123456789', email: 'me@example.com' }), ['k-123456789'])
  t.strictSame(
    credentialSecrets({ type: 'oauth', provider: 'p', access: 'acc', refresh: 'ref', expires: 1, idToken: 'id', clientSecret: 'cs', accountId: 'acct' }),
    ['acc', 'ref', 'id', 'cs'],
  )
})

t.test('a config gives its client and admin keys, provider keys and auth headers, and the Redis password', async (t) => {
  const catalog = buildCatalog({
    mode: 'replace',
    providers: {
      p: { baseUrl: 'http://127.0.0.1:9/v1', api: 'openai-completions', apiKey: 'provider-key-1', headers: { 'x-custom-key': 'header-key-1', 'x-title': 'rotor' }, models: [{ id: 'm', headers: { authorization: 'Bearer model-token-1' } }] },
    },
  }, {})
  const config = {
    gateway: { clients: [{ name: 'app', key: 'client-key-1', agent: 'default' }], adminKey: 'admin-key-1' },
    catalog,
    state: { store: 'redis', redis: { kind: 'url', url: 'redis://user:p%40ss-word@127.0.0.1:6379/0' }, prefix: 'rotor:' },
  } as unknown as LoadedConfig
  t.strictSame(configSecrets(config).sort(), [
    'Bearer model-token-1', 'admin-key-1', 'client-key-1', 'header-key-1', 'model-token-1', 'p%40ss-word', 'p@ss-word', 'provider-key-1',
  ].sort())
})
