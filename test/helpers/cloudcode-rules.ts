// What the fake Cloud Code Assist server checks in a generate request, the way the real API
// refuses it: headers of the Antigravity client, the envelope, roles, part shapes, and tool
// schemas (the Schema message knows only a few JSON-Schema keywords; Google answers
// `Invalid JSON payload received. Unknown name "additionalProperties" … Cannot find field.`).
import type { IncomingHttpHeaders } from 'node:http'

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Schema keywords the API accepts in functionDeclarations[].parameters. */
export const SCHEMA_KEYWORDS = new Set(['type', 'description', 'properties', 'items', 'required', 'enum', 'nullable', 'format'])
const SCHEMA_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT'])
const PART_KINDS = ['text', 'inlineData', 'functionCall', 'functionResponse']
const PART_EXTRAS = new Set(['thought', 'thoughtSignature'])
const ENVELOPE = new Set(['project', 'model', 'request', 'requestType', 'userAgent', 'requestId'])
const REQUEST_KEYS = new Set(['contents', 'systemInstruction', 'generationConfig', 'tools', 'toolConfig', 'sessionId', 'safetySettings'])
const GENERATION_KEYS = new Set([
  'maxOutputTokens', 'temperature', 'topP', 'topK', 'stopSequences', 'seed', 'presencePenalty', 'frequencyPenalty',
  'responseMimeType', 'responseSchema', 'thinkingConfig', 'candidateCount',
])
const MODES = new Set(['AUTO', 'ANY', 'NONE', 'VALIDATED'])

export function checkHeaders (headers: IncomingHttpHeaders): string[] {
  const problems: string[] = []
  if (!/^antigravity\/\d+\.\d+\.\d+ (darwin|linux|windows)\/(amd64|arm64|386)$/.test(headers['user-agent'] ?? '')) {
    problems.push(`User-Agent "${headers['user-agent'] ?? ''}" is not an Antigravity client`)
  }
  if (headers['x-goog-api-client'] === undefined) problems.push('X-Goog-Api-Client is missing')
  let metadata: unknown
  try { metadata = JSON.parse(String(headers['client-metadata'])) } catch { metadata = undefined }
  if (!isRec(metadata) || metadata.pluginType !== 'GEMINI') problems.push('Client-Metadata is missing or not JSON')
  if (!(headers['content-type'] ?? '').startsWith('application/json')) problems.push('Content-Type must be application/json')
  return problems
}

export function checkSchema (s: unknown, at: string, problems: string[]): void {
  if (!isRec(s)) { problems.push(`${at}: schema must be an object`); return }
  for (const k of Object.keys(s)) {
    if (!SCHEMA_KEYWORDS.has(k)) problems.push(`Invalid JSON payload received. Unknown name "${k}" at '${at}': Cannot find field.`)
  }
  if (s.type !== undefined && (typeof s.type !== 'string' || !SCHEMA_TYPES.has(s.type))) problems.push(`${at}.type: invalid value ${JSON.stringify(s.type)}`)
  if (String(s.type).toLowerCase() === 'object') {
    if (!isRec(s.properties) || Object.keys(s.properties).length === 0) problems.push(`${at}.properties: should be non-empty for OBJECT type`)
  }
  if (String(s.type).toLowerCase() === 'array' && s.items === undefined) problems.push(`${at}.items: missing field.`)
  if (s.enum !== undefined && (!Array.isArray(s.enum) || !s.enum.every((v) => typeof v === 'string'))) problems.push(`${at}.enum: only string values`)
  if (s.required !== undefined) {
    const props = isRec(s.properties) ? s.properties : {}
    if (!Array.isArray(s.required) || !s.required.every((r) => typeof r === 'string' && r in props)) problems.push(`${at}.required: names a property that is not declared`)
  }
  if (isRec(s.properties)) for (const [k, v] of Object.entries(s.properties)) checkSchema(v, `${at}.properties[${k}]`, problems)
  if (s.items !== undefined) checkSchema(s.items, `${at}.items`, problems)
}

function checkPart (p: unknown, at: string, problems: string[]): void {
  if (!isRec(p)) { problems.push(`${at} must be an object`); return }
  const kinds = PART_KINDS.filter((k) => p[k] !== undefined)
  if (kinds.length !== 1) problems.push(`${at}: a part holds exactly one of ${PART_KINDS.join(', ')} (got ${kinds.join(', ') || 'none'})`)
  for (const k of Object.keys(p)) if (!PART_KINDS.includes(k) && !PART_EXTRAS.has(k)) problems.push(`Invalid JSON payload received. Unknown name "${k}" at '${at}': Cannot find field.`)
  if (p.text !== undefined && typeof p.text !== 'string') problems.push(`${at}.text must be a string`)
  if (p.thought !== undefined && p.text === undefined) problems.push(`${at}: thought parts carry text`)
  if (p.inlineData !== undefined && !(isRec(p.inlineData) && typeof p.inlineData.mimeType === 'string' && typeof p.inlineData.data === 'string')) {
    problems.push(`${at}.inlineData needs mimeType and base64 data`)
  }
  if (p.functionCall !== undefined && !(isRec(p.functionCall) && typeof p.functionCall.name === 'string' && isRec(p.functionCall.args))) {
    problems.push(`${at}.functionCall needs name and args (an object)`)
  }
  if (p.functionResponse !== undefined && !(isRec(p.functionResponse) && typeof p.functionResponse.name === 'string' && isRec(p.functionResponse.response))) {
    problems.push(`${at}.functionResponse needs name and response (an object)`)
  }
}

/** Problems of a generate request body; `project` is the caller's project. */
export function checkEnvelope (body: unknown, project: string): { problems: string[], wrongProject: boolean } {
  const problems: string[] = []
  if (!isRec(body)) return { problems: ['body must be a JSON object'], wrongProject: false }
  for (const k of Object.keys(body)) if (!ENVELOPE.has(k)) problems.push(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`)
  if (typeof body.project !== 'string' || body.project === '') problems.push('Invalid project: project is required')
  if (typeof body.model !== 'string' || body.model === '') problems.push('model is required')
  if (body.requestType !== 'agent') problems.push('requestType must be "agent"')
  if (body.userAgent !== 'antigravity') problems.push('userAgent must be "antigravity"')
  if (typeof body.requestId !== 'string' || !/^agent-\d+-\w+$/.test(body.requestId)) problems.push('requestId must look like agent-<ts>-<rand>')
  const req = body.request
  if (!isRec(req)) return { problems: [...problems, 'request is required'], wrongProject: false }
  for (const k of Object.keys(req)) if (!REQUEST_KEYS.has(k)) problems.push(`Invalid JSON payload received. Unknown name "${k}" at 'request': Cannot find field.`)
  if (!Array.isArray(req.contents) || req.contents.length === 0) problems.push('request.contents must not be empty')
  else {
    req.contents.forEach((c: unknown, i) => {
      const at = `request.contents[${i}]`
      if (!isRec(c)) { problems.push(`${at} must be an object`); return }
      if (c.role !== 'user' && c.role !== 'model') problems.push(`Please use a valid role: user, model. (${at}.role = ${JSON.stringify(c.role)})`)
      if (!Array.isArray(c.parts) || c.parts.length === 0) problems.push(`${at}.parts must not be empty`)
      else c.parts.forEach((p: unknown, j) => { checkPart(p, `${at}.parts[${j}]`, problems) })
    })
  }
  const si = req.systemInstruction
  if (si !== undefined && !(isRec(si) && Array.isArray(si.parts) && si.parts.every((p) => isRec(p) && typeof p.text === 'string'))) {
    problems.push('request.systemInstruction must be {parts: [{text}]}')
  }
  if (req.generationConfig !== undefined) {
    if (!isRec(req.generationConfig)) problems.push('request.generationConfig must be an object')
    else for (const k of Object.keys(req.generationConfig)) if (!GENERATION_KEYS.has(k)) problems.push(`Invalid JSON payload received. Unknown name "${k}" at 'request.generation_config': Cannot find field.`)
  }
  if (req.tools !== undefined) {
    if (!Array.isArray(req.tools)) problems.push('request.tools must be an array')
    else req.tools.forEach((t: unknown, i) => {
      const decls = isRec(t) ? t.functionDeclarations : undefined
      if (!Array.isArray(decls)) { problems.push(`request.tools[${i}].functionDeclarations must be an array`); return }
      decls.forEach((d: unknown, j) => {
        const at = `request.tools[${i}].function_declarations[${j}]`
        if (!isRec(d) || typeof d.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(d.name)) problems.push(`${at}.name is invalid`)
        if (isRec(d) && d.parameters !== undefined) checkSchema(d.parameters, `${at}.parameters`, problems)
      })
    })
  }
  const tc = req.toolConfig
  if (tc !== undefined) {
    const mode = isRec(tc) && isRec(tc.functionCallingConfig) ? tc.functionCallingConfig.mode : undefined
    if (typeof mode !== 'string' || !MODES.has(mode)) problems.push('request.toolConfig.functionCallingConfig.mode is invalid')
  }
  const wrongProject = problems.length === 0 && body.project !== project
  return { problems, wrongProject }
}
