// Tool schemas → the Schema subset Cloud Code Assist accepts: what the API would reject is gone
// (checked with the fake server's own rules), what it said survives as a description hint.
import t from 'tap'
import { PLACEHOLDER_PROPERTY, sanitizeResponseSchema, sanitizeToolSchema } from '../../../src/providers/gemini/schema.ts'
import { checkSchema } from '../../helpers/cloudcode-rules.ts'

function accepted (schema: unknown): string[] {
  const problems: string[] = []
  checkSchema(schema, 'parameters', problems)
  return problems
}

// What zod-to-json-schema / pydantic emit for an ordinary tool.
const PYDANTIC_LIKE = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'SearchArgs',
  type: 'object',
  additionalProperties: false,
  $defs: { Filter: { type: 'object', properties: { field: { type: 'string' }, op: { const: 'eq' } }, required: ['field', 'op'] } },
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 200, pattern: '^\\S', description: 'What to look for' },
    limit: { type: 'integer', exclusiveMinimum: 0, maximum: 50, default: 10 },
    when: { type: ['string', 'null'], format: 'date-time' },
    filter: { $ref: '#/$defs/Filter' },
    mode: { anyOf: [{ type: 'string', enum: ['fast', 'deep'] }, { type: 'null' }] },
    tags: { type: 'array', uniqueItems: true },
    level: { type: 'integer', enum: [1, 2, 3] },
    meta: { type: 'object', additionalProperties: { type: 'string' } },
    both: { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'number' } } }] },
  },
  required: ['query', 'ghost'],
}

t.test('a pydantic-style schema comes out with only keywords the API accepts', async (t) => {
  const out = sanitizeToolSchema(PYDANTIC_LIKE)
  t.strictSame(accepted(out), [])
  t.strictSame(accepted(PYDANTIC_LIKE).length > 0, true, 'the raw schema would have been refused')
})

t.test('constraints become description hints, and required lists only declared properties', async (t) => {
  const out = sanitizeToolSchema(PYDANTIC_LIKE) as Record<string, any>
  t.equal(out.description, 'SearchArgs (no other properties)')
  t.strictSame(out.required, ['query'])
  t.strictSame(out.properties.query, { description: 'What to look for (minLength: 1) (maxLength: 200) (pattern: ^\\S)', type: 'string' })
  t.strictSame(out.properties.limit, { type: 'integer', description: 'maximum: 50 (exclusiveMinimum: 0) (default: 10)' })
  t.strictSame(out.properties.when, { nullable: true, type: 'string', description: 'format: date-time' })
  t.strictSame(out.properties.level, { type: 'integer', description: 'Allowed: 1, 2, 3' })
})

t.test('$ref is inlined, const becomes an enum, anyOf with null becomes nullable', async (t) => {
  const out = sanitizeToolSchema(PYDANTIC_LIKE) as Record<string, any>
  t.strictSame(out.properties.filter, { type: 'object', properties: { field: { type: 'string' }, op: { enum: ['eq'], type: 'string' } }, required: ['field', 'op'] })
  t.strictSame(out.properties.mode, { type: 'string', enum: ['fast', 'deep'], nullable: true })
})

t.test('allOf merges; an array gets items; a free-form object gets a placeholder property', async (t) => {
  const out = sanitizeToolSchema(PYDANTIC_LIKE) as Record<string, any>
  t.strictSame(out.properties.both, { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a'] })
  t.strictSame(out.properties.tags, { type: 'array', description: 'uniqueItems: true', items: { type: 'string' } })
  t.same(Object.keys(out.properties.meta.properties), [PLACEHOLDER_PROPERTY])
})

t.test('a tool without parameters declares none (the API refuses an empty OBJECT)', async (t) => {
  t.equal(sanitizeToolSchema({ type: 'object', properties: {} }), undefined)
  t.equal(sanitizeToolSchema({ type: 'object', additionalProperties: false }), undefined)
})

t.test('a recursive schema ends in a named hint instead of recursing forever', async (t) => {
  const tree = {
    type: 'object',
    properties: { root: { $ref: '#/$defs/Node' } },
    $defs: { Node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
  }
  const out = sanitizeToolSchema(tree) as Record<string, any>
  t.strictSame(accepted(out), [])
  const child = out.properties.root.properties.children.items
  t.match(child.description, /See: Node/)
})

t.test('the input schema is never modified', async (t) => {
  const copy = JSON.parse(JSON.stringify(PYDANTIC_LIKE))
  sanitizeToolSchema(PYDANTIC_LIKE)
  t.strictSame(PYDANTIC_LIKE, copy)
})

t.test('a response schema keeps its top-level object even when it has no properties', async (t) => {
  t.strictSame(sanitizeResponseSchema({ type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false }), {
    type: 'object', description: 'no other properties', properties: { ok: { type: 'boolean' } },
  })
})
