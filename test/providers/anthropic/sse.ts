// Reads OpenAI-shaped SSE text back into chunks for assertions.

export type Chunk = Record<string, any>

/** `data:` payloads in order; `[DONE]` stays a string. */
export function parseSse (text: string): Array<Chunk | '[DONE]'> {
  const out: Array<Chunk | '[DONE]'> = []
  for (const frame of text.split('\n\n')) {
    if (frame.trim() === '') continue
    if (!frame.startsWith('data: ')) throw new Error(`not an SSE data frame: ${JSON.stringify(frame)}`)
    const data = frame.slice(6)
    out.push(data === '[DONE]' ? '[DONE]' : JSON.parse(data))
  }
  return out
}

/** The deltas of the choice chunks, in order. */
export function deltas (chunks: Array<Chunk | '[DONE]'>): Chunk[] {
  return chunks.filter((c): c is Chunk => c !== '[DONE]' && c.choices.length > 0).map((c) => c.choices[0].delta)
}

/** Joins streamed deltas back into one assistant message, the way an OpenAI client does. */
export function assemble (chunks: Array<Chunk | '[DONE]'>): { content: string, reasoning: string, toolCalls: Array<{ id: string, name: string, arguments: string }>, finish: string | null, thinkingBlocks: Chunk[] } {
  let content = ''
  let reasoning = ''
  let finish: string | null = null
  const toolCalls: Array<{ id: string, name: string, arguments: string }> = []
  const thinkingBlocks: Chunk[] = []
  for (const c of chunks) {
    if (c === '[DONE]' || c.choices.length === 0) continue
    const choice = c.choices[0]
    const d = choice.delta
    if (typeof d.content === 'string') content += d.content
    if (typeof d.reasoning_content === 'string') reasoning += d.reasoning_content
    if (Array.isArray(d.thinking_blocks)) thinkingBlocks.push(...d.thinking_blocks)
    for (const tc of d.tool_calls ?? []) {
      const slot = toolCalls[tc.index] ?? (toolCalls[tc.index] = { id: '', name: '', arguments: '' })
      if (tc.id !== undefined) slot.id = tc.id
      if (tc.function?.name !== undefined) slot.name = tc.function.name
      if (tc.function?.arguments !== undefined) slot.arguments += tc.function.arguments
    }
    if (choice.finish_reason !== null) finish = choice.finish_reason
  }
  return { content, reasoning, toolCalls, finish, thinkingBlocks }
}
