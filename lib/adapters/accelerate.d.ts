/**
 * Options of {@link accelerate}. None yet: an object without keys (an
 * unknown key throws ERR_SOCKET_IO_NATIVE_UNKNOWN_OPTION).
 */
export type AccelerateOptions = Record<string, never>;

/**
 * Puts the native room registry and the native broadcast fan-out under the
 * adapters an existing adapter factory makes (any adapter built on
 * socket.io-adapter's `Adapter` or `ClusterAdapter`: @socket.io/redis-adapter,
 * its sharded variant, @socket.io/redis-streams-adapter,
 * @socket.io/cluster-adapter, @socket.io/postgres-adapter, ...), keeping the
 * adapter's own inter-node protocol. Returns the value to give socket.io's
 * `adapter` option. An adapter that cannot be accelerated safely runs as it
 * is, with one warning (code SOCKET_IO_NATIVE_NOT_ACCELERATED) and
 * `adapterStats()` reporting `accelerated: false` and the reason. Without the
 * native addon the factory is returned unchanged.
 *
 * @example
 * const { createAdapter } = require("@socket.io/redis-adapter");
 * const { accelerate, parser } = require("socket.io-native");
 * const io = new Server(httpServer, { adapter: accelerate(createAdapter(pubClient, subClient)), parser });
 */
export declare function accelerate<F extends Function>(factory: F, options?: AccelerateOptions): F;
