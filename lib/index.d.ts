import type { Namespace, Server } from "socket.io";
import type { NativeAdapterStats } from "./adapters/adapter";
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
} from "./adapters/adapter";
export { createRedisAdapter, RedisAdapterOptions } from "./adapters/redis/create-redis-adapter";
export { accelerate, AccelerateOptions } from "./adapters/accelerate";

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

/**
 * Counters of a namespace's adapter, with the native addon and without it:
 * the namespace's sockets and rooms, and (when broadcasts take the native
 * fan-out, `fanout: true`) the process's fan-out counters. Given a Server,
 * its main namespace "/". For an adapter made by `accelerate()`,
 * `accelerated` says whether the native layer runs under it, and `reason`
 * why not.
 *
 * @example
 * const { sockets, rooms } = adapterStats(io);
 * const chat = adapterStats(io.of("/chat"));
 * if (chat.fanout) console.log(chat.framesWritten);
 */
export declare function adapterStats(
  target: Server<any, any, any, any> | Namespace<any, any, any, any>
): NativeAdapterStats;
