// `rotor models scan --provider amazon-bedrock`: the account's foundation models and inference
// profiles from Bedrock's control plane, signed with the same credentials the gateway uses
// (the AWS chain for `<provider>:aws-sdk`, else a Bedrock API key as bearer).
import { createAwsCredentialCache } from '../../auth/aws-credentials.ts'
import { DEFAULT_BEDROCK_REGION } from '../../config/builtin-providers.ts'
import type { LoadedConfig, ProviderDef } from '../../config/types.ts'
import { resolveSecret } from '../../auth/profiles.ts'
import { listBedrockModels, type ControlPlaneAuth } from '../../providers/bedrock/control-plane.ts'
import { credentialsFile, type CliContext } from '../context.ts'
import { agentProfiles, canServe } from '../profile-state.ts'
import { ControlPlaneError, CliError } from '../../core/errors.ts'

async function authFor (ctx: CliContext, config: LoadedConfig, provider: ProviderDef, agent: string): Promise<ControlPlaneAuth> {
  const now = ctx.now()
  const profile = agentProfiles(config, credentialsFile(ctx, agent).read(), ctx.env, now).find((p) => p.provider === provider.id && canServe(p, now))
  if (profile === undefined) throw new CliError(`No credentials found for provider ${provider.id} (set AWS credentials or a Bedrock API key)`)
  if (profile.type === 'aws-sdk') {
    try {
      return { kind: 'sigv4', credentials: await createAwsCredentialCache({ region: provider.region }).get() }
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err))
    }
  }
  const secret = resolveSecret(profile, now)
  if (!('secret' in secret) || secret.secret === '') throw new CliError(`Profile ${profile.id} cannot be used: ${'unusable' in secret ? secret.unusable : 'empty key'}`)
  return { kind: 'bearer', token: secret.secret }
}

/** One row per model, in scan.ts's ScannedModel shape (inferred here: scan.ts imports this file). */
export async function scanBedrock (ctx: CliContext, config: LoadedConfig, provider: ProviderDef, agent: string) {
  const auth = await authFor(ctx, config, provider, agent)
  try {
    const listed = await listBedrockModels({ baseUrl: provider.baseUrl, region: provider.region ?? DEFAULT_BEDROCK_REGION, auth, headers: provider.headers })
    return listed
      .map((m) => ({ id: m.id, name: m.kind === 'inference-profile' ? `${m.name} (inference profile)` : m.name, input: m.input, configured: provider.models.has(m.id) }))
      .sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  } catch (err) {
    if (err instanceof ControlPlaneError) throw new CliError(err.message)
    throw err
  }
}
