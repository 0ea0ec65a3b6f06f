// Points the AWS SDK's credential chain (which reads process.env itself) at a temp dir for one
// test file: every AWS_* variable is cleared, the shared config/credentials files live in the
// temp dir, instance metadata is off, and `vars` are set. The real ~/.aws is never read.
// Restored when the test ends. Returns the same variables for a gateway's own env.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

export interface AwsEnv {
  readonly dir: string
  /** The AWS variables now in process.env, for startTestGateway's `env`. */
  readonly env: Record<string, string>
  readonly credentialsFile: string
  readonly configFile: string
  /** Writes the shared credentials file (INI text). */
  writeCredentials (ini: string): void
  writeConfig (ini: string): void
}

export function isolateAws (t: Test, vars: Record<string, string> = {}): AwsEnv {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-aws-'))
  const saved = Object.entries(process.env).filter(([k]) => k.startsWith('AWS_'))
  for (const [k] of saved) Reflect.deleteProperty(process.env, k)
  const credentialsFile = join(dir, 'credentials')
  const configFile = join(dir, 'config')
  const env: Record<string, string> = {
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_CONFIG_FILE: configFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...vars,
  }
  Object.assign(process.env, env)
  t.teardown(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) Reflect.deleteProperty(process.env, k)
    for (const [k, v] of saved) process.env[k] = v
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir, env, credentialsFile, configFile,
    writeCredentials: (ini) => { writeFileSync(credentialsFile, ini, { mode: 0o600 }) },
    writeConfig: (ini) => { writeFileSync(configFile, ini, { mode: 0o600 }) },
  }
}
