import { Adapter, SessionAwareAdapter } from "socket.io-adapter";

/**
 * Options of {@link createAdapter}: none yet, so only an empty object (or no
 * argument) is accepted.
 */
export type NativeAdapterOptions = Record<string, never>;

/**
 * The value for socket.io's `adapter` option. Makes a {@link NativeAdapter}
 * (or {@link NativeSessionAwareAdapter} under `connectionStateRecovery`), or
 * socket.io-adapter's own classes when the native addon is not available.
 */
export declare function createAdapter(
  options?: NativeAdapterOptions
): (nsp: any) => Adapter;

/**
 * socket.io-adapter's in-memory Adapter with room membership in the native
 * room registry. `rooms` and `sids` are read-only views that are real Maps
 * of real Sets (`instanceof`, spread, `util.inspect` as stock's): writes
 * through them throw a TypeError with code ERR_SOCKET_IO_NATIVE_READ_ONLY.
 */
export declare class NativeAdapter extends Adapter {
  constructor(nsp: any);
  /** Bytes held by this adapter's native registry. */
  nativeMemoryUsage(): number;
  /**
   * Counters of the native fan-out (process-wide) and of this namespace's
   * registry. Broadcasts written natively emit no engine.io
   * `packetCreate`/`flush`/`drain` events. `io.of("/").adapter` is typed as
   * socket.io-adapter's Adapter, and without the addon it is one (no
   * `stats()`): use {@link adapterStats}, which works in both modes.
   */
  stats(): NativeAdapterStats;
}

/**
 * What {@link adapterStats} (and {@link NativeAdapter.stats}) returns.
 * Without the addon, or with SOCKET_IO_NATIVE_FANOUT=0, `fanout` is false
 * and only the namespace's counts are there.
 */
export type NativeAdapterStats =
  | ({ fanout: true } & FanoutStats & RegistryCounts & AccelerationInfo)
  | ({ fanout: false } & RegistryCounts & AccelerationInfo);

/** Present for adapters made by `accelerate()` only. */
export interface AccelerationInfo {
  /** Whether the native room registry and fan-out run under the adapter. */
  accelerated?: boolean;
  /** Why the adapter runs unaccelerated (when `accelerated` is false). */
  reason?: string | null;
  /**
   * Incoming broadcasts of @socket.io/redis-adapter's classic adapter (with a
   * node-redis subscriber) whose packet was encoded natively from the
   * message. Absent where incoming messages are not transcoded.
   */
  incomingTranscoded?: number;
  /** Incoming broadcasts of that adapter left to its JS path (refused by the transcoder, acks). */
  incomingJsPath?: number;
}

/** This namespace's room registry. */
export interface RegistryCounts {
  /** Sockets known to the namespace's registry. */
  sockets: number;
  /** Rooms, including each socket's own room. */
  rooms: number;
}

/** The native fan-out's counters (one set per process or worker). */
export interface FanoutStats {
  /** Connections registered now. */
  connections: number;
  /**
   * Broadcasts of every namespace whose adapter uses the fan-out, and their recipients, each counted
   * once: `recipients` = `nativeRecipients` + the sum of `standardPath`.
   */
  broadcasts: number;
  recipients: number;
  /** Recipients written the standard way without being offered to the fan-out, by reason. */
  standardPath: {
    /** Broadcasts with an acknowledgement (`timeout().emitWithAck()`): always socket.io's own path. */
    ack: number;
    /** The parser's output is not something the fan-out frames (see docs/fanout.md). */
    encoding: number;
    /** The socket has `onAnyOutgoing` listeners. */
    listeners: number;
    /** Something listens to engine.io's `packetCreate`, `flush` or `drain` for the connection. */
    events: number;
    /** The connection is not registered: long-polling, TLS, deflate, budget or descriptors (see `refused`). */
    unregistered: number;
  };
  /**
   * Broadcasts (calls, several for one broadcast whose batch was flushed early) and recipients offered to the
   * native fan-out: each one queued, dropped as volatile (`droppedVolatile`) or handed back (`handedBusy`,
   * `handedUnknown`).
   */
  nativeBroadcasts: number;
  nativeRecipients: number;
  /** Frame deliveries corked, and fully written natively. */
  framesQueued: number;
  framesWritten: number;
  /** Bytes the kernel accepted from native writes. */
  bytesWritten: number;
  /** sendmsg calls, and those that carried more than one frame. */
  writes: number;
  coalescedWrites: number;
  /** Recipients written the standard way: connection busy, or not registered. */
  handedBusy: number;
  handedUnknown: number;
  /** Remainders written the standard way: socket buffer full, write error. */
  handedPartial: number;
  handedError: number;
  /** Frame deliveries and bytes in remainders. */
  framesHanded: number;
  bytesHanded: number;
  /** Volatile deliveries dropped behind frames sent in the same JS turn (stock's transport is not writable then). */
  droppedVolatile: number;
  /** Flushes that left connections for the next iteration (flush budget). */
  deferredFlushes: number;
  /** Frame deliveries the kernel did not take when a connection was unregistered. */
  droppedOnRemove: number;
  /** Frame deliveries dropped when a connection ended in the turn they were sent in, as stock drops engine.io's write buffer then. */
  droppedAtEnd: number;
  /**
   * Frames of this thread not freed yet (queued, owed to a slow connection, or held by a view JS has not
   * collected) and their bytes: a gauge, not a counter.
   */
  framesLive: number;
  frameBytesLive: number;
  /** Connections registered and unregistered since start. */
  registered: number;
  unregistered: number;
  /** Recipients that kept the standard path for a JS turn because that turn's registration budget was spent. */
  registrationsDeferred: number;
  /**
   * Connections that keep the standard path, by reason (tls, deflate, base64, eio3, closing, no descriptor,
   * register-failed; descriptor-reserve and descriptor-limit: the process was short of file descriptors, and a
   * later broadcast registers them once descriptors are free).
   */
  refused: Record<string, number>;
  /** The soft open-files limit (-1: unlimited) and the descriptors registrations keep free under it. */
  descriptorReserve: { softLimit: number; reserve: number } | null;
}

/** {@link NativeAdapter} with SessionAwareAdapter's connection state recovery. */
export declare class NativeSessionAwareAdapter extends NativeAdapter {
  persistSession: SessionAwareAdapter["persistSession"];
  restoreSession: SessionAwareAdapter["restoreSession"];
}

/**
 * Returns a subclass of `Base` (an Adapter or an adapter built on it, such as
 * a cluster adapter) whose room membership lives in the native registry.
 */
export declare function nativeRooms<T extends new (...args: any[]) => Adapter>(
  Base: T
): T & (new (...args: any[]) => { nativeMemoryUsage(): number });
