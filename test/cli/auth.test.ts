import t from 'tap'
import { statSync } from 'node:fs'
import { cliHome, ANTHROPIC_KEY } from './cli-env.ts'

const SETUP_TOKEN = 'sk-ant-oat01-setupTokenDDDDDDDDDDDDDDDDDDDD5e6f'
const DAY = 86_400_000

t.test('paste-token reads a Claude setup-token from stdin and stores anthropic:claude-cli as oauth', async (t) => {
  const h = await cliHome(t)
  const before = Date.now()
  const r = await h.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], `${SETUP_TOKEN}\n`)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'Auth profile added: anthropic:claude-cli (oauth)\n')
  t.notMatch(r.stdout + r.stderr, SETUP_TOKEN)
  t.equal(statSync(h.authFile).mode & 0o777, 0o600)
  const p = (h.readAuth() as { profiles: Record<string, { type: string, access: string, refresh: string, expires: number }> }).profiles['anthropic:claude-cli']
  t.match(p, { type: 'oauth', provider: 'anthropic', access: SETUP_TOKEN, refresh: '' })
  t.ok(p.expires >= before + 365 * DAY && p.expires <= Date.now() + 365 * DAY, 'valid for a year')
})

t.test('paste-token for another provider stores <provider>:manual as a token', async (t) => {
  const h = await cliHome(t)
  const r = await h.cli(['models', 'auth', 'paste-token', '--provider', 'openrouter', '--expires-in', '30d'], 'sk-or-v1-pastedpastedpasted7777\n')
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'Auth profile added: openrouter:manual (token)\n')
  const p = (h.readAuth() as { profiles: Record<string, { type: string, token: string, expires: number }> }).profiles['openrouter:manual']
  t.equal(p.type, 'token')
  t.ok(p.expires > Date.now() + 29 * DAY && p.expires < Date.now() + 31 * DAY)
})

t.test('paste-token with an empty stdin fails with exit 1 and writes nothing', async (t) => {
  const h = await cliHome(t)
  const r = await h.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], '')
  t.equal(r.code, 1)
  t.match(r.stderr, 'empty')
})

t.test('order set, get and clear round-trip through the agent\'s auth-profiles.json', async (t) => {
  const h = await cliHome(t)
  t.equal((await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])).code, 0)
  t.equal((await h.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], SETUP_TOKEN)).code, 0)

  const def = await h.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic'])
  t.equal(def.code, 0)
  t.match(def.stdout, 'Order: anthropic:claude-cli, anthropic:default (default)', 'oauth before api_key by default')

  const set = await h.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:default', 'anthropic:claude-cli'])
  t.equal(set.code, 0, set.stderr)
  t.same((h.readAuth() as { order: unknown }).order, { anthropic: ['anthropic:default', 'anthropic:claude-cli'] })
  const got = await h.json(['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--json'])
  t.same(got.explicit, ['anthropic:default', 'anthropic:claude-cli'])
  t.same(got.effective, ['anthropic:default', 'anthropic:claude-cli'])
  t.equal(got.source, 'file')
  const text = await h.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic'])
  t.match(text.stdout, /Order: anthropic:default, anthropic:claude-cli\n/)
  t.notMatch(text.stdout, '(default)')

  const clear = await h.cli(['models', 'auth', 'order', 'clear', '--provider', 'anthropic'])
  t.equal(clear.code, 0)
  t.notOk((h.readAuth() as { order?: Record<string, unknown> }).order?.anthropic)
  const after = await h.json(['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--json'])
  t.equal(after.source, 'default')
  t.equal(after.explicit, null)
})

t.test('order set rejects unknown profiles and profiles of another provider with exit 1', async (t) => {
  const h = await cliHome(t)
  t.equal((await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])).code, 0)
  const missing = await h.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:nope'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, 'Auth profile "anthropic:nope" not found')
  const wrong = await h.cli(['models', 'auth', 'order', 'set', '--provider', 'openai', 'anthropic:default'])
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, 'is for anthropic, not openai')
  t.notOk((h.readAuth() as { order?: unknown }).order)
})

t.test('auth list masks secrets; remove deletes the profile with its order and stats', async (t) => {
  const h = await cliHome(t)
  t.equal((await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])).code, 0)
  const r = await h.cli(['models', 'auth', 'add', '--provider', 'anthropic', '--profile-id', 'anthropic:work'], 'sk-ant-api03-workkeyEEEEEEEEEEEEEEEE9a9a\n')
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'Auth profile added: anthropic:work (api_key)')
  const list = await h.cli(['models', 'auth', 'list'])
  t.equal(list.code, 0)
  t.match(list.stdout, /anthropic:default\s+anthropic\s+api_key\s+file\s+sk-ant-…1a2b/)
  t.match(list.stdout, 'sk-ant-…9a9a')
  t.notMatch(list.stdout, ANTHROPIC_KEY)
  const json = await h.json(['models', 'auth', 'list', '--json'])
  t.notMatch(JSON.stringify(json), ANTHROPIC_KEY)

  t.equal((await h.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:work', 'anthropic:default'])).code, 0)
  const rm = await h.cli(['models', 'auth', 'remove', 'anthropic:work'])
  t.equal(rm.code, 0, rm.stderr)
  const auth = h.readAuth() as { profiles: Record<string, unknown>, order: Record<string, string[]> }
  t.notOk(auth.profiles['anthropic:work'])
  t.same(auth.order.anthropic, ['anthropic:default'])
  const again = await h.cli(['models', 'auth', 'remove', 'anthropic:work'])
  t.equal(again.code, 1)
  t.match(again.stderr, 'not found')
})
