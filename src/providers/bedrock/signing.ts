// Request authentication for Bedrock: AWS Signature Version 4 (service `bedrock`, the signing
// name of both the runtime and the control plane) with the AWS SDK's own signer, or a Bedrock
// API key as a bearer token. Hashing is node:crypto through Smithy's `Hash`, as in the SDK's
// own Node runtime: the pure-JS @aws-crypto/sha256-js took ~11× longer on a 200 KB prompt
// (8.5 ms against 0.76 ms, blocking the event loop), and the body hash grows with the prompt.
import { Hash } from '@smithy/core/serde'
import { SignatureV4 } from '@smithy/signature-v4'
import type { HttpRequest } from '@smithy/types'
import type { AwsCredentials } from '../../auth/aws-credentials.ts'

export const SIGNING_SERVICE = 'bedrock'

const SHA256 = Hash.bind(null, 'sha256')

export interface SignInput {
  readonly method: 'GET' | 'POST'
  readonly url: URL
  /** Headers to send (and sign); `host` is added. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly region: string
  readonly credentials: AwsCredentials
  /** Signing time; AWS rejects a signature more than 5 minutes off its own clock. */
  readonly date?: Date
}

/** The headers to send: the given ones plus host, x-amz-date, x-amz-security-token and authorization. */
export async function sigv4Headers (input: SignInput): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: SIGNING_SERVICE,
    sha256: SHA256,
    // The payload hash goes into the signature only; Bedrock needs no x-amz-content-sha256 header.
    applyChecksum: false,
  })
  const query: Record<string, string> = {}
  for (const [k, v] of input.url.searchParams) query[k] = v
  const request: HttpRequest = {
    method: input.method,
    protocol: input.url.protocol,
    hostname: input.url.hostname,
    ...(input.url.port !== '' ? { port: Number(input.url.port) } : {}),
    path: input.url.pathname,
    query,
    headers: { ...input.headers, host: input.url.host },
    body: input.body,
  }
  const signed = await signer.sign(request, input.date === undefined ? {} : { signingDate: input.date })
  return signed.headers
}

export function bearerHeaders (headers: Readonly<Record<string, string>>, token: string): Record<string, string> {
  return { ...headers, authorization: `Bearer ${token}` }
}
