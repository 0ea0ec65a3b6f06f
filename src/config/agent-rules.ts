// Config rules about agents that are checked once the schema passed: which agent is the
// default one, and `auth.order` keys that name an agent where a provider belongs.
import { CLAWDBOT_DEFAULT_AGENT } from './clawdbot-config.ts'
import type { RotorConfig } from './schema.ts'
import { DEFAULT_AGENT, type AgentSettings, type LoadedConfig } from './types.ts'

/** The `default: true` entry (the first when several are), else `default` (Clawdbot config: its own rule). */
export function defaultAgentOf (raw: RotorConfig, clawdbot: boolean, warnings: string[]): string {
  const list = raw.agents?.list ?? []
  const marked = list.filter((a) => a.default === true)
  if (marked.length > 1) warnings.push(`agents.list: ${marked.map((a) => a.id).join(', ')} are all marked default; using ${marked[0].id}`)
  if (marked.length > 0) return marked[0].id
  if (!clawdbot) return DEFAULT_AGENT
  return list[0]?.id ?? CLAWDBOT_DEFAULT_AGENT
}

/**
 * `auth.order` is keyed by provider. An agent's id there (`auth.order.main`, as the Clawdbot
 * guide writes it) is no provider: warned about, since it orders nothing.
 */
export function orderKeyWarnings (raw: RotorConfig, catalog: LoadedConfig['catalog'], agents: ReadonlyMap<string, AgentSettings>): string[] {
  const out: string[] = []
  const check = (where: string, order: Readonly<Record<string, unknown>> | undefined): void => {
    for (const key of Object.keys(order ?? {})) {
      if (catalog.providers.has(key) || !(agents.has(key) || key === CLAWDBOT_DEFAULT_AGENT)) continue
      out.push(`${where}.${key}: "${key}" is an agent, not a provider, so this order applies to nothing; ` +
        `an agent's order goes in agents.list[].auth.order.<provider>, or run: rotor models auth order set --agent ${key} --provider <provider> <profile ids…>`)
    }
  }
  check('auth.order', raw.auth?.order)
  ;(raw.agents?.list ?? []).forEach((a, i) => { check(`agents.list[${i}].auth.order`, a.auth?.order) })
  return out
}
