// Public surface of the config area.
export { resolveHome, findConfigPath, agentDir, authProfilesPath, modelsJsonPath, expandHome, CONFIG_FILE_NAMES } from './paths.ts'
export type { Env, FindConfigOptions } from './paths.ts'
export { AGENT_ID_PATTERN, isAgentId, agentIdProblem, checkAgentId } from '../core/agent-id.ts'
export { substituteEnv, envReferenceName, MissingEnvVarError } from './env-substitute.ts'
export { loadConfig, resolveConfig, validateConfig, parseConfigText, formatSchemaErrors, EXAMPLE_CONFIG_PATH, DEFAULTS, DEFAULT_MODEL_ALIASES } from './load.ts'
export type { LoadConfigOptions } from './load.ts'
export { BUILTIN_PROVIDERS, builtinProviderIds, bedrockProvider, hasBedrockEnv, BEDROCK_ENV_VARS, DEFAULT_BEDROCK_REGION } from './builtin-providers.ts'
export { discoverAws, regionOfBedrockUrl, parseIniSections } from './aws-discovery.ts'
export type { AwsDiscovery, AwsCredentialSource } from './aws-discovery.ts'
export { IMPLEMENTED_API_FAMILIES } from './api-families.ts'
export type { ProviderSpec } from './builtin-providers.ts'
export { buildCatalog, normalizeBaseUrl, DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_TOKENS } from './catalog.ts'
export type { BuildCatalogOptions, CatalogProviderDef } from './catalog.ts'
export { writeModelsJson, renderModelsJson } from './models-json.ts'
export { createConfigReloader } from './watch.ts'
export type { ConfigReloader, ConfigReloaderOptions, ReloadResult } from './watch.ts'
export { RotorConfigSchema } from './schema.ts'
export type { RotorConfig, ProviderConfig, ModelDefinitionConfig, ApiFamily } from './schema.ts'
export { DEFAULT_AGENT } from './types.ts'
export type {
  LoadedConfig, Catalog, ProviderDef, ModelDef, ModelCost, ProviderAuth, AgentSettings,
  CooldownPolicy, ClientDef, GatewaySettings,
} from './types.ts'
