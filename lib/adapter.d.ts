import { Adapter, SessionAwareAdapter } from "socket.io-adapter";

/** Options of {@link createAdapter}; none yet. */
export interface NativeAdapterOptions {}

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
 * room registry. `rooms` and `sids` are read-only Map-like views: writes
 * through them throw a TypeError with code ERR_SOCKET_IO_NATIVE_READ_ONLY.
 */
export declare class NativeAdapter extends Adapter {
  constructor(nsp: any);
  /** Bytes held by this adapter's native registry. */
  nativeMemoryUsage(): number;
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
