// JSON Schema (as OpenAI tools carry it) → the Schema subset Cloud Code Assist accepts in
// `functionDeclarations[].parameters` and `generationConfig.responseSchema`. The API answers
// 400 INVALID_ARGUMENT ("Unknown name "additionalProperties" … Cannot find field") for keywords
// outside its OpenAPI-style Schema message, and Claude models behind it (VALIDATED mode) refuse
// most value constraints. So the output keeps only KEPT keywords; what a dropped constraint
// said goes into `description`, so the model still reads it. Pure.
//
// Rewrites, in order, per node: local `$ref` inlined (a cycle or an unresolvable ref becomes a
// "See: Name" hint), `allOf` merged, `anyOf`/`oneOf` projected to their most informative branch
// (a null branch → `nullable`), type arrays → one type (+ `nullable`), `const` → a one-value
// enum, enum values → strings (non-string enums → hint), constraints → hints, an array without
// `items` gets string items, `required` trimmed to declared properties, and an object with no
// properties gets a placeholder property (the API rejects empty OBJECT schemas).
import { isRecord } from '../../core/json.ts'

type Schema = Record<string, unknown>

/** Keywords the API takes; everything else is dropped (constraints first become hints). */
export const KEPT_KEYWORDS: ReadonlySet<string> = new Set(['type', 'description', 'properties', 'items', 'required', 'enum', 'nullable'])

/** Constraints the model should still see, moved into the description as `key: value`. */
const HINTED: readonly string[] = [
  'minLength', 'maxLength', 'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'default', 'examples',
]

const TYPES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object'])
const MAX_DEPTH = 32

/** Property name of the placeholder an empty object schema gets. */
export const PLACEHOLDER_PROPERTY = '_placeholder'
const PLACEHOLDER: Schema = { type: 'boolean', description: 'Placeholder with no meaning; always pass true.' }

interface Walk {
  readonly root: unknown
  /** `$ref`s being expanded on the current path (cycle guard). */
  readonly active: Set<string>
}

/**
 * The sanitised copy of a tool's parameters (never mutates the input). An empty object schema
 * (a tool without parameters) comes back as `undefined`: the declaration then carries no
 * `parameters` at all, since the API rejects an OBJECT schema without properties.
 */
export function sanitizeToolSchema (schema: Readonly<Record<string, unknown>>): Schema | undefined {
  const out = clean(schema, { root: schema, active: new Set() }, 0)
  if (out.type === 'object' && !isRecord(out.properties)) return undefined
  return out
}

/** The sanitised copy of a structured-output schema (response_format json_schema). */
export function sanitizeResponseSchema (schema: Readonly<Record<string, unknown>>): Schema {
  return clean(schema, { root: schema, active: new Set() }, 0)
}

function appendHint (node: Schema, hint: string): void {
  const d = typeof node.description === 'string' && node.description !== '' ? node.description : ''
  node.description = d === '' ? hint : `${d} (${hint})`
}

function hintValue (v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function refName (ref: string): string {
  const i = ref.lastIndexOf('/')
  return (i >= 0 ? ref.slice(i + 1) : ref).replace(/~1/g, '/').replace(/~0/g, '~')
}

/** `#/$defs/Foo` → the node, or undefined. */
function resolvePointer (root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined
  let cur: unknown = root
  for (const raw of ref.slice(2).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(cur)) cur = cur[Number(part)]
    else if (isRecord(cur)) cur = cur[part]
    else return undefined
    if (cur === undefined) return undefined
  }
  return cur
}

/** allOf branches merged into the node: properties and required unioned, other keys filled in. */
function mergeAllOf (node: Schema): Schema {
  const all = node.allOf
  if (!Array.isArray(all)) return node
  const { allOf: _all, ...out } = node
  for (const branch of all) {
    if (!isRecord(branch)) continue
    for (const [k, v] of Object.entries(branch)) {
      if (k === 'properties' && isRecord(v)) out.properties = { ...v, ...(isRecord(out.properties) ? out.properties : {}) }
      else if (k === 'required' && Array.isArray(v)) out.required = [...new Set([...(Array.isArray(out.required) ? out.required : []), ...v])]
      else if (out[k] === undefined) out[k] = v
    }
  }
  return out
}

function typeOf (s: unknown): string | undefined {
  if (!isRecord(s)) return undefined
  if (typeof s.type === 'string') return s.type
  if (isRecord(s.properties)) return 'object'
  if (s.items !== undefined) return 'array'
  return undefined
}

function score (s: unknown): number {
  const t = typeOf(s)
  if (t === 'object') return 3
  if (t === 'array') return 2
  if (t !== undefined && t !== 'null') return 1
  return 0
}

/** anyOf/oneOf → the most informative branch; the others named in a hint, a null branch → nullable. */
function projectUnion (node: Schema): Schema {
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = node[key]
    if (!Array.isArray(branches) || branches.length === 0) continue
    const { [key]: _u, ...rest } = node
    const hasNull = branches.some((b) => typeOf(b) === 'null')
    if (isRecord(rest.properties)) {
      // An object with union constraints: keep it, add the branches' properties it lacks.
      const props: Schema = { ...rest.properties }
      for (const b of branches) if (isRecord(b) && isRecord(b.properties)) for (const [k, v] of Object.entries(b.properties)) props[k] ??= v
      node = { ...rest, properties: props }
    } else {
      let best = 0
      branches.forEach((b, i) => { if (score(b) > score(branches[best])) best = i })
      const chosen = isRecord(branches[best]) ? branches[best] : {}
      const types = [...new Set(branches.map(typeOf).filter((t): t is string => t !== undefined && t !== 'null'))]
      node = { ...chosen, ...rest }
      if (types.length > 1) appendHint(node, `Accepts: ${types.join(' | ')}`)
    }
    if (hasNull) node.nullable = true
  }
  return node
}

/** One schema node: local `$ref`s inlined first (siblings win), then allOf/anyOf/oneOf flattened. */
function clean (input: unknown, walk: Walk, depth: number): Schema {
  if (!isRecord(input)) return {}
  let node: Schema = { ...input }
  const expanded: string[] = []
  for (let ref = node.$ref; typeof ref === 'string' && expanded.length < 8; ref = node.$ref) {
    const { $ref: _ref, ...siblings } = node
    const target = walk.active.has(ref) || expanded.includes(ref) ? undefined : resolvePointer(walk.root, ref)
    if (!isRecord(target)) {
      // A cycle or a reference we cannot follow: the name is all the model gets.
      node = { type: 'object', ...siblings }
      appendHint(node, `See: ${refName(ref)}`)
      break
    }
    node = { ...target, ...siblings }
    expanded.push(ref)
  }
  for (const r of expanded) walk.active.add(r)
  try {
    return cleanNode(projectUnion(mergeAllOf(node)), walk, depth)
  } finally {
    for (const r of expanded) walk.active.delete(r)
  }
}

function cleanNode (node: Schema, walk: Walk, depth: number): Schema {
  const out: Schema = {}
  if (typeof node.description === 'string' && node.description !== '') out.description = node.description
  else if (typeof node.title === 'string' && node.title !== '') out.description = node.title

  // type: one of TYPES; arrays of types → the first non-null one.
  let type: string | undefined
  if (Array.isArray(node.type)) {
    const named = node.type.filter((t): t is string => typeof t === 'string')
    const real = named.filter((t) => t !== 'null')
    type = real[0]
    if (named.includes('null')) out.nullable = true
    if (real.length > 1) appendHint(out, `Accepts: ${real.join(' | ')}`)
  } else if (typeof node.type === 'string') {
    type = node.type
  }
  if (type === 'null') { type = undefined; out.nullable = true }
  type ??= typeOf(node)
  if (type !== undefined && TYPES.has(type)) out.type = type
  if (node.nullable === true) out.nullable = true

  // enum (and const): string values only; a non-string enum is advice, not a constraint.
  const values = Array.isArray(node.enum) ? node.enum : node.const !== undefined ? [node.const] : undefined
  if (values !== undefined && values.length > 0) {
    if (out.type === undefined || out.type === 'string') {
      out.enum = values.map((v) => typeof v === 'string' ? v : JSON.stringify(v))
      out.type = 'string'
    } else {
      appendHint(out, `Allowed: ${values.map(hintValue).join(', ')}`)
    }
  }

  for (const k of HINTED) if (node[k] !== undefined) appendHint(out, `${k}: ${hintValue(node[k])}`)
  if (node.additionalProperties === false) appendHint(out, 'no other properties')

  if (depth >= MAX_DEPTH) {
    appendHint(out, 'nested schema truncated')
    if (out.type === 'object' || out.type === 'array') out.type = 'string'
    return out
  }

  if (out.type === 'array' || (out.type === undefined && node.items !== undefined)) {
    const items = Array.isArray(node.items) ? node.items[0] : node.items
    out.items = isRecord(items) ? clean(items, walk, depth + 1) : { type: 'string' }
  }

  if (isRecord(node.properties)) {
    const props: Schema = {}
    for (const [name, sub] of Object.entries(node.properties)) props[name] = clean(sub, walk, depth + 1)
    if (Object.keys(props).length > 0) {
      out.properties = props
      out.type ??= 'object'
    }
  }
  if (Array.isArray(node.required) && isRecord(out.properties)) {
    const declared = out.properties
    const required = [...new Set(node.required.filter((r): r is string => typeof r === 'string' && r in declared))]
    if (required.length > 0) out.required = required
  }
  // The API rejects an OBJECT schema without properties ("should be non-empty for OBJECT type").
  if (out.type === 'object' && out.properties === undefined && depth > 0) {
    out.properties = { [PLACEHOLDER_PROPERTY]: { ...PLACEHOLDER } }
    appendHint(out, 'free-form object')
  }
  return out
}
