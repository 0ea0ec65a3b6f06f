// Each agent's `<agentDir>/models.json` in the form Clawdbot's own per-agent file has: checked
// against TypeBox transcriptions of Clawdbot's ModelProviderSchema (clawdbot/clawdbot v2026.1.24
// src/config/zod-schema.core.ts, strict) and of the schema pi-coding-agent 0.49.3 (Clawdbot's
// ModelRegistry, badlogic/pi-mono packages/coding-agent/src/core/model-registry.ts) checks it with.
import t from 'tap'
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import { writeAgentModelsJson } from '../../src/config/models-json.ts'
import { ClawdbotModelsJson, piModelsJsonProblems, schemaProblems } from '../helpers/clawdbot-types.ts'

const SECRET = 'sk-literal-config-key-7q7q'

t.test('every agent with a directory gets a models.json Clawdbot and pi-coding-agent accept, without secrets or made-up fields', async (t) => {
  const home = t.testdir({ 'rotor.json': JSON.stringify({
    models: {
      providers: {
        // The guide's Ollama block: keyless, a provider-prefixed id.
        ollama: { baseUrl: 'http://localhost:11434', api: 'openai-completions', auth: 'none', models: [{ id: 'ollama/llama3.2', name: 'Llama 3.2', contextWindow: 128000, maxTokens: 4096 }] },
        mine: { baseUrl: 'https://llm.example/v1', apiKey: SECRET, headers: { authorization: `Bearer ${SECRET}` }, models: [{ id: 'm', headers: { 'x-api-key': SECRET } }] },
        corp: { baseUrl: 'https://corp.example', api: 'anthropic-messages', apiKey: '${CORP_KEY}', models: [{ id: 'c1', reasoning: true, input: ['text', 'image'] }] },
        'amazon-bedrock': { region: 'eu-west-1', models: [{ id: 'anthropic.claude-sonnet-4-5-v1:0' }] },
        cloudcode: { baseUrl: 'https://cloudcode.example', api: 'google-gemini-cli', models: [{ id: 'g1' }] },
        // A built-in provider that only gets a key from config: Clawdbot's own list (pi's) stays in charge.
        openai: { apiKey: '${OPENAI_KEY}' },
      },
    },
  }) })
  for (const agent of ['default', 'work']) mkdirSync(join(home, 'agents', agent, 'agent'), { recursive: true })
  const cfg = loadConfig({ env: { CORP_KEY: 'sk-corp-env-secret', OPENAI_KEY: 'sk-openai-env-secret' }, home })
  const written = writeAgentModelsJson(home, cfg.catalog, cfg.raw.models)
  t.strictSame(written.sort(), [join(home, 'agents', 'default', 'agent', 'models.json'), join(home, 'agents', 'work', 'agent', 'models.json')])
  const file = join(home, 'agents', 'work', 'agent', 'models.json')
  const text = readFileSync(file, 'utf8')
  for (const s of [SECRET, 'sk-corp-env-secret', 'sk-openai-env-secret']) t.notMatch(text, s, 'no secret')
  const json = JSON.parse(text) as { providers: Record<string, Record<string, unknown> & { models: Array<Record<string, unknown>> }> }
  t.strictSame(schemaProblems(ClawdbotModelsJson, json), [], 'Clawdbot\'s ModelProviderSchema accepts it')
  t.strictSame(piModelsJsonProblems(json), [], 'pi-coding-agent 0.49.3 accepts it')
  t.strictSame(Object.keys(json.providers).sort(), ['amazon-bedrock', 'corp', 'mine', 'ollama'], 'no built-in without listed models, no google-gemini-cli family')
  t.strictSame(json.providers.ollama, {
    baseUrl: 'http://localhost:11434/v1', apiKey: 'OLLAMA_API_KEY', api: 'openai-completions',
    models: [{ id: 'llama3.2', name: 'Llama 3.2', reasoning: false, input: ['text'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 4096 }],
  }, 'no auth "none", the id without its provider prefix')
  t.equal(json.providers.corp.apiKey, 'CORP_KEY', 'a ${VAR} key by name')
  t.equal(json.providers.mine.apiKey, 'MINE_API_KEY', 'a literal key becomes a placeholder name')
  t.equal(json.providers.mine.headers, undefined)
  t.equal(json.providers['amazon-bedrock'].auth, 'aws-sdk')
  t.equal(json.providers['amazon-bedrock'].region, undefined, 'no region: Clawdbot\'s schema has none')
  t.equal(statSync(file).mode & 0o777, 0o600)
})

t.test('in merge mode the providers Clawdbot wrote into the file stay (not in replace mode); unchanged content is not rewritten', async (t) => {
  const home = t.testdir({ 'rotor.json': JSON.stringify({ models: { providers: { corp: { baseUrl: 'https://corp.example', apiKey: '${CORP_KEY}', models: [{ id: 'c1' }] } } } }) })
  const dir = join(home, 'agents', 'main', 'agent')
  mkdirSync(dir, { recursive: true })
  const theirs = { baseUrl: 'https://api.minimax.io/anthropic', apiKey: 'MINIMAX_API_KEY', api: 'anthropic-messages', models: [] }
  writeFileSync(join(dir, 'models.json'), JSON.stringify({ providers: { minimax: theirs } }))
  const cfg = loadConfig({ env: { CORP_KEY: 'k' }, home })
  t.equal(writeAgentModelsJson(home, cfg.catalog, cfg.raw.models).length, 1)
  const json = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as { providers: Record<string, unknown> }
  t.strictSame(Object.keys(json.providers), ['minimax', 'corp'])
  t.strictSame(json.providers.minimax, theirs)
  t.equal(writeAgentModelsJson(home, cfg.catalog, cfg.raw.models).length, 0, 'same content: not rewritten')
  writeFileSync(join(home, 'rotor.json'), JSON.stringify({ models: { mode: 'replace', providers: { corp: { baseUrl: 'https://corp.example', apiKey: '${CORP_KEY}', models: [{ id: 'c1' }] } } } }))
  const replace = loadConfig({ env: { CORP_KEY: 'k' }, home })
  writeAgentModelsJson(home, replace.catalog, replace.raw.models)
  t.strictSame(Object.keys((JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as { providers: object }).providers), ['corp'], 'replace mode: only rotor\'s')
})

t.test('no agent directory, no per-agent file', async (t) => {
  const home = t.testdir({})
  const cfg = loadConfig({ env: {}, home })
  t.strictSame(writeAgentModelsJson(home, cfg.catalog, cfg.raw.models), [])
  t.notOk(existsSync(join(home, 'agents')))
})
