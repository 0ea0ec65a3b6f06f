// What every rotor error must look like on the wire: OpenAI's `{"error":{message,type,param,code}}`.
import type { Test } from 'tap'

export interface OpenAIError { message: string, type: string, param: string | null, code: string }

/** The error object when `text` is exactly OpenAI's shape, else undefined. */
export function openAIError (text: string): OpenAIError | undefined {
  let body: unknown
  try { body = JSON.parse(text) } catch { return undefined }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  if (Object.keys(body).join() !== 'error') return undefined
  const e = (body as { error: unknown }).error
  if (typeof e !== 'object' || e === null) return undefined
  const { message, type, param, code } = e as Record<string, unknown>
  if (Object.keys(e).sort().join() !== 'code,message,param,type') return undefined
  if (typeof message !== 'string' || typeof type !== 'string' || typeof code !== 'string') return undefined
  if (param !== null && typeof param !== 'string') return undefined
  return { message, type, param, code }
}

export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Status, OpenAI shape, public code and a request id. */
export function assertOpenAIError (
  t: Test,
  res: { status: number, headers: { get (name: string): string | null } | Readonly<Record<string, string>>, body: string },
  status: number,
  code: string,
): OpenAIError | undefined {
  const header = (name: string): string | null => typeof res.headers.get === 'function'
    ? (res.headers as { get (n: string): string | null }).get(name)
    : (res.headers as Readonly<Record<string, string>>)[name] ?? null
  t.equal(res.status, status, `status ${status}`)
  t.match(header('content-type') ?? '', /^application\/json/, 'JSON body')
  t.match(header('x-request-id') ?? '', REQUEST_ID, 'carries a request id')
  const err = openAIError(res.body)
  t.ok(err, `OpenAI-shaped: ${res.body.slice(0, 200)}`)
  t.equal(err?.code, code, `code ${code}`)
  return err
}
