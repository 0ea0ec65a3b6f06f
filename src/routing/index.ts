// Public surface of the pure routing core.
export type { Reason, Outcome, CooldownScope, NextStep, Decision, ChainEntry, RequestPlan, Clock } from '../core/types.ts'
export { splitPin, parseRef, profileProvider, modelNameProblem, MAX_MODEL_NAME_LENGTH } from './model-ref.ts'
export type { PinSplit, ParsedRef } from './model-ref.ts'
export { buildPlan, OPEN_MODEL_PROVIDERS } from './plan.ts'
export { baseOrder, rotate, preferSession } from './profile-order.ts'
export type { BaseOrderInput, Strategy } from './profile-order.ts'
export {
  applyFailure, applySuccess, clearCooldown, availability, claimProbe, cooldownMs, billingDisableMs
} from '../core/cooldown-policy.ts'
export type { Availability, ProbeScope } from '../core/cooldown-policy.ts'
export {
  classifyHttp, classifyTransportError, decide, retryAfterFromHeaders, parseDurationMs, safeMessage
} from '../core/classify.ts'
export type { HttpHeaders, FailureOutcome, HttpOutcome } from '../core/classify.ts'
export { finalError } from '../core/final-error.ts'
export type { AttemptRecord, SkipRecord, AttemptFailure } from '../core/final-error.ts'
