// Request-body checks done on the bytes after JSON.parse accepted them: nesting depth and a
// repeated top-level "model" key.
import t from 'tap'
import fc from 'fast-check'
import { jsonShape, MAX_JSON_DEPTH, parseJsonBody } from '../../src/server/json-body.ts'
import { InvalidRequestError } from '../../src/core/errors.ts'

const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n)
// Strings past 32 bytes are skipped with indexOf, shorter ones byte by byte: both paths must agree.
const PAD = 'p'.repeat(5000)

function depthOf (v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((m: number, x) => Math.max(m, depthOf(x)), 0)
  if (typeof v === 'object' && v !== null) return 1 + Object.values(v).reduce((m: number, x) => Math.max(m, depthOf(x)), 0)
  return 0
}

t.test('nesting up to the limit passes; one level more is too deep', async (t) => {
  for (const pad of ['', PAD]) {
    t.equal(jsonShape(Buffer.from(`{"pad":"${pad}","x":${nest(MAX_JSON_DEPTH - 1)}}`)), 'ok')
    t.equal(jsonShape(Buffer.from(`{"pad":"${pad}","x":${nest(MAX_JSON_DEPTH)}}`)), 'too_deep')
  }
})

t.test('brackets, quotes and backslashes inside strings do not count', async (t) => {
  for (const pad of ['', PAD]) {
    const text = JSON.stringify({ pad, a: '['.repeat(1000), b: '"]}\\"{[', c: '\\\\', d: `\\"${'{'.repeat(300)}` })
    t.equal(jsonShape(Buffer.from(text)), 'ok', `pad ${pad.length}`)
  }
})

t.test('a repeated top-level "model" key is found however it is spelled; nested ones are not repeats', async (t) => {
  t.equal(jsonShape(Buffer.from('{"model":"a","messages":[],"model":"b"}')), 'duplicate_model')
  t.equal(jsonShape(Buffer.from('{"model" : "a", "mod\\u0065l":"b"}')), 'duplicate_model')
  t.equal(jsonShape(Buffer.from('{"\\u006d\\u006f\\u0064\\u0065\\u006c":"a","model":"b"}')), 'duplicate_model')
  t.equal(jsonShape(Buffer.from('{"model":"a","meta":{"model":"b"},"messages":[{"model":"c"}]}')), 'ok')
  t.equal(jsonShape(Buffer.from('{"model":"model","x":"model","y":["model"]}')), 'ok', '"model" as a value is not a key')
  t.equal(jsonShape(Buffer.from(JSON.stringify({ model: 'a', content: '{"model":"b"}' }))), 'ok', 'inside a string')
})

t.test('the depth found matches the parsed value for arbitrary JSON', async (t) => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 12 }), fc.boolean(), (value, padded) => {
    const text = JSON.stringify({ pad: padded ? PAD : '', value })
    const depth = depthOf(JSON.parse(text) as unknown)
    return jsonShape(Buffer.from(text), depth) === 'ok' && jsonShape(Buffer.from(text), depth - 1) === 'too_deep'
  }), { seed: 7, numRuns: 500 })
  t.pass('agrees with a recursive depth count')
})

t.test('escapes around the inline/indexOf boundary of a string are read right', async (t) => {
  const tricky = fc.string({ unit: fc.constantFrom('\\', '"', 'a', '[', '{', ']', '}'), maxLength: 80 })
  fc.assert(fc.property(fc.array(tricky, { maxLength: 4 }), fc.integer({ min: 1, max: 6 }), (strings, depth) => {
    const text = JSON.stringify({ s: strings, d: JSON.parse(nest(depth)) as unknown })
    const want = depthOf(JSON.parse(text) as unknown)
    return jsonShape(Buffer.from(text), want) === 'ok' && jsonShape(Buffer.from(text), want - 1) === 'too_deep'
  }), { seed: 11, numRuns: 2000 })
  t.pass('agrees with a recursive depth count')
})

t.test('parseJsonBody answers invalid JSON, non-objects, deep and duplicate-model bodies with a 400', async (t) => {
  for (const text of ['', '{', 'null', '[]', '"x"', `{"x":${nest(300)}}`, '{"model":"a","model":"b"}']) {
    const r = parseJsonBody(Buffer.from(text))
    t.ok(r instanceof InvalidRequestError, text.slice(0, 30))
  }
  t.strictSame(parseJsonBody(Buffer.from('{"model":"a","messages":[]}')), { model: 'a', messages: [] })
})
