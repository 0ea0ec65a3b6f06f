// Public surface of OAuth refresh: token endpoints, coordinators, CLI import/sync, Copilot.
export { newest, preferUsable, RefreshError, type StoredToken, type RefreshTask, type RefreshCoordinator, type TokenSlot, type OAuthLog } from './types.ts'
export { refreshOAuthToken, TOKEN_ENDPOINTS, REFRESH_TIMEOUT_MS, type FetchLike, type RefreshInput } from './token-endpoints.ts'
export { createFileCoordinator, refreshUnderLock, acquireFileLock, type FileCoordinatorOptions } from './file-coordinator.ts'
export { createRedisCoordinator, credentialKeys, type RedisCoordinator, type RedisCoordinatorOptions, type CredentialKeys } from './redis-coordinator.ts'
export { externalClis, externalCliFor, homeOf, CLAUDE_CLI_PROFILE, CODEX_CLI_PROFILE, type ExternalCli } from './external-cli.ts'
export { importExternalCredentials, type ImportOptions } from './import.ts'
export {
  exchangeCopilotToken, discoverGithubToken, githubTokenFingerprint, COPILOT_TOKEN_URL, COPILOT_DISCOVERED_PROFILE, COPILOT_EDITOR_HEADERS,
  type CopilotExchangeInput
} from './copilot.ts'
export { decodeJwtPayload, jwtExpiryMs, codexAccountId } from './jwt.ts'
