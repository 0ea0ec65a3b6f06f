// A Clawdbot state directory as a real install leaves it: `clawdbot.json` with the sections a
// configured Clawdbot 2026.1.24 has (keys from its src/config/zod-schema*.ts), and two agents'
// `auth-profiles.json` written the way Clawdbot writes them (test/helpers/clawdbot-store.ts):
// `main` (the default) with OAuth, api_key and token profiles, a rate-limit cooldown and a
// billing disable; `work` with its own key. `openai` points at `upstream` so requests can be served.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AuthProfileStore } from './clawdbot-types.ts'
import { markFailure, markUsed, saveStore } from './clawdbot-store.ts'

const MIN = 60_000
const HOUR = 60 * MIN

export const CLAWDBOT_SECRETS = {
  oauthAccess: 'sk-ant-oat01-CLAWDBOT-ACCESS-0123456789',
  oauthRefresh: 'sk-ant-ort01-CLAWDBOT-REFRESH-0123456789',
  anthropicKey: 'sk-ant-api03-CLAWDBOT-WORK-0123456789',
  setupToken: 'sk-ant-oat01-CLAWDBOT-MANUAL-0123456789',
  openaiKey: 'sk-proj-CLAWDBOT-MAIN-0123456789abcdef',
  openaiWorkKey: 'sk-proj-CLAWDBOT-WORK-0123456789abcdef',
} as const

export interface ClawdbotHome {
  readonly stateDir: string
  readonly configPath: string
  readonly main: AuthProfileStore
  readonly work: AuthProfileStore
  readonly config: Record<string, unknown>
}

export function clawdbotConfig (upstream: string): Record<string, unknown> {
  return {
    meta: { lastTouchedVersion: '2026.1.24', lastTouchedAt: '2026-01-26T09:12:44.101Z' },
    wizard: { lastRunAt: '2026-01-20T18:03:11.000Z', lastRunVersion: '2026.1.24', lastRunCommand: 'onboard', lastRunMode: 'local' },
    env: { vars: { CLAWDBOT_LOCALE: 'en' } },
    logging: { level: 'info', file: '/tmp/clawdbot/clawdbot.log', consoleStyle: 'pretty' },
    auth: {
      profiles: {
        'anthropic:me@example.com': { provider: 'anthropic', mode: 'oauth', email: 'me@example.com' },
        'anthropic:work': { provider: 'anthropic', mode: 'api_key' },
        'anthropic:manual': { provider: 'anthropic', mode: 'token' },
        'openai:default': { provider: 'openai', mode: 'api_key' },
      },
      order: { anthropic: ['anthropic:me@example.com', 'anthropic:work'] },
      cooldowns: { billingBackoffHours: 5, failureWindowHours: 24 },
    },
    models: {
      mode: 'merge',
      providers: {
        openai: {
          baseUrl: upstream,
          api: 'openai-completions',
          authHeader: true,
          models: [{
            id: 'gpt-5.2', name: 'GPT-5.2', reasoning: true, input: ['text', 'image'],
            cost: { input: 1.75, output: 14, cacheRead: 0.175, cacheWrite: 0 }, contextWindow: 400000, maxTokens: 128000,
            compat: { supportsStore: false, maxTokensField: 'max_completion_tokens' },
          }],
        },
        ollama: {
          baseUrl: 'http://localhost:11434',
          api: 'openai-completions',
          models: [{ id: 'ollama/llama3.2', name: 'Llama 3.2', api: 'openai-completions', reasoning: false, input: ['text'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 4096 }],
        },
        google: {
          baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
          api: 'google-generative-ai',
          apiKey: '${GEMINI_API_KEY}',
          models: [{ id: 'gemini-3-pro-preview', name: 'Gemini 3 Pro', reasoning: true, input: ['text', 'image'], cost: { input: 2, output: 12, cacheRead: 0.2, cacheWrite: 0 }, contextWindow: 1048576, maxTokens: 65536 }],
        },
      },
      bedrockDiscovery: { enabled: false },
    },
    agents: {
      defaults: {
        model: { primary: 'openai/gpt-5.2', fallbacks: ['anthropic/claude-opus-4-5'] },
        imageModel: { primary: 'openai/gpt-5-mini' },
        models: { 'anthropic/claude-opus-4-5': { alias: 'opus' }, 'openai/gpt-5.2': { alias: 'gpt' } },
        workspace: '/home/me/clawd',
        maxConcurrent: 4,
        heartbeat: { every: '30m' },
      },
      list: [
        { id: 'main', default: true, name: 'Main', workspace: '/home/me/clawd' },
        { id: 'work', name: 'Work', workspace: '/home/me/clawd-work', model: { primary: 'openai/gpt-5.2' } },
      ],
    },
    gateway: { port: 18789, mode: 'local', bind: 'loopback', auth: { mode: 'token', token: '${CLAWDBOT_GATEWAY_TOKEN}' } },
    channels: { telegram: { botToken: '${TELEGRAM_BOT_TOKEN}', dmPolicy: 'pairing' } },
    tools: { profile: 'coding' },
    messages: { ackReactionScope: 'group-mentions' },
    commands: { native: 'auto' },
    skills: { install: { nodeManager: 'npm' } },
    plugins: { entries: { telegram: { enabled: true } } },
  }
}

/** Writes the Clawdbot home into `stateDir` (e.g. `$HOME/.clawdbot`), times around `now`. */
export function writeClawdbotHome (stateDir: string, upstream: string, now: number): ClawdbotHome {
  const s = CLAWDBOT_SECRETS
  const main: AuthProfileStore = {
    version: 1,
    profiles: {
      'anthropic:me@example.com': { type: 'oauth', provider: 'anthropic', access: s.oauthAccess, refresh: s.oauthRefresh, expires: now + HOUR, email: 'me@example.com' },
      'anthropic:work': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey },
      'anthropic:manual': { type: 'token', provider: 'anthropic', token: s.setupToken, expires: now + 300 * 24 * HOUR },
      'openai:default': { type: 'api_key', provider: 'openai', key: s.openaiKey },
    },
    order: { anthropic: ['anthropic:me@example.com', 'anthropic:work'] },
    lastGood: { openai: 'openai:default' },
    usageStats: {
      'anthropic:me@example.com': markFailure(markFailure(markUsed({}, now - 20 * MIN), 'rate_limit', now - 2 * MIN), 'rate_limit', now - MIN),
      'anthropic:work': markFailure({}, 'billing', now - 10 * MIN),
      'openai:default': markUsed({}, now - 5 * MIN),
    },
  }
  const work: AuthProfileStore = {
    version: 1,
    profiles: { 'openai:work': { type: 'api_key', provider: 'openai', key: s.openaiWorkKey } },
    usageStats: { 'openai:work': markUsed({}, now - 3 * MIN) },
  }
  const config = clawdbotConfig(upstream)
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const configPath = join(stateDir, 'clawdbot.json')
  writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 })
  saveStore(join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json'), main)
  saveStore(join(stateDir, 'agents', 'work', 'agent', 'auth-profiles.json'), work)
  return { stateDir, configPath, main, work, config }
}
