// Generators for hostile client input: model names, chat bodies, headers, admin URLs and raw
// HTTP. None of them ever carries a secret outside an auth header, so a secret found in a
// response or log line is always a leak.
import fc from 'fast-check'

/** Characters that break headers, paths, JSON or lookups, plus ordinary ones. */
const NASTY = ['\r', '\n', '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00ff', '\ud800', '\udfff', '\u2028', '\ufeff', '/', '@', ':', '%', '?', '#', '&', '=', '.', '..', '\\', '"', "'", ' ', '\t', 'é', '模', '😀', 'a', 'Z', '0', '-', '_', '[', ']', '{', '}']

export const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf']

/** Any text: arbitrary code points, nasty characters (lone surrogates included), graphemes. */
export const anyText = (maxLength = 24): fc.Arbitrary<string> => fc.oneof(
  fc.string({ unit: 'binary', maxLength }),
  fc.string({ unit: fc.constantFrom(...NASTY), maxLength }),
  fc.string({ unit: 'grapheme', maxLength }),
  fc.constantFrom(...PROTOTYPE_NAMES),
)

const providerPart = fc.oneof(
  fc.constantFrom('fake', 'openrouter', 'anth', 'resp', 'FAKE', 'OpenRouter', 'nope', '', ' ', ...PROTOTYPE_NAMES),
  anyText(8),
)
const modelPart = fc.oneof(fc.constantFrom('m1', 'm2', 'claude', 'gpt', 'x/y', 'a@b', ...PROTOTYPE_NAMES), anyText())

/** Requested model names: valid refs and aliases, `/` and `@` tricks, prototype names, junk. */
export const modelName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('fake/m1', 'fake/m2', 'one', 'default', 'DEFAULT', 'anth/claude', 'resp/gpt', 'openrouter/vendor/model:free', 'm1', 'o1'),
  anyText(),
  fc.tuple(providerPart, fc.constantFrom('/', '//', ' / ', '/ '), modelPart).map(([p, s, m]) => `${p}${s}${m}`),
  fc.tuple(fc.constantFrom('fake/m1', 'one', 'openrouter/x', 'anth/claude'), fc.constantFrom('@', '@@', ' @'), providerPart, fc.constantFrom(':', ''), anyText(12))
    .map(([ref, at, p, colon, name]) => `${ref}${at}${p}${colon}${name}`),
  fc.string({ unit: fc.constantFrom('a', '/', '模', '@'), minLength: 400, maxLength: 1500 }),
)

const jsonish = fc.jsonValue({ maxDepth: 4 })

const contentPart = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.oneof(anyText(40), jsonish) }),
  fc.record({ type: fc.constant('image_url'), image_url: fc.oneof(fc.record({ url: fc.oneof(fc.constant('data:image/png;base64,iVBORw0KGgo='), anyText(40)) }), jsonish) }),
  fc.record({ type: anyText(10) }),
  jsonish,
)

const toolCall = fc.record({
  id: fc.oneof(anyText(12), jsonish),
  type: fc.oneof(fc.constant('function'), anyText(8)),
  function: fc.oneof(fc.record({ name: fc.oneof(anyText(12), fc.constant('get_weather')), arguments: fc.oneof(fc.constant('{"city":"Paris"}'), anyText(30), jsonish) }), jsonish),
}, { requiredKeys: [] })

const message = fc.record({
  role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool', 'function'), anyText(8), jsonish),
  content: fc.oneof(anyText(60), fc.array(contentPart, { maxLength: 4 }), fc.constant(null), jsonish),
  tool_calls: fc.array(toolCall, { maxLength: 3 }),
  tool_call_id: fc.oneof(anyText(12), jsonish),
  name: anyText(12),
  reasoning_content: anyText(20),
}, { requiredKeys: ['role'] })

const tool = fc.record({
  type: fc.oneof(fc.constant('function'), anyText(8)),
  function: fc.record({ name: fc.oneof(fc.constant('get_weather'), anyText(12)), description: anyText(20), parameters: fc.oneof(fc.constant({ type: 'object', properties: { city: { type: 'string' } } }), jsonish) }, { requiredKeys: [] }),
}, { requiredKeys: [] })

/** Chat request objects: mostly plausible, every field sometimes the wrong type. */
export const chatObject: fc.Arbitrary<Record<string, unknown>> = fc.record({
  model: fc.oneof(modelName, jsonish),
  messages: fc.oneof(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(message, { maxLength: 0 }), jsonish),
  stream: fc.oneof(fc.boolean(), jsonish),
  tools: fc.oneof(fc.array(tool, { maxLength: 3 }), jsonish),
  tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.record({ type: fc.constant('function'), function: fc.record({ name: anyText(10) }) }), jsonish),
  response_format: fc.oneof(
    fc.constant({ type: 'json_object' }),
    fc.record({ type: fc.constant('json_schema'), json_schema: fc.record({ name: anyText(10), schema: jsonish, strict: fc.boolean() }, { requiredKeys: [] }) }),
    jsonish,
  ),
  max_tokens: fc.oneof(fc.integer({ min: -5, max: 200_000 }), jsonish),
  temperature: fc.oneof(fc.double({ noNaN: true }), jsonish),
  stop: fc.oneof(anyText(8), fc.array(anyText(8), { maxLength: 5 }), jsonish),
  reasoning_effort: fc.oneof(fc.constantFrom('low', 'medium', 'high'), anyText(8)),
  metadata: fc.dictionary(anyText(8), jsonish, { maxKeys: 3 }),
  extra: jsonish,
}, { requiredKeys: [] })

/** Requests a real client could send, each field occasionally odd: they reach the upstreams and the translators. */
export const plausibleChat: fc.Arbitrary<Record<string, unknown>> = fc.record({
  model: fc.constantFrom('fake/m1', 'one', 'default', 'anth/claude', 'resp/gpt', 'openrouter/vendor/model', 'fake/m1@fake:b', 'anth/claude@anth:a'),
  messages: fc.array(fc.record({
    role: fc.constantFrom('user', 'user', 'assistant', 'system', 'developer', 'tool'),
    content: fc.oneof(anyText(60), fc.array(contentPart, { minLength: 1, maxLength: 3 }), fc.constant(null)),
    tool_calls: fc.array(toolCall, { maxLength: 2 }),
    tool_call_id: anyText(12),
    reasoning_content: anyText(20),
  }, { requiredKeys: ['role', 'content'] }), { minLength: 1, maxLength: 5 }),
  stream: fc.boolean(),
  tools: fc.array(tool, { maxLength: 2 }),
  tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.record({ type: fc.constant('function'), function: fc.record({ name: fc.constantFrom('get_weather', 'nope') }) })),
  response_format: fc.oneof(fc.constant({ type: 'json_object' }), fc.record({ type: fc.constant('json_schema'), json_schema: fc.record({ name: fc.constant('out'), schema: fc.oneof(fc.constant({ type: 'object', properties: { a: { type: 'string' } } }), jsonish) }) })),
  max_tokens: fc.oneof(fc.integer({ min: 1, max: 4096 }), jsonish),
  max_completion_tokens: fc.integer({ min: 1, max: 4096 }),
  temperature: fc.double({ min: 0, max: 2, noNaN: true }),
  stop: fc.oneof(anyText(8), fc.array(anyText(8), { maxLength: 4 })),
  reasoning_effort: fc.constantFrom('low', 'medium', 'high', 'minimal'),
  stream_options: fc.record({ include_usage: fc.boolean() }),
  user: anyText(12),
  n: fc.integer({ min: 1, max: 3 }),
}, { requiredKeys: ['model', 'messages'] })

const nest = (depth: number, open: string, close: string): string => open.repeat(depth) + close.repeat(depth)

/** Request bodies as bytes: JSON of every shape, duplicate keys, deep nesting, large, broken. */
export const chatBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 8, arbitrary: plausibleChat.map((o) => Buffer.from(JSON.stringify(o))) },
  { weight: 4, arbitrary: chatObject.map((o) => Buffer.from(JSON.stringify(o))) },
  { weight: 2, arbitrary: fc.tuple(chatObject, modelName).map(([o, m]) => Buffer.from(`{"model":${JSON.stringify(m)},${JSON.stringify(o).slice(1)}`)) },
  { weight: 1, arbitrary: fc.tuple(chatObject, fc.integer({ min: 200, max: 5000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'])).map(([o, d, [open, close]]) => Buffer.from(`${JSON.stringify(o).slice(0, -1)}${Object.keys(o).length > 0 ? ',' : ''}"deep":${nest(d, open, close).replace(/\{"a":\}/g, '{"a":0}')}}`)) },
  { weight: 1, arbitrary: fc.tuple(modelName, fc.integer({ min: 10_000, max: 120_000 })).map(([m, n]) => Buffer.from(JSON.stringify({ model: m, messages: [{ role: 'user', content: 'x'.repeat(n) }] }))) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 1, arbitrary: fc.tuple(chatObject, fc.nat()).map(([o, cut]) => { const s = JSON.stringify(o); return Buffer.from(s.slice(0, cut % (s.length + 1))) }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: chatObject.map((o) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(o, null, 2))])) },
)

/** A header value as latin1 text: anything a socket can carry, including what parsers refuse. */
const headerText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('a', '=', ' ', ';', ',', '\t'), minLength: 2000, maxLength: 9000 }),
)

export interface HeaderCase {
  readonly auth: string | undefined
  readonly contentType: string | undefined
  readonly requestId: string | undefined
  readonly session: string | undefined
  readonly extra: ReadonlyArray<readonly [string, string]>
  readonly model: string
  readonly stream: boolean
}

/** Auth, content type, request id, session and stray headers around a plausible body. */
export function headerCase (clientKey: string): fc.Arbitrary<HeaderCase> {
  const auth = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(`Bearer ${clientKey}`, `bearer ${clientKey}`, `BEARER   ${clientKey}  `) },
    { weight: 2, arbitrary: fc.constantFrom(`Bearer ${clientKey}x`, 'Bearer', 'Bearer ', `Basic ${clientKey}`) },
    { weight: 1, arbitrary: headerText.map((v) => `Bearer ${v}`) },
    { weight: 1, arbitrary: headerText },
  )
  const name = fc.oneof(fc.constantFrom('x-api-key', 'x-rotor-session', 'x-request-id', 'authorization', 'content-length', 'x-forwarded-for', 'host'), fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), headerText)
  return fc.record({
    auth: fc.option(auth, { nil: undefined }),
    contentType: fc.option(fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain') },
      { weight: 2, arbitrary: fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json;;', '', 'application/jsonx') },
      { weight: 1, arbitrary: headerText },
    ), { nil: undefined, freq: 8 }),
    requestId: fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), headerText), { nil: undefined }),
    session: fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/), headerText), { nil: undefined }),
    extra: fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(fc.tuple(name, headerText), { minLength: 1, maxLength: 3 }) },
    ),
    model: fc.constantFrom('fake/m1', 'anth/claude', 'resp/gpt', 'nope/x', 'one'),
    stream: fc.boolean(),
  })
}

export interface AdminCase {
  readonly method: string
  readonly path: string
  readonly body: string | undefined
  readonly auth: 'admin' | 'none' | 'wrong'
}

/** A path segment as a client might put it in a URL: encoded, raw, or broken encoding. */
const segment = fc.oneof(
  anyText(20).map((s) => encodeURIComponent(s.isWellFormed() ? s : s.toWellFormed())),
  fc.constantFrom('fake', 'other', 'openrouter', 'fake:a', 'fake%3Aa', '..', '%2e%2e', '%2F', '%FF', '%00', '%', '%%', 'a%2Fb', ...PROTOTYPE_NAMES),
  fc.string({ unit: fc.constantFrom('a', '-', '_', '0'), minLength: 90, maxLength: 300 }),
)

const agentValue = fc.oneof(
  fc.constantFrom('default', 'work', 'Work', '..', '../../tmp/x', '-x', '', 'a&agent=b', ...PROTOTYPE_NAMES),
  segment,
  fc.string({ unit: fc.constantFrom('x'), minLength: 60, maxLength: 10_000 }),
)

/** Admin routes with hostile params, queries and bodies; mostly with the admin key. */
export const adminCase: fc.Arbitrary<AdminCase> = fc.record({
  method: fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH'),
  path: fc.tuple(
    fc.constantFrom('/admin/status', '/admin/order/', '/admin/order/', '/admin/order/', '/admin/profiles/', '/admin/profiles/', '/admin/', '/admin/reload'),
    fc.oneof({ weight: 1, arbitrary: fc.constantFrom('fake', 'other', 'fake:a', 'fake:b', 'other:x') }, { weight: 2, arbitrary: segment }),
    fc.option(fc.oneof(
      fc.constantFrom('agent=default', 'agent=work'),
      agentValue.map((a) => `agent=${a}`),
      fc.tuple(agentValue, agentValue).map(([a, b]) => `agent=${a}&agent=${b}`),
      fc.constantFrom('agent[]=x', 'agent[a]=b', 'agent', 'agent=', '&&', '=', 'agent=%FF', '__proto__[x]=1', 'constructor[prototype][x]=1'),
    ), { nil: undefined }),
  ).map(([base, seg, query]) => {
    const path = base === '/admin/profiles/' ? `${base}${seg}/clear-cooldown` : base.endsWith('/') ? `${base}${seg}` : base
    return query === undefined ? path : `${path}?${query}`
  }),
  body: fc.option(fc.oneof(
    fc.record({ order: fc.oneof(fc.array(fc.oneof(fc.constantFrom('fake:a', 'fake:b', 'other:x', 'fake:nope'), anyText(10)), { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 })) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
    fc.integer({ min: 300, max: 50_000 }).map((d) => `{"order":${nest(d, '[', ']')},"order":1}`),
    fc.string({ maxLength: 40 }),
  ), { nil: undefined }),
  auth: fc.constantFrom('admin', 'admin', 'admin', 'admin', 'none', 'wrong'),
})

/** Raw bytes that look more or less like HTTP: broken framing, methods, versions, line ends. */
export const rawRequest = (clientKey: string): fc.Arbitrary<Buffer> => fc.oneof(
  { weight: 5, arbitrary: fc.tuple(
    fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD') },
      { weight: 1, arbitrary: fc.constantFrom('CONNECT', 'TRACE', 'PRI', 'get', 'G T') },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/) },
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('/v1/chat/completions', '/v1/models', '/healthz', '/admin/status', '*', '', 'http://x/v1/models', '/v1/models/%FF', '//', '/../../etc/passwd', '/v1/models?x=%FF', '/v1/models/a%2Fb') },
      { weight: 1, arbitrary: headerText.map((s) => `/${s}`) },
    ),
    fc.oneof({ weight: 4, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '', 'HTTP/0.9') }),
    fc.oneof({ weight: 4, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\r\n') }),
    fc.array(fc.oneof(
      fc.constantFrom(`Authorization: Bearer ${clientKey}`, 'Host: rotor', 'Content-Length: 5', 'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: identity', 'Content-Type: application/json', 'Connection: close', 'Expect: 100-continue-x', ' folded: header', 'NoColon', ': empty-name'),
      fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), headerText).map(([n, v]) => `${n}: ${v}`),
    ), { maxLength: 5 }),
    fc.oneof(fc.constant(''), fc.constantFrom('{}', '5\r\nhello\r\n0\r\n\r\n', 'ZZ\r\n', '0\r\n\r\n'), fc.string({ maxLength: 40 })),
    fc.oneof({ weight: 4, arbitrary: fc.constant(['Host: rotor']) }, { weight: 1, arbitrary: fc.constant([]) }),
  ).map(([method, path, version, eol, headers, body, host]) => Buffer.from(`${method} ${path} ${version}${eol}${[...host, ...headers, 'Connection: close'].join(eol)}${eol}${eol}${body}`, 'latin1')) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.concat([Buffer.from(a), Buffer.from('\r\n\r\n')])) },
)
