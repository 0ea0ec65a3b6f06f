// `rotor models scan --provider amazon-bedrock`: foundation models and inference profiles
// from the control plane, SigV4-signed with the AWS chain (checked by the fake with aws4),
// page by page, and addable to the config.
import t from 'tap'
import { join } from 'node:path'
import { startFakeBedrock } from '../helpers/fake-bedrock.ts'
import { cliHome } from './cli-env.ts'

const KEYS = { accessKeyId: 'AKIASCANEXAMPLE00001', secretAccessKey: 'scan-secret-key' }

const FOUNDATION = [
  { modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', modelName: 'Claude Sonnet 4.5', providerName: 'Anthropic', inputModalities: ['TEXT', 'IMAGE'], outputModalities: ['TEXT'], inferenceTypesSupported: ['INFERENCE_PROFILE'] },
  { modelId: 'amazon.nova-pro-v1:0', modelName: 'Nova Pro', providerName: 'Amazon', inputModalities: ['TEXT', 'IMAGE', 'VIDEO'], outputModalities: ['TEXT'], inferenceTypesSupported: ['ON_DEMAND'] },
  { modelId: 'meta.llama3-8b-instruct-v1:0', modelName: 'Llama 3 8B Instruct', providerName: 'Meta', inputModalities: ['TEXT'], outputModalities: ['TEXT'], inferenceTypesSupported: ['ON_DEMAND'] },
  { modelId: 'amazon.titan-embed-text-v2:0', modelName: 'Titan Embeddings', providerName: 'Amazon', inputModalities: ['TEXT'], outputModalities: ['EMBEDDING'], inferenceTypesSupported: ['ON_DEMAND'] },
]
const PROFILES = [
  { inferenceProfileId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', inferenceProfileName: 'US Claude Sonnet 4.5', status: 'ACTIVE', type: 'SYSTEM_DEFINED', models: [{ modelArn: 'arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
  { inferenceProfileId: 'us.old.model-v1:0', inferenceProfileName: 'Retired', status: 'INACTIVE', models: [] },
]

t.test('scan lists callable text models and active inference profiles, signed with the AWS chain', async (t) => {
  const bedrock = await startFakeBedrock({ credentials: [KEYS], region: 'us-west-2', foundationModels: FOUNDATION, inferenceProfiles: PROFILES, pageSize: 1 })
  t.teardown(() => bedrock.close())
  const aws = t.testdir({})
  const h = await cliHome(t, {
    env: {
      AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: join(aws, 'credentials'), AWS_CONFIG_FILE: join(aws, 'config'),
    },
  })
  h.writeConfig({ models: { providers: { 'amazon-bedrock': { baseUrl: bedrock.baseUrl, region: 'us-west-2' } } } })
  const out = await h.json(['models', 'scan', '--provider', 'amazon-bedrock', '--json'])
  t.strictSame((out.models as Array<{ id: string, input: string[] }>).map((m) => [m.id, m.input]), [
    ['amazon.nova-pro-v1:0', ['text', 'image']],
    ['meta.llama3-8b-instruct-v1:0', ['text']],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', ['text', 'image']],
  ])
  t.strictSame(bedrock.violations, [])
  t.ok(bedrock.requests.length >= 6, 'every page was fetched (page size 1)')
  t.ok(bedrock.requests.every((r) => r.auth.kind === 'sigv4' && r.auth.id === KEYS.accessKeyId))

  const added = await h.cli(['models', 'scan', '--provider', 'amazon-bedrock', '--add', 'meta.llama3-8b-instruct-v1:0'])
  t.equal(added.code, 0, added.stderr)
  t.match(added.stdout, 'Added to config: amazon-bedrock/meta.llama3-8b-instruct-v1:0')
  const providers = (h.readConfig().models as { providers: Record<string, { models: Array<{ id: string }> }> }).providers
  t.strictSame(providers['amazon-bedrock'].models.map((m) => m.id), ['meta.llama3-8b-instruct-v1:0'])
})

t.test('scan says which credentials are missing, and reports a refused signature', async (t) => {
  const bedrock = await startFakeBedrock({ credentials: [{ ...KEYS, secretAccessKey: 'other' }], foundationModels: FOUNDATION })
  t.teardown(() => bedrock.close())
  const aws = t.testdir({})
  const isolated = { AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: join(aws, 'credentials'), AWS_CONFIG_FILE: join(aws, 'config') }
  const h = await cliHome(t, { env: { ...isolated, AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey } })
  h.writeConfig({ models: { providers: { 'amazon-bedrock': { baseUrl: bedrock.baseUrl, region: 'us-east-1' } } } })
  const refused = await h.cli(['models', 'scan', '--provider', 'amazon-bedrock'])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /answered HTTP 403: The request signature we calculated does not match/)
  t.notMatch(refused.stderr, KEYS.secretAccessKey)

  const bare = await cliHome(t, { env: isolated })
  bare.writeConfig({ models: { providers: { 'amazon-bedrock': { baseUrl: bedrock.baseUrl, region: 'us-east-1' } } } })
  const missing = await bare.cli(['models', 'scan', '--provider', 'amazon-bedrock'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /AWS credentials unavailable: /)
})
