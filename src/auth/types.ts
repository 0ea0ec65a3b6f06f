// auth-profiles.json v1 (docs/configuration.md, Clawdbot-compatible) and the resolved profile view.
import type { UsageStats } from '../core/types.ts'

// Fields rotor does not know (OpenClaw's keyRef, displayName, metadata …) are kept on every type.
export interface ApiKeyCredential { type: 'api_key', provider: string, key: string, email?: string, [extra: string]: unknown }
export interface TokenCredential { type: 'token', provider: string, token: string, expires?: number, email?: string, [extra: string]: unknown }
export interface OAuthCredential {
  type: 'oauth', provider: string, access: string, refresh: string, expires: number, email?: string
  [extra: string]: unknown
}
export type Credential = ApiKeyCredential | TokenCredential | OAuthCredential
export type CredentialType = Credential['type']

export interface AuthProfilesFile {
  version: 1
  profiles: Record<string, Credential>
  order?: Record<string, string[]>
  lastGood?: Record<string, string>
  usageStats?: Record<string, UsageStats>
  /** Top-level keys rotor does not know, written back as they were read. */
  extras?: Record<string, unknown>
}

export type ProfileSource = 'file' | 'config' | 'env' | 'none'

/** A credential the gateway may route to, after merging file, config and env. */
export interface Profile {
  readonly id: string
  readonly provider: string
  /**
   * `none` for providers with `auth: "none"` (one synthetic profile `<provider>:none`);
   * `aws-sdk` for the AWS credential chain of an `auth: "aws-sdk"` provider (`<provider>:aws-sdk`).
   */
  readonly type: CredentialType | 'none' | 'aws-sdk'
  readonly source: ProfileSource
  readonly credential: Credential | undefined
  /** False when the declared mode disagrees with the stored type, or the secret is empty. */
  readonly usable: boolean
  readonly unusableReason?: string
}
