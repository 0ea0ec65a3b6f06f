// Bedrock's control plane (`https://bedrock.{region}.amazonaws.com`): the foundation models
// and inference profiles an account can call, for `rotor models scan`. Signed like the
// runtime (SigV4, service `bedrock`) or with a Bedrock API key.
import type { AwsCredentials } from '../../auth/aws-credentials.ts'
import { isRecord } from '../../core/json.ts'
import { ControlPlaneError } from '../../core/errors.ts'
import { bearerHeaders, sigv4Headers } from './signing.ts'

export type ControlPlaneAuth =
  | { readonly kind: 'sigv4', readonly credentials: AwsCredentials }
  | { readonly kind: 'bearer', readonly token: string }

export interface ListModelsOptions {
  /** The provider's runtime base URL; the control plane's is derived from it (see controlPlaneUrl). */
  readonly baseUrl: string
  readonly region: string
  readonly auth: ControlPlaneAuth
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
}

export interface BedrockModelSummary {
  readonly id: string
  readonly name: string
  readonly kind: 'foundation-model' | 'inference-profile'
  readonly input: ('text' | 'image')[]
}

const MAX_PAGES = 50

/**
 * `https://bedrock-runtime.<region>.amazonaws.com` → `https://bedrock.<region>.amazonaws.com`;
 * any other base URL (a proxy, a test fake) serves both planes itself.
 */
export function controlPlaneUrl (runtimeBaseUrl: string): string {
  const url = new URL(runtimeBaseUrl)
  url.hostname = url.hostname.replace(/^bedrock-runtime(-fips)?\./, 'bedrock$1.')
  return url.toString().replace(/\/+$/, '')
}

async function getAll (opts: ListModelsOptions, path: string, key: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = []
  let token: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = new URL(controlPlaneUrl(opts.baseUrl) + path)
    if (token !== undefined) url.searchParams.set('nextToken', token)
    const base = { accept: 'application/json', ...opts.headers }
    const headers = opts.auth.kind === 'bearer'
      ? bearerHeaders(base, opts.auth.token)
      : await sigv4Headers({ method: 'GET', url, headers: base, body: '', region: opts.region, credentials: opts.auth.credentials })
    let res: Response
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) })
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code
      throw new ControlPlaneError(`Cannot reach ${url.origin}${path}: ${cause ?? (err instanceof Error ? err.message : String(err))}`)
    }
    const text = await res.text()
    let body: unknown
    try { body = JSON.parse(text) } catch { body = undefined }
    if (!res.ok) {
      const message = isRecord(body) && typeof body.message === 'string' ? `: ${body.message}` : ''
      throw new ControlPlaneError(`${url.origin}${path} answered HTTP ${res.status}${message}`)
    }
    if (!isRecord(body) || !Array.isArray(body[key])) throw new ControlPlaneError(`${url.origin}${path} answered no ${key}`)
    for (const e of body[key] as unknown[]) if (isRecord(e)) out.push(e)
    token = typeof body.nextToken === 'string' && body.nextToken !== '' ? body.nextToken : undefined
    if (token === undefined) break
  }
  return out
}

const strings = (v: unknown): string[] => Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

/**
 * Text models callable on demand, then the active inference profiles (the only way to call
 * the newer Claude models); a profile takes the input modalities of the model it routes to.
 */
export async function listBedrockModels (opts: ListModelsOptions): Promise<BedrockModelSummary[]> {
  const [models, profiles] = await Promise.all([
    getAll(opts, '/foundation-models', 'modelSummaries'),
    getAll(opts, '/inference-profiles', 'inferenceProfileSummaries'),
  ])
  const inputById = new Map<string, ('text' | 'image')[]>()
  const out: BedrockModelSummary[] = []
  for (const m of models) {
    if (typeof m.modelId !== 'string') continue
    const input: ('text' | 'image')[] = strings(m.inputModalities).includes('IMAGE') ? ['text', 'image'] : ['text']
    inputById.set(m.modelId, input)
    if (!strings(m.outputModalities).includes('TEXT') || !strings(m.inferenceTypesSupported).includes('ON_DEMAND')) continue
    out.push({ id: m.modelId, name: typeof m.modelName === 'string' ? m.modelName : m.modelId, kind: 'foundation-model', input })
  }
  for (const p of profiles) {
    if (typeof p.inferenceProfileId !== 'string' || (p.status !== undefined && p.status !== 'ACTIVE')) continue
    const arn = Array.isArray(p.models) && isRecord(p.models[0]) && typeof p.models[0].modelArn === 'string' ? p.models[0].modelArn : ''
    const target = arn.slice(arn.lastIndexOf('/') + 1)
    out.push({
      id: p.inferenceProfileId,
      name: typeof p.inferenceProfileName === 'string' ? p.inferenceProfileName : p.inferenceProfileId,
      kind: 'inference-profile',
      input: inputById.get(target) ?? ['text'],
    })
  }
  return out
}
