// Whether AWS credentials are configured on this host, decided at config load without any
// network call: environment variables and the shared config/credentials files only. EC2
// instance metadata is never probed here (the credential chain reaches it lazily, on the
// first request). Also the region the AWS chain would pick (env, then the profile's `region`).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expandHome, type Env } from './paths.ts'

/** Where credentials were found; `undefined` when nowhere. */
export type AwsCredentialSource = 'env' | 'shared-files' | 'web-identity' | 'container'

export interface AwsDiscovery {
  /** A source the AWS SDK's default chain will read credentials from. */
  readonly chain: AwsCredentialSource | undefined
  /** `AWS_BEARER_TOKEN_BEDROCK` (a Bedrock API key) is set. */
  readonly bearer: boolean
  /** AWS_REGION, AWS_DEFAULT_REGION, else the selected profile's `region`; undefined when none. */
  readonly region: string | undefined
}

/** Keys of a shared-file profile that make it a credential (static keys, roles, SSO, processes). */
const CREDENTIAL_KEYS: readonly string[] = [
  'aws_access_key_id', 'role_arn', 'sso_session', 'sso_start_url', 'credential_process',
  'web_identity_token_file', 'credential_source', 'login_session',
]

const set = (env: Env, name: string): string | undefined => {
  const v = env[name]
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

type Ini = ReadonlyMap<string, ReadonlyMap<string, string>>

/**
 * Section → key → value of an AWS shared file. Only what discovery needs: `[section]` headers
 * and `key = value` lines; comments and indented sub-properties are skipped. The SDK's own
 * parser is asynchronous and config load is synchronous, hence this small reader.
 */
export function parseIniSections (text: string): Ini {
  const out = new Map<string, Map<string, string>>()
  let current: Map<string, string> | undefined
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s/.test(raw)) continue // sub-property of the previous key
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[([^\]]+)\]/.exec(line)
    if (section !== null) {
      const name = section[1].trim()
      current = out.get(name) ?? new Map<string, string>()
      out.set(name, current)
      continue
    }
    const eq = line.indexOf('=')
    if (current !== undefined && eq > 0) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim())
  }
  return out
}

function readIni (path: string | undefined): Ini {
  if (path === undefined) return new Map()
  try {
    return parseIniSections(readFileSync(path, 'utf8'))
  } catch {
    return new Map() // missing or unreadable: nothing configured there
  }
}

/** `~/.aws/<name>`, with HOME from the given environment only (never the process's own). */
function sharedFile (env: Env, override: string, name: string): string | undefined {
  const explicit = set(env, override)
  if (explicit !== undefined) return expandHome(explicit, env)
  const home = set(env, 'HOME') ?? set(env, 'USERPROFILE')
  return home === undefined ? undefined : join(home, '.aws', name)
}

export function discoverAws (env: Env): AwsDiscovery {
  const profile = set(env, 'AWS_PROFILE') ?? 'default'
  const credentials = readIni(sharedFile(env, 'AWS_SHARED_CREDENTIALS_FILE', 'credentials'))
  const config = readIni(sharedFile(env, 'AWS_CONFIG_FILE', 'config'))
  // ~/.aws/config names profiles `[profile x]`, except `[default]`.
  const configProfile = config.get(`profile ${profile}`) ?? (profile === 'default' ? config.get('default') : undefined)
  const credentialsProfile = credentials.get(profile)
  const hasCredential = (p: ReadonlyMap<string, string> | undefined): boolean =>
    p !== undefined && CREDENTIAL_KEYS.some((k) => (p.get(k) ?? '') !== '')

  let chain: AwsCredentialSource | undefined
  if (set(env, 'AWS_ACCESS_KEY_ID') !== undefined) chain = 'env'
  else if (hasCredential(credentialsProfile) || hasCredential(configProfile)) chain = 'shared-files'
  else if (set(env, 'AWS_WEB_IDENTITY_TOKEN_FILE') !== undefined && set(env, 'AWS_ROLE_ARN') !== undefined) chain = 'web-identity'
  else if (set(env, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') !== undefined || set(env, 'AWS_CONTAINER_CREDENTIALS_FULL_URI') !== undefined) chain = 'container'

  const profileRegion = configProfile?.get('region') ?? credentialsProfile?.get('region')
  return {
    chain,
    bearer: set(env, 'AWS_BEARER_TOKEN_BEDROCK') !== undefined,
    region: set(env, 'AWS_REGION') ?? set(env, 'AWS_DEFAULT_REGION') ?? (profileRegion === '' ? undefined : profileRegion),
  }
}

/** The region in a Bedrock Runtime host name (`bedrock-runtime[-fips].<region>.amazonaws.com`). */
export function regionOfBedrockUrl (baseUrl: string): string | undefined {
  let host: string
  try { host = new URL(baseUrl).hostname } catch { return undefined }
  return /^bedrock(?:-runtime)?(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1]
}
