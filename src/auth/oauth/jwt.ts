// Reading (never verifying) JWT claims rotor needs: Codex's account id and token expiry.
import { isRecord } from '../../core/json.ts'

/** The payload of a JWT as an object, or undefined when `token` is not a decodable JWT. */
export function decodeJwtPayload (token: string): Record<string, unknown> | undefined {
  const parts = token.split('.')
  if (parts.length < 2 || parts[1] === '') return undefined
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    return isRecord(json) ? json : undefined
  } catch {
    return undefined
  }
}

/** `exp` in ms epoch, or undefined. */
export function jwtExpiryMs (token: string): number | undefined {
  const exp = decodeJwtPayload(token)?.exp
  return typeof exp === 'number' && Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined
}

/** ChatGPT account id from the `https://api.openai.com/auth` claim (access or id token). */
export function codexAccountId (token: string): string | undefined {
  const auth = decodeJwtPayload(token)?.['https://api.openai.com/auth']
  const id = isRecord(auth) ? auth.chatgpt_account_id : undefined
  return typeof id === 'string' && id !== '' ? id : undefined
}
