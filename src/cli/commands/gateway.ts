// `rotor gateway status|reload|restart`: a gateway running on this host, through its admin API.
import { quietConfig, tryConfig, type CliContext, type CommonOptions } from '../context.ts'
import { admin, gatewayTarget, isRunning, readiness } from '../gateway-client.ts'
import { printJson } from '../output.ts'
import { EXIT_OK, EXIT_PROBLEM } from '../../core/errors.ts'

export async function gatewayStatus (ctx: CliContext, o: CommonOptions): Promise<number> {
  const target = gatewayTarget(ctx, tryConfig(ctx))
  const running = await isRunning(target)
  const ready = running ? await readiness(target) : undefined
  const body = ready?.body as { status?: unknown, store?: unknown, reason?: unknown } | undefined
  if (o.json === true) {
    printJson(ctx.o, { url: target.url, running, readyz: ready === undefined ? null : { status: ready.status, body: ready.body } })
  } else if (!running) {
    ctx.o.out(`Gateway: not running at ${target.url}`)
  } else {
    ctx.o.out(`Gateway: running at ${target.url}`)
    const state = typeof body?.status === 'string' ? body.status : `HTTP ${ready?.status ?? '?'}`
    ctx.o.out(`Ready: ${state}${typeof body?.store === 'string' ? ` (state store ${body.store})` : ''}${typeof body?.reason === 'string' ? ` — ${body.reason}` : ''}`)
  }
  return running ? EXIT_OK : EXIT_PROBLEM
}

async function reloadRunning (ctx: CliContext): Promise<{ code: number, url: string }> {
  const target = gatewayTarget(ctx, quietConfig(ctx))
  if (!(await isRunning(target))) {
    ctx.o.err(`rotor: no gateway is running at ${target.url}`)
    return { code: EXIT_PROBLEM, url: target.url }
  }
  const r = await admin(target, 'POST', '/admin/reload')
  if (!r.ok) {
    ctx.o.err(`rotor: the gateway at ${target.url} rejected the reload: ${r.error}`)
    return { code: EXIT_PROBLEM, url: target.url }
  }
  return { code: EXIT_OK, url: target.url }
}

export async function gatewayReload (ctx: CliContext): Promise<number> {
  const r = await reloadRunning(ctx)
  if (r.code === EXIT_OK) ctx.o.out(`Gateway at ${r.url} reloaded its configuration.`)
  return r.code
}

/**
 * rotor does not manage its own process: "restart" reloads config and credentials in place
 * (what a restart would pick up); replacing the process is the process manager's job.
 */
export async function gatewayRestart (ctx: CliContext): Promise<number> {
  const r = await reloadRunning(ctx)
  if (r.code === EXIT_OK) {
    ctx.o.out(`Gateway at ${r.url} reloaded its configuration in place (no process restart).`)
    ctx.o.out('To replace the process, use its manager: systemctl restart rotor, docker compose restart rotor, or stop and run rotor serve again.')
  }
  return r.code
}
