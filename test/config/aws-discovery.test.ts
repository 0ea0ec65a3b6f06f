// Implicit Bedrock: AWS credentials found at load without any network call (env, shared
// files with AWS_PROFILE / AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, web identity,
// container), the region the chain would pick, and the `<provider>:aws-sdk` profile.
import t from 'tap'
import { join } from 'node:path'
import { buildCatalog } from '../../src/config/catalog.ts'
import { discoverAws, parseIniSections } from '../../src/config/aws-discovery.ts'
import { resolveProfiles } from '../../src/auth/profiles.ts'

const HOME_FILES = {
  '.aws': {
    credentials: '[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n\n[work]\naws_access_key_id=AKIAWORK\naws_secret_access_key=s\n',
    config: '# comment\n[default]\nregion = eu-central-1\n\n[profile sso-dev]\nsso_session = corp\nsso_account_id = 1\nregion = ap-southeast-2\n\n[profile region-only]\nregion = us-east-2\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n  nested = ignored\n',
  },
}

t.test('shared files in HOME are found, for the default profile or the one AWS_PROFILE names', async (t) => {
  const home = t.testdir(HOME_FILES)
  t.strictSame(discoverAws({ HOME: home }), { chain: 'shared-files', bearer: false, region: 'eu-central-1' })
  t.strictSame(discoverAws({ HOME: home, AWS_PROFILE: 'sso-dev' }), { chain: 'shared-files', bearer: false, region: 'ap-southeast-2' })
  t.strictSame(discoverAws({ HOME: home, AWS_PROFILE: 'region-only' }), { chain: undefined, bearer: false, region: 'us-east-2' }, 'a profile with only a region holds no credentials')
  t.strictSame(discoverAws({ HOME: home, AWS_PROFILE: 'missing' }), { chain: undefined, bearer: false, region: undefined })
  t.equal(discoverAws({ HOME: home, AWS_REGION: 'us-west-1' }).region, 'us-west-1', 'AWS_REGION wins over the profile')
})

t.test('AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE replace the files in HOME', async (t) => {
  const dir = t.testdir({ creds: '[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = s\n', conf: '[profile ci]\nregion = sa-east-1\n', home: {} })
  const env = { HOME: join(dir, 'home'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'creds'), AWS_CONFIG_FILE: join(dir, 'conf'), AWS_PROFILE: 'ci' }
  t.strictSame(discoverAws(env), { chain: 'shared-files', bearer: false, region: 'sa-east-1' })
})

t.test('env keys, web identity, container credentials and a Bedrock API key are found from the environment alone', async (t) => {
  const home = t.testdir({})
  t.equal(discoverAws({ HOME: home, AWS_ACCESS_KEY_ID: 'AKIA' }).chain, 'env')
  t.equal(discoverAws({ HOME: home, AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' }).chain, 'web-identity')
  t.equal(discoverAws({ HOME: home, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' }).chain, 'container')
  t.equal(discoverAws({ HOME: home, AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/x' }).chain, 'container')
  t.strictSame(discoverAws({ HOME: home, AWS_BEARER_TOKEN_BEDROCK: 'ABSK' }), { chain: undefined, bearer: true, region: undefined })
  t.strictSame(discoverAws({}), { chain: undefined, bearer: false, region: undefined }, 'no HOME in the given env: the process\'s own home is not read')
})

t.test('a credentials file alone adds the implicit Bedrock provider in the profile\'s region', async (t) => {
  const home = t.testdir(HOME_FILES)
  const bedrock = buildCatalog(undefined, { HOME: home }).providers.get('amazon-bedrock')
  t.equal(bedrock?.baseUrl, 'https://bedrock-runtime.eu-central-1.amazonaws.com')
  t.equal(bedrock?.region, 'eu-central-1')
  t.ok(bedrock?.models.has('eu.anthropic.claude-sonnet-4-5-20250929-v1:0'))
  t.equal(buildCatalog(undefined, { HOME: join(home, 'elsewhere') }).providers.has('amazon-bedrock'), false, 'nothing found: no Bedrock')
})

t.test('a configured region sets base URL, inference-profile prefix and signing region', async (t) => {
  const bedrock = buildCatalog({ providers: { 'amazon-bedrock': { region: 'ap-northeast-1' } } }, {}).providers.get('amazon-bedrock')
  t.equal(bedrock?.baseUrl, 'https://bedrock-runtime.ap-northeast-1.amazonaws.com')
  t.equal(bedrock?.region, 'ap-northeast-1')
  t.ok(bedrock?.models.has('apac.anthropic.claude-sonnet-4-5-20250929-v1:0'))
  const custom = buildCatalog({ mode: 'replace', providers: { br: { baseUrl: 'https://bedrock-runtime.eu-west-3.amazonaws.com', api: 'bedrock-converse-stream', auth: 'aws-sdk' } } }, {}).providers.get('br')
  t.equal(custom?.region, 'eu-west-3', 'a custom Bedrock provider signs for the region in its host')
})

t.test('the aws-sdk profile: present when credentials are found or nothing else serves, absent beside a lone API key', async (t) => {
  const profilesFor = (env: Record<string, string>, file: Record<string, unknown> = {}): string[] => resolveProfiles({
    file: { version: 1, profiles: file as never }, catalog: buildCatalog({ providers: { 'amazon-bedrock': {} } }, env), declared: {}, env, warn: () => {},
  }).filter((p) => p.provider === 'amazon-bedrock').map((p) => `${p.id}/${p.type}`)
  const dir = t.testdir({ home: HOME_FILES, empty: {} })
  const home = join(dir, 'home')
  const empty = join(dir, 'empty')
  t.strictSame(profilesFor({ HOME: home }), ['amazon-bedrock:aws-sdk/aws-sdk'])
  t.strictSame(profilesFor({ HOME: empty }), ['amazon-bedrock:aws-sdk/aws-sdk'], 'configured with nothing found: the chain (instance metadata) is the only way in')
  t.strictSame(profilesFor({ HOME: empty, AWS_BEARER_TOKEN_BEDROCK: 'ABSKkey' }), ['amazon-bedrock:env/api_key'])
  t.strictSame(profilesFor({ HOME: home, AWS_BEARER_TOKEN_BEDROCK: 'ABSKkey' }), ['amazon-bedrock:env/api_key', 'amazon-bedrock:aws-sdk/aws-sdk'])
  t.strictSame(profilesFor({ HOME: empty }, { 'amazon-bedrock:k': { type: 'api_key', provider: 'amazon-bedrock', key: 'ABSKfile' } }), ['amazon-bedrock:k/api_key'])
})

t.test('the INI reader keeps sections and keys, and skips comments and nested lines', async (t) => {
  const ini = parseIniSections(HOME_FILES['.aws'].config)
  t.strictSame([...ini.keys()], ['default', 'profile sso-dev', 'profile region-only', 'sso-session corp'])
  t.strictSame([...(ini.get('sso-session corp') ?? new Map())], [['sso_start_url', 'https://corp.awsapps.com/start']])
})
