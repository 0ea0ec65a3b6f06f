// Public surface of the state area.
export type { FailureInput, StoreHealth, StateStore } from './types.ts'
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './memory-store.ts'
