// Google Antigravity (Cloud Code Assist): the client identity the API checks, and the Google
// Cloud project an account's requests are billed to — found with loadCodeAssist, or created
// for the account's tier with onboardUser (a long-running operation, polled until done). Login
// stores the project on the oauth credential as `projectId`, where the adapter reads it.
import type { FetchLike } from './token-endpoints.ts'
import { transportReason } from './token-endpoints.ts'
import { safeMessage } from '../../core/classify.ts'
import { isRecord } from '../../core/json.ts'
import { ProjectDiscoveryError } from '../../core/errors.ts'

export const ANTIGRAVITY_PROVIDER = 'google-antigravity'
/** Antigravity's own endpoint; the production host serves Gemini CLI and answers Antigravity too. */
export const ANTIGRAVITY_BASE_URL = 'https://daily-cloudcode-pa.sandbox.googleapis.com'
export const CLOUD_CODE_PROD_URL = 'https://cloudcode-pa.googleapis.com'
/** Version the Antigravity user agent announces; the sandbox endpoint checks the agent's shape. */
export const ANTIGRAVITY_VERSION = '1.15.8'

const GOOS: Readonly<Record<string, string>> = { darwin: 'darwin', linux: 'linux', win32: 'windows' }
const GOARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', ia32: '386' }

/** `antigravity/1.15.8 darwin/arm64`, as the Antigravity app sends it. */
export function antigravityUserAgent (platform: string = process.platform, arch: string = process.arch): string {
  return `antigravity/${ANTIGRAVITY_VERSION} ${GOOS[platform] ?? platform}/${GOARCH[arch] ?? arch}`
}

export const CLIENT_METADATA = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' } as const

/** Identity headers every Cloud Code Assist call carries (besides Authorization); built once. */
export const CLOUD_CODE_HEADERS: Readonly<Record<string, string>> = {
  'user-agent': antigravityUserAgent(),
  'x-goog-api-client': 'google-cloud-sdk vscode_cloudshelleditor/0.1',
  'client-metadata': JSON.stringify(CLIENT_METADATA),
}

/** Project discovery failed; the message is safe to print (never a token). */
export interface DiscoverProjectInput {
  readonly accessToken: string
  /** Cloud Code Assist bases tried in order for loadCodeAssist (the first that answers is used). */
  readonly baseUrls: readonly string[]
  readonly fetch?: FetchLike
  /** Waits between operation polls; defaults to a timer. */
  readonly sleep?: (ms: number) => Promise<void>
  readonly timeoutMs?: number
  /** Progress lines for the user. */
  readonly progress?: (text: string) => void
  /** Poll interval and bound for onboardUser (defaults 5 s × 12). */
  readonly pollMs?: number
  readonly maxPolls?: number
}

interface Reply { readonly status: number, readonly json: Record<string, unknown> | undefined, readonly text: string }

const str = (v: unknown): string | undefined => typeof v === 'string' && v !== '' ? v : undefined

/** `cloudaicompanionProject` as a string or `{id}`. */
export function projectIdOf (v: unknown): string | undefined {
  return str(v) ?? (isRecord(v) ? str(v.id) : undefined)
}

function errorText (r: Reply): string {
  const err = r.json?.error
  const message = isRecord(err) ? str(err.message) : undefined
  return `HTTP ${r.status}${message !== undefined ? `: ${safeMessage(message, 160)}` : ''}`
}

async function call (input: DiscoverProjectInput, method: 'GET' | 'POST', url: string, body?: unknown): Promise<Reply> {
  const timeoutMs = input.timeoutMs ?? 30_000
  try {
    const res = await (input.fetch ?? fetch)(url, {
      method,
      headers: { authorization: `Bearer ${input.accessToken}`, 'content-type': 'application/json', accept: 'application/json', ...CLOUD_CODE_HEADERS },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    let json: unknown
    try { json = JSON.parse(text) } catch { json = undefined }
    return { status: res.status, json: isRecord(json) ? json : undefined, text }
  } catch (err) {
    throw new ProjectDiscoveryError(`${url.replace(/\?.*$/, '')}: ${transportReason(err, timeoutMs)}`)
  }
}

/** The tier onboardUser should provision: the default allowed tier, else the first, else legacy. */
function tierOf (load: Record<string, unknown>): { id: string, ownProject: boolean } {
  const tiers = Array.isArray(load.allowedTiers) ? load.allowedTiers.filter(isRecord) : []
  const tier = tiers.find((t) => t.isDefault === true) ?? tiers[0] ?? (isRecord(load.currentTier) ? load.currentTier : undefined)
  return { id: str(tier?.id) ?? 'legacy-tier', ownProject: tier?.userDefinedCloudaicompanionProject === true }
}

/**
 * The account's Cloud Code Assist project: loadCodeAssist's `cloudaicompanionProject`, else the
 * one onboardUser provisions for the default tier (polling the operation, bounded). Throws
 * ProjectDiscoveryError when neither gives one.
 */
export async function discoverProject (input: DiscoverProjectInput): Promise<string> {
  const metadata = { ...CLIENT_METADATA }
  let load: Record<string, unknown> | undefined
  let base: string | undefined
  const failures: string[] = []
  for (const candidate of input.baseUrls) {
    const r = await call(input, 'POST', `${candidate}/v1internal:loadCodeAssist`, { metadata })
    if (r.status >= 200 && r.status < 300 && r.json !== undefined) { load = r.json; base = candidate; break }
    failures.push(`${new URL(candidate).host}: ${errorText(r)}`)
  }
  if (load === undefined || base === undefined) throw new ProjectDiscoveryError(`loadCodeAssist failed (${failures.join('; ')})`)
  const found = projectIdOf(load.cloudaicompanionProject)
  if (found !== undefined) return found

  const tier = tierOf(load)
  if (tier.ownProject) {
    throw new ProjectDiscoveryError(`the account's tier (${tier.id}) needs a Google Cloud project of your own; enable Gemini for Google Cloud on one, then sign in again`)
  }
  input.progress?.(`Provisioning a Cloud Code Assist project (${tier.id})…`)
  const onboard = { tierId: tier.id, metadata }
  let op = await call(input, 'POST', `${base}/v1internal:onboardUser`, onboard)
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms) }))
  const maxPolls = input.maxPolls ?? 12
  for (let i = 0; ; i++) {
    if (op.status < 200 || op.status >= 300 || op.json === undefined) throw new ProjectDiscoveryError(`onboardUser failed: ${errorText(op)}`)
    if (op.json.done === true) break
    if (i >= maxPolls) throw new ProjectDiscoveryError('onboardUser did not finish in time; try signing in again in a minute')
    await sleep(input.pollMs ?? 5000)
    // A named operation is polled; without a name the call itself is repeated (Gemini CLI does).
    const name = str(op.json.name)
    op = name !== undefined ? await call(input, 'GET', `${base}/v1internal/${name}`) : await call(input, 'POST', `${base}/v1internal:onboardUser`, onboard)
  }
  const response = op.json?.response
  const project = isRecord(response) ? projectIdOf(response.cloudaicompanionProject) : undefined
  if (project === undefined) throw new ProjectDiscoveryError('onboardUser finished without a project id')
  return project
}
