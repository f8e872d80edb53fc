export {
  createAdapter,
  NativeAdapter,
  NativeAdapterOptions,
  NativeSessionAwareAdapter,
  nativeRooms,
} from "./adapter";
export { createRedisAdapter, RedisAdapterOptions } from "./redis-adapter";

/** Whether the native addon loaded. */
export declare const native: boolean;
