import t from 'tap'
import type { UsageStats } from '../../src/core/types.ts'
import { baseOrder, preferSession, rotate } from '../../src/routing/profile-order.ts'
import { profile } from './fixtures.ts'

const ids = (ps: ReadonlyArray<{ id: string }>): string[] => ps.map(p => p.id)
const noStats = new Map<string, UsageStats>()

const PROFILES = [
  profile('anthropic:key-a', 'api_key'),
  profile('anthropic:env', 'api_key', 'env'),
  profile('anthropic:setup', 'token'),
  profile('openai:work', 'api_key'),
  profile('anthropic:broken', 'api_key', 'file', false),
  profile('anthropic:me@example.com', 'oauth'),
  profile('anthropic:key-b', 'api_key', 'config'),
]

t.test('the explicit order keeps its sequence and drops missing, unusable and foreign profiles', async t => {
  const order = baseOrder({
    provider: 'anthropic',
    profiles: PROFILES,
    fileOrder: ['anthropic:key-b', 'openai:work', 'anthropic:gone', 'anthropic:broken', 'anthropic:env', 'anthropic:key-b', 'anthropic:key-a'],
    stats: noStats,
  })
  t.same(ids(order), ['anthropic:key-b', 'anthropic:env', 'anthropic:key-a'])
})

t.test('the file order beats the config order, and an empty file order falls through', async t => {
  const input = { provider: 'anthropic', profiles: PROFILES, configOrder: ['anthropic:key-a'], stats: noStats }
  t.same(ids(baseOrder({ ...input, fileOrder: ['anthropic:setup'] })), ['anthropic:setup'])
  t.same(ids(baseOrder({ ...input, fileOrder: [] })), ['anthropic:key-a'])
  t.same(ids(baseOrder(input)), ['anthropic:key-a'])
})

t.test('without an explicit order it is oauth, token, api_key, then env profiles', async t => {
  const order = baseOrder({ provider: 'anthropic', profiles: PROFILES, stats: noStats })
  t.same(ids(order), ['anthropic:me@example.com', 'anthropic:setup', 'anthropic:key-a', 'anthropic:key-b', 'anthropic:env'])
})

t.test('an env token still comes after a file api key', async t => {
  const order = baseOrder({
    provider: 'anthropic',
    profiles: [profile('anthropic:env', 'token', 'env'), profile('anthropic:work', 'api_key')],
    stats: noStats,
  })
  t.same(ids(order), ['anthropic:work', 'anthropic:env'])
})

t.test('within a type the least recently used profile comes first, ties keep their position', async t => {
  const profiles = ['a', 'b', 'c', 'd'].map(n => profile(`openai:${n}`, 'api_key'))
  const stats = new Map<string, UsageStats>([
    ['openai:a', { lastUsed: 300 }],
    ['openai:b', { lastUsed: 100 }],
    ['openai:c', {}],
  ])
  t.same(ids(baseOrder({ provider: 'openai', profiles, stats })), ['openai:c', 'openai:d', 'openai:b', 'openai:a'])
})

t.test('a none profile sorts after keys', async t => {
  const order = baseOrder({ provider: 'ollama', profiles: [profile('ollama:none', 'none', 'none'), profile('ollama:key', 'api_key')], stats: noStats })
  t.same(ids(order), ['ollama:key', 'ollama:none'])
})

t.test('round-robin starts at cursor - 1 and wraps without dropping anyone', async t => {
  const order = ['a', 'b', 'c']
  const cases: Array<[number, string[]]> = [
    [1, ['a', 'b', 'c']],
    [2, ['b', 'c', 'a']],
    [3, ['c', 'a', 'b']],
    [4, ['a', 'b', 'c']],
    [3002, ['b', 'c', 'a']],
    [0, ['c', 'a', 'b']],
  ]
  for (const [cursor, expected] of cases) t.same(rotate(order, cursor, 'round-robin'), expected, `cursor ${cursor}`)
  t.same(rotate([], 5, 'round-robin'), [])
  t.same(order, ['a', 'b', 'c'], 'input untouched')
})

t.test('ordered strategy never rotates', async t => {
  t.same(rotate(['a', 'b', 'c'], 2, 'ordered'), ['a', 'b', 'c'])
})

t.test('preferSession moves the session profile to the front only when present', async t => {
  const order = ['x:a', 'x:b', 'x:c'].map(id => ({ id }))
  t.same(ids(preferSession(order, 'x:c')), ['x:c', 'x:a', 'x:b'])
  t.same(ids(preferSession(order, 'x:a')), ['x:a', 'x:b', 'x:c'])
  t.same(ids(preferSession(order, 'x:gone')), ['x:a', 'x:b', 'x:c'])
  t.same(ids(preferSession(order, undefined)), ['x:a', 'x:b', 'x:c'])
})
