// Vocabulary of the interactive login flows (`rotor models auth login`): the I/O port a flow
// talks to the user through, what it returns, and what it may be given.
import type { FetchLike } from '../oauth/token-endpoints.ts'
import type { Credential } from '../types.ts'

/** How a flow talks to the user; the CLI gives a terminal, tests a script. */
export interface LoginIO {
  /** One line (or a few) of instructions. */
  print (text: string): void
  /**
   * Asks for one line of input. When `signal` aborts (e.g. the browser callback arrived
   * first), the prompt goes away and the promise rejects.
   */
  prompt (question: string, signal?: AbortSignal): Promise<string>
  /** Opens a URL in the user's browser; a failure is not an error (the URL is printed too). */
  openUrl (url: string): Promise<void> | void
}

export interface LoginResult {
  /** `<provider>:<email or default>` (Copilot: `github-copilot:github`). */
  readonly profileId: string
  readonly credential: Credential
}

export interface FlowDeps {
  readonly io: LoginIO
  /** Defaults to the global fetch. */
  readonly fetch?: FetchLike
  /** ms epoch clock; defaults to Date.now. */
  readonly now?: () => number
  /** Waits between device-code polls; defaults to a timer. Tests pass an instant one. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Per-request timeout for the provider's endpoints; default 30 s. */
  readonly timeoutMs?: number
}
