import t from 'tap'
import { rewriteModel } from '../../src/providers/rewrite-model.ts'

const rw = (s: string, from: string, to: string): string | undefined => rewriteModel(Buffer.from(s), from, to)?.toString()

t.test('the top-level model value is replaced and every other byte kept', async (t) => {
  const body = '{"model":"gpt","messages":[{"role":"user","content":"hi"}],"stream":true}'
  t.equal(rw(body, 'gpt', 'gpt-5.2'), body.replace('"gpt"', '"gpt-5.2"'))
  t.same(JSON.parse(rw('{ "model" :  "fake/m1" , "x": 1}', 'fake/m1', 'm1')!), { model: 'm1', x: 1 })
})

t.test('a model name quoted inside message text is not touched', async (t) => {
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'say "gpt"' }], model: 'gpt' })
  t.same(JSON.parse(rw(body, 'gpt', 'x')!), { messages: [{ role: 'user', content: 'say "gpt"' }], model: 'x' })
})

t.test('two "model" keys with the same value are ambiguous: the caller serialises', async (t) => {
  t.equal(rw('{"model":"gpt","metadata":{"model":"gpt"},"messages":[]}', 'gpt', 'x'), undefined)
})

t.test('a value written with other escapes is not found: the caller serialises', async (t) => {
  t.equal(rw('{"model":"fake\\/m1","messages":[]}', 'fake/m1', 'm1'), undefined)
})

t.test('the replacement is JSON-escaped', async (t) => {
  t.same(JSON.parse(rw('{"model":"a","messages":[]}', 'a', 'we"ird')!), { model: 'we"ird', messages: [] })
})

t.test('a "model" key whose value ends closer to the end of the body than the searched value is skipped, not thrown on', async (t) => {
  // The nested `"model":"y"}}}` leaves fewer bytes than `"fake/m1"` after the colon.
  const body = '{"model":"fake/m1","metadata":{"model":"y"}}'
  t.same(JSON.parse(rw(body, 'fake/m1', 'm1')!), { model: 'm1', metadata: { model: 'y' } })
})
