// rotor CLI entry point. Subcommands live in their own files; this one wires commander.
import { Command, InvalidArgumentError } from 'commander'
import { startGateway } from '../server/gateway.ts'
import { RotorError } from '../errors.ts'

function port (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number')
  return n
}

export function buildProgram (): Command {
  const program = new Command('rotor')
    .description('Self-hosted OpenAI-compatible LLM gateway')
    .exitOverride((err) => { process.exit(err.exitCode === 0 ? 0 : 2) })
  program.command('serve')
    .description('start the gateway')
    .option('--config <path>', 'config file (JSON5 or YAML)')
    .option('--host <host>', 'listen address')
    .option('--port <port>', 'listen port', port)
    .action(async (o: { config?: string, host?: string, port?: number }) => {
      try {
        const gw = await startGateway({ cliPath: o.config, overrides: { host: o.host, port: o.port }, watch: true })
        const stop = (): void => { void gw.close().then(() => process.exit(0)) }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      } catch (err) {
        process.stderr.write(`rotor: ${err instanceof RotorError || err instanceof Error ? err.message : String(err)}\n`)
        process.exit(1)
      }
    })
  return program
}

await buildProgram().parseAsync(process.argv)
