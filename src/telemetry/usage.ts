// Token counts from the tail of an OpenAI-shaped body, without parsing the body: usage is
// the last object of a completion and the last chunk of a stream with include_usage.

export interface Usage {
  readonly promptTokens: number
  readonly completionTokens: number
  readonly cachedTokens: number
}

const PROMPT = /"prompt_tokens"\s*:\s*(\d+)/g
const COMPLETION = /"completion_tokens"\s*:\s*(\d+)/g
const CACHED = /"cached_tokens"\s*:\s*(\d+)/g

function lastMatch (re: RegExp, s: string): number | undefined {
  re.lastIndex = 0
  let m: RegExpExecArray | null
  let v: string | undefined
  while ((m = re.exec(s)) !== null) v = m[1]
  return v === undefined ? undefined : Number(v)
}

export function usageFromTail (tail: string): Usage | undefined {
  if (!tail.includes('"usage"')) return undefined
  const promptTokens = lastMatch(PROMPT, tail)
  const completionTokens = lastMatch(COMPLETION, tail)
  if (promptTokens === undefined || completionTokens === undefined) return undefined
  return { promptTokens, completionTokens, cachedTokens: lastMatch(CACHED, tail) ?? 0 }
}

/** USD cost from per-million prices; cached prompt tokens at the cache-read price. */
export function costUsd (u: Usage, cost: { input: number, output: number, cacheRead: number }): number {
  const fresh = Math.max(0, u.promptTokens - u.cachedTokens)
  return (fresh * cost.input + u.cachedTokens * cost.cacheRead + u.completionTokens * cost.output) / 1e6
}
