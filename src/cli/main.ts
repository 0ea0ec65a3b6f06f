// rotor CLI entry point. Subcommands live in their own files; this one wires commander.
// Command modules are imported when their command runs, so `rotor …` starts quickly.
import { Command, InvalidArgumentError } from 'commander'
import { RotorError } from '../core/errors.ts'
import type { CliContext, CommonOptions } from './context.ts'
import { registerLoginCommand } from './login-command.ts'

function port (v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number')
  return n
}

/**
 * Runs one command and exits with its code: 0 ok, 1 problem (CliError or any failure),
 * 2 usage (UsageError or an invalid agent id; commander's own usage errors exit 2 through exitOverride).
 * Exiting explicitly means no open socket or unref'd handle can keep the CLI alive.
 */
async function run (opts: CommonOptions, fn: (ctx: CliContext) => Promise<number | void>): Promise<void> {
  const { createContext, exitCodeOf } = await import('./context.ts')
  const ctx = createContext(opts)
  let code: number
  try {
    code = (await fn(ctx)) ?? 0
  } catch (err) {
    code = exitCodeOf(err)
    const message = err instanceof RotorError || err instanceof Error ? err.message : String(err)
    ctx.o.err(`rotor: ${message}`)
  }
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()))
  process.exit(code)
}

interface Extras { agent?: boolean, json?: boolean }

/** `--config` (and `--agent`, `--json` where they apply) on a leaf command. */
function common (cmd: Command, extras: Extras = {}): Command {
  cmd.option('--config <path>', 'config file (JSON5 or YAML); default $ROTOR_HOME/rotor.json')
  if (extras.agent === true) cmd.option('--agent <id>', 'agent whose credentials and models to use (default: the config\'s default agent)')
  if (extras.json === true) cmd.option('--json', 'print JSON')
  return cmd
}

function registerModels (program: Command): void {
  const models = program.command('models').description('models, fallbacks and auth profiles')
  common(models.command('list').description('list the model catalog'), { agent: true, json: true })
    .option('--provider <id>', 'only this provider')
    .action((o: CommonOptions & { provider?: string }) => run(o, async (ctx) => (await import('./commands/models.ts')).modelsList(ctx, o)))
  common(models.command('status').description('auth profiles with cooldowns, expiry and usage'), { agent: true, json: true })
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/models.ts')).modelsStatus(ctx, o)))
  common(models.command('scan').description("list a provider's models (OpenAI, OpenRouter, Anthropic, Ollama) and optionally add them"), { agent: true, json: true })
    .option('--provider <id>', 'provider to ask', 'openrouter')
    .option('--add <ids>', 'comma-separated model ids to add to the config')
    .option('--free', 'only models priced at zero')
    .action((o: CommonOptions & { provider?: string, add?: string, free?: boolean }) => run(o, async (ctx) => (await import('./commands/scan.ts')).modelsScan(ctx, o)))
  common(models.command('set').description('set the primary model').argument('<model>', 'provider/model ref or alias'), { agent: true })
    .action((ref: string, o: CommonOptions) => run(o, async (ctx) => (await import('./commands/models.ts')).modelsSet(ctx, ref, o)))

  const fallbacks = models.command('fallbacks').description('the fallback models, tried in order')
  common(fallbacks.command('list').description('list the fallbacks'), { agent: true, json: true })
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/models.ts')).modelsFallbacks(ctx, 'list', undefined, o)))
  for (const action of ['add', 'remove'] as const) {
    common(fallbacks.command(action).description(`${action} a fallback`).argument('<model>', 'provider/model ref or alias'), { agent: true })
      .action((ref: string, o: CommonOptions) => run(o, async (ctx) => (await import('./commands/models.ts')).modelsFallbacks(ctx, action, ref, o)))
  }
  common(fallbacks.command('clear').description('remove every fallback'), { agent: true })
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/models.ts')).modelsFallbacks(ctx, 'clear', undefined, o)))

  registerAuth(models.command('auth').description('auth profiles (credentials) of an agent'))
}

type AuthOpts = CommonOptions & { provider?: string, profileId?: string }

function registerAuth (auth: Command): void {
  common(auth.command('paste-token').description('store a token read from stdin (anthropic: a Claude setup-token)'), { agent: true })
    .requiredOption('--provider <id>', 'provider of the token')
    .option('--profile-id <id>', 'profile id (default anthropic:claude-cli, else <provider>:manual)')
    .option('--expires-in <duration>', 'lifetime, e.g. 365d or 12h')
    .action((o: AuthOpts & { expiresIn?: string }) => run(o, async (ctx) => (await import('./commands/auth.ts')).pasteToken(ctx, o)))
  common(auth.command('add').description('store an API key or token (from --key or stdin)'), { agent: true })
    .requiredOption('--provider <id>', 'provider of the key')
    .option('--profile-id <id>', 'profile id (default <provider>:default)')
    .option('--type <type>', 'api_key or token', 'api_key')
    .option('--key <secret>', 'the key (read from stdin when omitted)')
    .action((o: AuthOpts & { type?: string, key?: string }) => run(o, async (ctx) => (await import('./commands/auth.ts')).authAdd(ctx, o)))
  // The OAuth browser / device-code flows (src/cli/login-command.ts); a running gateway reloads after.
  registerLoginCommand(auth, {
    afterStore: async ({ configPath }) => {
      const { createContext, quietConfig } = await import('./context.ts')
      const { notifyReload } = await import('./gateway-client.ts')
      const ctx = createContext({ config: configPath })
      await notifyReload(ctx, quietConfig(ctx))
    },
  })
  common(auth.command('list').description('list auth profiles (secrets masked)'), { agent: true, json: true })
    .option('--provider <id>', 'only this provider')
    .action((o: AuthOpts) => run(o, async (ctx) => (await import('./commands/auth.ts')).authList(ctx, o)))
  common(auth.command('remove').description('delete an auth profile').argument('<id>', 'profile id'), { agent: true })
    .action((id: string, o: AuthOpts) => run(o, async (ctx) => (await import('./commands/auth.ts')).authRemove(ctx, id, o)))

  const order = auth.command('order').description("the agent's profile order for a provider")
  common(order.command('get').description('print the effective order'), { agent: true, json: true })
    .requiredOption('--provider <id>', 'provider')
    .action((o: AuthOpts) => run(o, async (ctx) => (await import('./commands/auth-order.ts')).orderGet(ctx, o)))
  common(order.command('set').description('set an explicit order').argument('<ids...>', 'profile ids, first tried first'), { agent: true })
    .requiredOption('--provider <id>', 'provider')
    .action((ids: string[], o: AuthOpts) => run(o, async (ctx) => (await import('./commands/auth-order.ts')).orderSet(ctx, ids, o)))
  common(order.command('clear').description('remove the explicit order'), { agent: true })
    .requiredOption('--provider <id>', 'provider')
    .action((o: AuthOpts) => run(o, async (ctx) => (await import('./commands/auth-order.ts')).orderClear(ctx, o)))

  common(auth.command('clear-cooldown').description('clear cooldown, billing disable and error count'), { agent: true })
    .requiredOption('--provider <id>', 'provider')
    .option('--profile-id <id>', 'only this profile (default: every profile of the provider)')
    .action((o: AuthOpts) => run(o, async (ctx) => (await import('./commands/auth-order.ts')).clearCooldownCommand(ctx, o)))
}

function registerGateway (program: Command): void {
  const gateway = program.command('gateway').description('a gateway running on this host')
  common(gateway.command('status').description('whether it runs, and its readiness'), { json: true })
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/gateway.ts')).gatewayStatus(ctx, o)))
  common(gateway.command('reload').description('reload config and credentials (POST /admin/reload)'))
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/gateway.ts')).gatewayReload(ctx)))
  common(gateway.command('restart').description('reload in place; a process restart is the process manager\'s job'))
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/gateway.ts')).gatewayRestart(ctx)))
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
        const { startGateway } = await import('../server/gateway.ts')
        const gw = await startGateway({ cliPath: o.config, overrides: { host: o.host, port: o.port }, watch: true })
        const { connectionDrainer } = await import('../server/drain.ts')
        const drain = connectionDrainer(gw.app.server)
        // Drain first (up to 1 s) so a load balancer in front loses no request to this stop.
        const stop = (): void => { void drain(1000).then(() => gw.close()).then(() => process.exit(0)) }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      } catch (err) {
        process.stderr.write(`rotor: ${err instanceof RotorError || err instanceof Error ? err.message : String(err)}\n`)
        process.exit(1)
      }
    })

  common(program.command('onboard').description('store a provider credential and set up its models'), { agent: true })
    .option('--anthropic-api-key <key>', 'Anthropic API key → anthropic:default')
    .option('--openai-api-key <key>', 'OpenAI API key → openai:default')
    .option('--openai-codex', 'import ~/.codex/auth.json → openai-codex:codex-cli')
    .option('--auth-choice <choice>', '<provider>-api-key (with --token), openai-codex or setup-token')
    .option('--token <secret>', 'the key or token for --auth-choice')
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/onboard.ts')).onboard(ctx, o)))

  registerModels(program)

  common(program.command('doctor').description('check config, credentials and state store; print OK or each problem with its fix'), { json: true })
    .action((o: CommonOptions) => run(o, async (ctx) => (await import('./commands/doctor.ts')).doctor(ctx, o)))

  registerGateway(program)

  const imports = program.command('import').description('bring another tool\'s setup into rotor')
  common(imports.command('clawdbot').description('import a Clawdbot setup: its config and every agent\'s credentials (secrets are copied, never printed)'))
    .option('--from <dir>', 'Clawdbot state directory (default: $CLAWDBOT_STATE_DIR, else ~/.clawdbot)')
    .option('--dry-run', 'show what would be imported and what is ignored, write nothing')
    .action((o: CommonOptions & { from?: string, dryRun?: boolean }) => run(o, async (ctx) => (await import('./commands/import-clawdbot.ts')).importClawdbot(ctx, o)))
  return program
}

await buildProgram().parseAsync(process.argv)
