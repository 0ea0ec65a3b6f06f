// Runs `rotor serve` as a child process (the same start command as npm start and the image),
// resolving once it logs that it listens.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

export interface SpawnedGateway {
  readonly child: ChildProcess
  readonly port: number
  readonly url: string
  readonly stdout: string[]
  /** Everything the process wrote to stderr so far (a crash's stack trace lands here). */
  stderr (): string
  stop (): Promise<void>
}

export function spawnGateway (args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<SpawnedGateway> {
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  let stderr = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gateway did not start: ${stderr}`)) }, timeoutMs)
    let buf = ''
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8')
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        stdout.push(line)
        try {
          const j = JSON.parse(line) as { msg?: string, port?: number }
          if (j.msg === 'rotor listening' && typeof j.port === 'number') {
            clearTimeout(timer)
            const port = j.port
            resolve({
              child, port, url: `http://127.0.0.1:${port}`, stdout, stderr: () => stderr,
              stop: () => new Promise((res) => {
                if (child.exitCode !== null) { res(); return }
                child.once('exit', () => res())
                child.kill('SIGTERM')
              }),
            })
          }
        } catch { /* not JSON */ }
      }
    })
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}: ${stderr}`)) })
  })
}

/** Runs the CLI to completion. */
export function runCli (args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8') })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    child.stdin.end(input ?? '')
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}
