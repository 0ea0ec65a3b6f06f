// A Clawdbot config (`~/.clawdbot/clawdbot.json`) loaded as is
// (docs/configuration.md, "Coming from Clawdbot"). Clawdbot's file describes a whole agent runtime; rotor uses its `models`,
// `agents` (models, aliases, fallbacks) and `auth` and nothing else. The keys Clawdbot's schema
// has and rotor does not use are taken out before validation and reported in one warning;
// anything neither schema knows is still an error. The lists below transcribe Clawdbot's schema
// (clawdbot/clawdbot v2026.1.24, src/config/zod-schema*.ts).
import { basename } from 'node:path'
import { isRecord } from '../core/json.ts'

/** The names Clawdbot (and its renames) gives its config file. */
export const CLAWDBOT_CONFIG_NAMES: readonly string[] = ['clawdbot.json', 'openclaw.json', 'moltbot.json']

/** One thing left out, and why (shown by `rotor import clawdbot`). */
export interface IgnoredSetting {
  readonly path: string
  readonly why: string
}

const WHY = {
  runtime: "Clawdbot's agent runtime (chat channels, tools, sessions, workspace …), not model routing",
  gateway: "Clawdbot's own gateway server; rotor's listener is gateway.host/port/clients/adminKey (or --host/--port)",
  logging: "Clawdbot's log files and console; rotor logs JSON lines to stdout at logging.level",
  bedrockDiscovery: 'rotor finds Bedrock from the AWS credential chain; list models with `rotor models scan --provider amazon-bedrock`',
  authHeader: "a pi-ai request option; rotor's adapters send each provider's auth header themselves",
  compat: "pi-ai request quirks; rotor's adapters handle each API family's fields",
  googleApi: 'no rotor adapter for the Gemini API ("google-generative-ai"); rotor serves Gemini through google-gemini-cli / google-antigravity',
  agentDir: 'rotor keeps an agent\'s credentials in $ROTOR_HOME/agents/<id>/agent (`rotor import clawdbot` copies them there)',
  imageModel: 'rotor routes the model a request names; Clawdbot\'s image-model fallbacks have no counterpart',
} as const

/** Top-level sections of Clawdbot's schema that are all runtime (zod-schema.ts ClawdbotSchema). */
const RUNTIME_SECTIONS = [
  'meta', 'env', 'wizard', 'diagnostics', 'update', 'browser', 'ui', 'nodeHost', 'tools', 'bindings',
  'broadcast', 'audio', 'media', 'messages', 'commands', 'session', 'cron', 'hooks', 'web', 'channels',
  'discovery', 'canvasHost', 'talk', 'skills', 'plugins',
]

/** gateway.* keys only Clawdbot has (`auth` only in its object form; rotor's is `"none"`). */
const GATEWAY_KEYS = ['mode', 'bind', 'controlUi', 'tailscale', 'remote', 'reload', 'tls', 'http', 'nodes']

const LOGGING_KEYS = ['file', 'consoleLevel', 'consoleStyle', 'redactSensitive', 'redactPatterns']

/** agents.defaults.* keys (zod-schema.agent-defaults.ts) other than model and models. */
const AGENT_DEFAULTS_KEYS = [
  'imageModel', 'workspace', 'repoRoot', 'skipBootstrap', 'bootstrapMaxChars', 'userTimezone', 'timeFormat',
  'envelopeTimezone', 'envelopeTimestamp', 'envelopeElapsed', 'contextTokens', 'cliBackends', 'memorySearch',
  'contextPruning', 'compaction', 'thinkingDefault', 'verboseDefault', 'elevatedDefault', 'blockStreamingDefault',
  'blockStreamingBreak', 'blockStreamingChunk', 'blockStreamingCoalesce', 'humanDelay', 'timeoutSeconds',
  'mediaMaxMb', 'typingIntervalSeconds', 'typingMode', 'heartbeat', 'maxConcurrent', 'subagents', 'sandbox',
]

/** agents.list[].* keys (zod-schema.agent-runtime.ts AgentEntrySchema) other than id, default and model. */
const AGENT_ENTRY_KEYS = ['name', 'workspace', 'agentDir', 'memorySearch', 'humanDelay', 'heartbeat', 'identity', 'groupChat', 'subagents', 'sandbox', 'tools']

/** API families of Clawdbot's ModelApiSchema rotor has no adapter for. */
const UNSERVED_APIS = new Set(['google-generative-ai'])

/**
 * A Clawdbot config: by its file name, or by the `meta` / `wizard` blocks Clawdbot writes into
 * every config it saves. Decides the default agent and whether `gateway.port` is rotor's.
 */
export function isClawdbotConfig (file: string | undefined, parsed: unknown): boolean {
  if (file !== undefined && CLAWDBOT_CONFIG_NAMES.includes(basename(file).toLowerCase())) return true
  return isRecord(parsed) && (isRecord(parsed.meta) || isRecord(parsed.wizard))
}

function take (obj: Record<string, unknown>, key: string, path: string, why: string, out: IgnoredSetting[]): void {
  if (!Object.hasOwn(obj, key)) return
  delete obj[key]
  out.push({ path, why })
}

function whyOf (key: string): string {
  return key === 'agentDir' ? WHY.agentDir : key === 'imageModel' ? WHY.imageModel : WHY.runtime
}

function stripModels (models: Record<string, unknown>, out: IgnoredSetting[]): void {
  take(models, 'bedrockDiscovery', 'models.bedrockDiscovery', WHY.bedrockDiscovery, out)
  if (!isRecord(models.providers)) return
  for (const [id, p] of Object.entries(models.providers)) {
    if (!isRecord(p)) continue
    if (typeof p.api === 'string' && UNSERVED_APIS.has(p.api)) {
      delete models.providers[id]
      out.push({ path: `models.providers.${id}`, why: WHY.googleApi })
      continue
    }
    take(p, 'authHeader', `models.providers.${id}.authHeader`, WHY.authHeader, out)
    if (!Array.isArray(p.models)) continue
    const kept: unknown[] = []
    p.models.forEach((m: unknown, i: number) => {
      if (isRecord(m) && typeof m.api === 'string' && UNSERVED_APIS.has(m.api)) {
        out.push({ path: `models.providers.${id}.models[${i}] (${String(m.id)})`, why: WHY.googleApi })
        return
      }
      if (isRecord(m)) take(m, 'compat', `models.providers.${id}.models[${i}].compat`, WHY.compat, out)
      kept.push(m)
    })
    p.models = kept
  }
}

function stripAgents (agents: Record<string, unknown>, out: IgnoredSetting[]): void {
  if (isRecord(agents.defaults)) {
    for (const k of AGENT_DEFAULTS_KEYS) take(agents.defaults, k, `agents.defaults.${k}`, whyOf(k), out)
  }
  if (Array.isArray(agents.list)) {
    agents.list.forEach((a: unknown, i: number) => {
      if (isRecord(a)) for (const k of AGENT_ENTRY_KEYS) take(a, k, `agents.list[${i}].${k}`, whyOf(k), out)
    })
  }
}

/**
 * A copy of `parsed` without the Clawdbot-only settings, and the list of what was left out.
 * In a Clawdbot config `gateway.port` is Clawdbot's own port (18789), not rotor's.
 */
export function withoutClawdbotSettings (parsed: unknown, clawdbot: boolean): { config: unknown, ignored: IgnoredSetting[] } {
  if (!isRecord(parsed)) return { config: parsed, ignored: [] }
  const config = structuredClone(parsed)
  const out: IgnoredSetting[] = []
  for (const k of RUNTIME_SECTIONS) take(config, k, k, WHY.runtime, out)
  if (isRecord(config.gateway)) {
    const g = config.gateway
    for (const k of GATEWAY_KEYS) take(g, k, `gateway.${k}`, WHY.gateway, out)
    if (isRecord(g.auth)) take(g, 'auth', 'gateway.auth', WHY.gateway, out)
    if (clawdbot) take(g, 'port', 'gateway.port', WHY.gateway, out)
    if (Object.keys(g).length === 0) delete config.gateway
  }
  if (isRecord(config.logging)) for (const k of LOGGING_KEYS) take(config.logging, k, `logging.${k}`, WHY.logging, out)
  if (isRecord(config.models)) stripModels(config.models, out)
  if (isRecord(config.agents)) stripAgents(config.agents, out)
  return { config, ignored: out }
}

/** The one warning for a load that left settings out. */
export function ignoredWarning (file: string, ignored: readonly IgnoredSetting[]): string | undefined {
  if (ignored.length === 0) return undefined
  return `${file}: ignoring ${ignored.length} Clawdbot setting${ignored.length === 1 ? '' : 's'} rotor does not use: ${ignored.map((x) => x.path).join(', ')} (see \`rotor import clawdbot --dry-run\` for why)`
}

/** Clawdbot's default agent (src/agents/agent-scope.ts resolveDefaultAgentId): marked, else first listed, else `main`. */
export const CLAWDBOT_DEFAULT_AGENT = 'main'

/** Clawdbot's normalizeAgentId (src/routing/session-key.ts): lower case, other characters collapsed to `-`. */
export function clawdbotAgentId (raw: string): string {
  const trimmed = raw.trim()
  if (trimmed === '') return CLAWDBOT_DEFAULT_AGENT
  if (/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(trimmed)) return trimmed.toLowerCase()
  return trimmed.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+/, '').replace(/-+$/, '').slice(0, 64) || CLAWDBOT_DEFAULT_AGENT
}

/**
 * The rotor config `rotor import clawdbot` writes for a Clawdbot config: its models, agents and
 * auth as they are (`${VAR}` references untouched), without the settings listed in `ignored`,
 * and with the default agent marked, since rotor's own rule (a marked entry, else `default`)
 * differs from Clawdbot's.
 */
export function toRotorConfig (parsed: unknown, defaultAgent: string): { config: Record<string, unknown>, ignored: IgnoredSetting[] } {
  const { config: own, ignored } = withoutClawdbotSettings(parsed, true)
  const src = isRecord(own) ? own : {}
  const out: Record<string, unknown> = {}
  if (isRecord(src.logging) && src.logging.level !== undefined) out.logging = { level: src.logging.level }
  if (isRecord(src.models)) out.models = src.models
  const agents: Record<string, unknown> = isRecord(src.agents) ? { ...src.agents } : {}
  const list = Array.isArray(agents.list) ? agents.list.filter(isRecord).map((a) => ({ ...a })) : []
  for (const a of list) {
    delete a.default
    if (typeof a.id === 'string') a.id = clawdbotAgentId(a.id)
  }
  const entry = list.find((a) => a.id === defaultAgent)
  if (entry !== undefined) entry.default = true
  else list.unshift({ id: defaultAgent, default: true })
  agents.list = list
  out.agents = agents
  if (isRecord(src.auth)) out.auth = src.auth
  return { config: out, ignored }
}
