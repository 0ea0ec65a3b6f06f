// Talks to a gateway running on this host through its admin API, so CLI changes take effect
// at once; every command also works when none is running.
import type { LoadedConfig } from '../config/types.ts'
import { DEFAULTS } from '../config/load.ts'
import type { CliContext } from './context.ts'

export interface GatewayTarget {
  readonly url: string
  readonly adminKey: string | undefined
}

const PROBE_TIMEOUT_MS = 500
const ADMIN_TIMEOUT_MS = 5000

/** A listen address as a URL host to connect to: wildcard addresses mean this host. */
function connectHost (host: string): string {
  const h = host.trim()
  if (h === '' || h === '0.0.0.0') return '127.0.0.1'
  if (h === '::' || h === '[::]') return '[::1]'
  if (h.includes(':') && !h.startsWith('[')) return `[${h}]`
  return h
}

/** Where the gateway listens per the config (ROTOR_HOST/ROTOR_PORT applied), else env/defaults. */
export function gatewayTarget (ctx: CliContext, config: LoadedConfig | undefined): GatewayTarget {
  if (config !== undefined) {
    return { url: `http://${connectHost(config.gateway.host)}:${config.gateway.port}`, adminKey: config.gateway.adminKey }
  }
  const host = ctx.env.ROTOR_HOST?.trim() || DEFAULTS.host
  const port = Number(ctx.env.ROTOR_PORT?.trim() || DEFAULTS.port)
  return { url: `http://${connectHost(host)}:${Number.isInteger(port) ? port : DEFAULTS.port}`, adminKey: undefined }
}

async function request (target: GatewayTarget, method: string, path: string, timeoutMs: number): Promise<{ status: number, body: unknown }> {
  const headers: Record<string, string> = {}
  if (target.adminKey !== undefined) headers.authorization = `Bearer ${target.adminKey}`
  const res = await fetch(target.url + path, { method, headers, signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, body }
}

/** True when `GET /healthz` answers 200 within 500 ms. */
export async function isRunning (target: GatewayTarget): Promise<boolean> {
  try {
    return (await request({ url: target.url, adminKey: undefined }, 'GET', '/healthz', PROBE_TIMEOUT_MS)).status === 200
  } catch {
    return false
  }
}

function errorText (body: unknown, status: number): string {
  const msg = (body as { error?: { message?: unknown } } | null)?.error?.message
  return typeof msg === 'string' ? msg : `HTTP ${status}`
}

export type AdminResult = { readonly ok: true, readonly body: unknown } | { readonly ok: false, readonly error: string }

/** One admin call; transport failures and non-2xx answers become `{ok:false}`. */
export async function admin (target: GatewayTarget, method: string, path: string): Promise<AdminResult> {
  try {
    const r = await request(target, method, path, ADMIN_TIMEOUT_MS)
    return r.status >= 200 && r.status < 300 ? { ok: true, body: r.body } : { ok: false, error: errorText(r.body, r.status) }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  }
}

export async function readiness (target: GatewayTarget): Promise<{ status: number, body: unknown } | undefined> {
  try {
    return await request({ url: target.url, adminKey: undefined }, 'GET', '/readyz', PROBE_TIMEOUT_MS * 4)
  } catch {
    return undefined
  }
}

/**
 * After a config or credentials change: asks a running gateway to reload and says so.
 * Quiet when none runs; a rejected reload is a warning (the change itself is written).
 */
export async function notifyReload (ctx: CliContext, config: LoadedConfig | undefined): Promise<void> {
  const target = gatewayTarget(ctx, config)
  if (!(await isRunning(target))) return
  const r = await admin(target, 'POST', '/admin/reload')
  if (r.ok) ctx.o.err(`Gateway at ${target.url} reloaded.`)
  else ctx.o.err(`warning: the gateway at ${target.url} did not reload: ${r.error}`)
}
