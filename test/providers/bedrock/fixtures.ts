// The gateway setup the Bedrock gateway tests share: a fake Bedrock that only accepts the
// static AWS keys put in the (isolated) environment, an OpenAI-family fallback, and a
// gateway whose amazon-bedrock provider points at the fake with the AWS chain as its profile.
import type { Test } from 'tap'
import type OpenAI from 'openai'
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.ts'
import type { TestGateway } from '../../helpers/gateway.ts'
import { isolateAws, type AwsEnv } from '../../helpers/aws-env.ts'
import { startFakeBedrock, type FakeBedrock, type FakeCredentials } from '../../helpers/fake-bedrock.ts'
import { chatAnswer, openaiClient, startProviderGateway } from '../../helpers/provider-gateway.ts'

export const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'
export const REF = `amazon-bedrock/${MODEL}`
export const REGION = 'us-west-2'
export const KEYS: FakeCredentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }
export const BEDROCK_API_KEY = 'ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleQ=='
export const OPENAI_KEY = 'sk-proj-bedrocktest-3c4d'

export interface BedrockSetup { gw: TestGateway, bedrock: FakeBedrock, openai: FakeUpstream, client: OpenAI, aws: AwsEnv }

export interface SetupOptions {
  /** AWS variables besides the isolation (default: the static KEYS). */
  readonly awsVars?: Record<string, string>
  /** Credentials the fake accepts (default: KEYS). */
  readonly accepted?: readonly FakeCredentials[]
  /** auth-profiles.json profiles (default: none, so the AWS chain profile serves). */
  readonly profiles?: Record<string, unknown>
  readonly now?: () => number
  /** Prepare the isolated AWS dir before the gateway loads its config. */
  readonly before?: (aws: AwsEnv) => void
}

export async function setupBedrock (t: Test, opts: SetupOptions = {}): Promise<BedrockSetup> {
  const aws = isolateAws(t, opts.awsVars ?? { AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey })
  opts.before?.(aws)
  const bedrock = await startFakeBedrock({ credentials: opts.accepted ?? [KEYS], apiKeys: [BEDROCK_API_KEY], region: REGION })
  const openai = await startFakeUpstream(chatAnswer(['from openai']))
  const gw = await startProviderGateway(t, {
    providers: {
      'amazon-bedrock': {
        baseUrl: bedrock.baseUrl,
        region: REGION,
        models: [{ id: MODEL, reasoning: true, input: ['text', 'image'], contextWindow: 200000, maxTokens: 64000 }],
      },
      openai: { baseUrl: `${openai.url}/v1`, api: 'openai-completions', models: [{ id: 'gpt-5-mini' }] },
    },
    model: { primary: REF, fallbacks: ['openai/gpt-5-mini'] },
    models: { [REF]: { alias: 'sonnet' } },
    profiles: { 'openai:main': { type: 'api_key', provider: 'openai', key: OPENAI_KEY }, ...opts.profiles },
    upstreams: [bedrock, openai],
    env: aws.env,
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  })
  return { gw, bedrock, openai, client: openaiClient(gw), aws }
}
