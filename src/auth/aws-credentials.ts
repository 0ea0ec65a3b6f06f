// AWS credentials for the `aws-sdk` auth mode (rotor profile `<provider>:aws-sdk`): the AWS SDK's
// default Node chain (`fromNodeProviderChain`: env keys, shared config/credentials files with
// AWS_PROFILE, SSO, web identity, container and instance metadata), run lazily on the first
// request, cached, and refreshed before the credentials expire so no request is sent with an
// expired key. Like the SDK, the chain reads the process environment itself.
import { fromNodeProviderChain } from '@aws-sdk/credential-providers'
import type { AwsCredentialIdentity } from '@smithy/types'
import type { Clock } from '../core/types.ts'
import { AwsCredentialsError } from '../core/errors.ts'

export type AwsCredentials = AwsCredentialIdentity

/** The SDK's provider shape: `forceRefresh` skips the provider's own memo. */
export type AwsCredentialProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>

export interface AwsCredentialCache {
  /** Valid credentials: the cached ones, or fresh ones when those expire within the margin. */
  get (): Promise<AwsCredentials>
  /**
   * The upstream rejected `rejected` (expired or revoked early): forget them, so the next get()
   * runs the chain again. Credentials cached meanwhile by another request are kept.
   */
  invalidate (rejected: AwsCredentials): void
}

export interface AwsCredentialCacheOptions {
  readonly now?: Clock
  /** Refresh when the credentials expire within this; default 5 min, as the SDK does. */
  readonly marginMs?: number
  /** The chain; defaults to `fromNodeProviderChain` (tests inject their own). */
  readonly provider?: AwsCredentialProvider
  /** Region for the STS calls some chain links make (web identity, assumed roles). */
  readonly region?: string
}

const MARGIN_MS = 5 * 60_000
/** Credentials this close to expiry are not used even when a refresh failed. */
const MIN_VALIDITY_MS = 10_000

/** Thrown when the chain finds no credentials; the adapter turns it into an `auth` failure. */
export function defaultAwsProvider (region: string | undefined): AwsCredentialProvider {
  // ignoreCache: a refresh re-reads the shared files, so rotated keys are picked up.
  return fromNodeProviderChain({ ignoreCache: true, ...(region !== undefined ? { clientConfig: { region } } : {}) })
}

const sameCredentials = (a: AwsCredentials, b: AwsCredentials): boolean =>
  a.accessKeyId === b.accessKeyId && a.secretAccessKey === b.secretAccessKey && a.sessionToken === b.sessionToken

export function createAwsCredentialCache (opts: AwsCredentialCacheOptions = {}): AwsCredentialCache {
  const now = opts.now ?? Date.now
  const margin = opts.marginMs ?? MARGIN_MS
  let provider = opts.provider
  let cached: AwsCredentials | undefined
  let inflight: Promise<AwsCredentials> | undefined

  const fresh = (c: AwsCredentials): boolean => c.expiration === undefined || c.expiration.getTime() - now() > margin
  const stillValid = (c: AwsCredentials): boolean => c.expiration === undefined || c.expiration.getTime() - now() > MIN_VALIDITY_MS

  function load (): Promise<AwsCredentials> {
    provider ??= defaultAwsProvider(opts.region)
    // forceRefresh: rotor decides when to refresh (on its clock), never the provider's memo.
    inflight ??= provider({ forceRefresh: true })
      .then((c) => { cached = c; return c })
      .finally(() => { inflight = undefined })
    return inflight
  }

  return {
    async get () {
      const current = cached
      if (current !== undefined && fresh(current)) return current
      try {
        return await load()
      } catch (err) {
        // A refresh that fails while the old credentials still work must not fail the request.
        if (current !== undefined && stillValid(current)) return current
        throw new AwsCredentialsError(`AWS credentials unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      }
    },
    invalidate (rejected) {
      if (cached !== undefined && sameCredentials(cached, rejected)) cached = undefined
    },
  }
}
