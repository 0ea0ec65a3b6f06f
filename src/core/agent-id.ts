// The one rule for agent ids. An agent id names a directory under $ROTOR_HOME/agents, so
// config, the admin API, the CLI and the path builder all check it with this module.
import { InvalidAgentIdError } from './errors.ts'

/** JSON-Schema `pattern` (config and admin route schemas use the same string). */
export const AGENT_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$'

const AGENT_ID = new RegExp(AGENT_ID_PATTERN)

export function isAgentId (value: unknown): value is string {
  return typeof value === 'string' && AGENT_ID.test(value)
}

/** The message for a rejected id; quotes a bounded, escaped prefix so a hostile id cannot forge log lines. */
export function agentIdProblem (value: string): string {
  const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)
  return `invalid agent id ${shown}: use 1-64 lowercase letters, digits, "_" or "-", starting with a letter or digit`
}

/** The id itself, or InvalidAgentIdError. */
export function checkAgentId (value: string): string {
  if (!AGENT_ID.test(value)) throw new InvalidAgentIdError(agentIdProblem(value))
  return value
}
