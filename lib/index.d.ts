import * as parser from "./parser";

/** Packet parser for `new Server(httpServer, { parser })`. */
export { parser };

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
