/**
 * ESM entry point. It re-exports the CommonJS module, so `import` and
 * `require` share one instance (one addon, one registry, one `native` flag).
 */

import cjs from './index.js';

export const {
  createAdapter,
  accelerate,
  NativeAdapter,
  NativeSessionAwareAdapter,
  nativeRooms,
  createRedisAdapter,
  nativeMemory,
  adapterStats,
  parser,
  native,
} = cjs;

export default cjs;
