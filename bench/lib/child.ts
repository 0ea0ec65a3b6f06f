// Child processes of the bench: each server gets its own process (own event loop),
// announces readiness on stdout, and is stopped by pid when the run ends.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface ChildHandle {
  readonly name: string
  readonly pid: number | undefined
  /** Resolves with the first stdout/stderr line for which pick returns a value; rejects on exit or timeout. */
  waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number): Promise<T>
  /** Last output lines, for error notes. */
  tail(n?: number): string
  exited(): boolean
  stop(): Promise<void>
}

export interface SpawnOptions {
  name: string
  args: readonly string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export interface SpawnCommandOptions extends SpawnOptions {
  command: string
}

const TAIL_LINES = 40

/** Runs a .ts/.js file on the Node that runs us (Node 24: npm scripts put it first on PATH). */
export function spawnNode(opts: SpawnOptions): ChildHandle {
  return spawnCommand({ ...opts, command: process.execPath })
}

export function spawnCommand(opts: SpawnCommandOptions): ChildHandle {
  const child: ChildProcess = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const listeners = new Set<(line: string) => void>()
  const exitListeners = new Set<(code: number | null, signal: NodeJS.Signals | null) => void>()
  let exitState: { code: number | null; signal: NodeJS.Signals | null } | undefined
  let spawnError: Error | undefined

  const onLine = (line: string): void => {
    lines.push(line)
    if (lines.length > TAIL_LINES) lines.shift()
    for (const l of listeners) l(line)
  }
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine)
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine)
  child.on('error', (err) => {
    spawnError = err
    exitState ??= { code: null, signal: null }
    for (const l of exitListeners) l(null, null)
  })
  child.on('exit', (code, signal) => {
    exitState = { code, signal }
    for (const l of exitListeners) l(code, signal)
  })

  function tail(n = 12): string {
    return lines.slice(-n).join('\n')
  }

  function waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer)
        listeners.delete(onAny)
        exitListeners.delete(onExit)
      }
      const onAny = (line: string): void => {
        const v = pick(line)
        if (v !== undefined) { cleanup(); resolve(v) }
      }
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        cleanup()
        const why = spawnError ? spawnError.message : `exited with code ${code ?? 'null'}${signal ? ` (${signal})` : ''}`
        reject(new Error(`${opts.name} ${why}${lines.length ? `:\n${tail()}` : ''}`))
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${opts.name} not ready after ${timeoutMs} ms${lines.length ? `:\n${tail()}` : ''}`))
      }, timeoutMs)
      for (const line of lines) {
        const v = pick(line)
        if (v !== undefined) { cleanup(); resolve(v); return }
      }
      if (exitState) { onExit(exitState.code, exitState.signal); return }
      listeners.add(onAny)
      exitListeners.add(onExit)
    })
  }

  async function stop(): Promise<void> {
    if (exitState || child.pid === undefined) return
    const gone = new Promise<void>((resolve) => exitListeners.add(() => resolve()))
    child.kill('SIGTERM')
    // Bounded: SIGKILL if it does not leave within 3 s.
    const timer = setTimeout(() => { if (!exitState) child.kill('SIGKILL') }, 3000)
    await gone
    clearTimeout(timer)
  }

  return { name: opts.name, pid: child.pid, waitFor, tail, exited: () => exitState !== undefined, stop }
}

/** Picks `port` from a `{"port":N}` line (the bench servers' ready line). */
export function portLine(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const v: unknown = JSON.parse(line)
    if (typeof v === 'object' && v !== null && typeof (v as { port?: unknown }).port === 'number') return (v as { port: number }).port
  } catch { /* not a JSON line */ }
  return undefined
}
