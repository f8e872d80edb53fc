import * as parser from "./parser";

/** Packet parser for `new Server(httpServer, { parser })`. */
export { parser };

export {
  createAdapter,
  NativeAdapter,
  NativeAdapterOptions,
  NativeAdapterStats,
  FanoutStats,
  RegistryCounts,
  NativeSessionAwareAdapter,
  nativeRooms,
} from "./adapter";
export { createRedisAdapter, RedisAdapterOptions } from "./create-redis-adapter";

/** Whether the native addon loaded. */
export declare const native: boolean;

/**
 * What the native addon of this thread holds: room registries not yet
 * released, their bytes, and the fan-out engine's counters (null when absent).
 */
export declare function nativeMemory(): {
  registries: number;
  registryBytes: number;
  fanout: Record<string, number> | null;
};
