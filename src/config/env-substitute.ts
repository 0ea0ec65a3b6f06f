// `${VAR}` substitution in every config string (docs/configuration.md, Clawdbot's env-substitution semantics).
import { MissingEnvVarError } from '../core/errors.ts'
import type { Env } from './paths.ts'

// `$${VAR}` (escape) or `${VAR}`; lower-case names are not variables and stay as written.
const PATTERN = /\$\$\{([A-Z_][A-Z0-9_]*)\}|\$\{([A-Z_][A-Z0-9_]*)\}/g

function substituteString (value: string, env: Env, path: string): string {
  if (!value.includes('${')) return value
  return value.replace(PATTERN, (_match, escaped: string | undefined, name: string | undefined) => {
    if (escaped !== undefined) return '${' + escaped + '}'
    const varName = name ?? ''
    const found = env[varName]
    if (found === undefined || found === '') throw new MissingEnvVarError(varName, path)
    return found
  })
}

function childPath (path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/**
 * Returns a copy of `value` with `${VAR}` replaced in every string.
 * `path` is the dotted config path of `value` (arrays as `[i]`), used in error messages.
 */
export function substituteEnv (value: unknown, env: Env, path = ''): unknown {
  if (typeof value === 'string') return substituteString(value, env, path)
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, `${path}[${i}]`))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a `__proto__` key from the file stays data, never a prototype.
      Object.defineProperty(out, key, { value: substituteEnv(item, env, childPath(path, key)), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return value
}

/** The variable name when `value` is exactly `${VAR}` (models.json stores names, not values). */
export function envReferenceName (value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const m = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(value.trim())
  return m === null ? undefined : m[1]
}
