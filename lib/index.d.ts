export {
  createAdapter,
  NativeAdapter,
  NativeAdapterOptions,
  NativeSessionAwareAdapter,
  nativeRooms,
} from "./adapter";
export { createRedisAdapter, RedisAdapterOptions } from "./create-redis-adapter";

/** Whether the native addon loaded. */
export declare const native: boolean;
