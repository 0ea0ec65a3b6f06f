// Public surface of the state area.
export type { StoreHealth, StateStore } from './types.ts'
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './memory-store.ts'
export type { FailureInput } from '../core/types.ts'
