'use strict';

const { invalidArgError } = require('../errors');
const { NativeAdapter } = require('./adapter');
const { accelerationOf } = require('./accelerate');

/**
 * The namespace `target` stands for: a Namespace itself, or a Server's main
 * namespace ("/").
 *
 * @param {any} target
 * @returns {any}
 */
function namespaceOf(target) {
  if (target != null && typeof target.name === 'string' && target.adapter != null) return target;
  if (target != null && typeof target.of === 'function' && target.sockets != null && target.sockets.adapter != null) {
    return target.sockets;
  }
  throw invalidArgError('adapterStats(target): target must be a socket.io Server or Namespace');
}

/**
 * Counters of a namespace's adapter, the same way in every mode: with the
 * native addon (the adapter's own `stats()`: the namespace's registry and the
 * process's fan-out counters) and without it (SOCKET_IO_NATIVE_DISABLE, no
 * binary: socket.io-adapter's classes, which have no `stats()`; the counts
 * come from their `sids` and `rooms` maps and `fanout` is false). Also for
 * any adapter built on socket.io-adapter's in-memory rooms. For an adapter
 * made by accelerate(), `accelerated` says whether the native layer runs
 * under it, and `reason` why not when it does not.
 *
 * @example
 * const { adapterStats } = require("socket.io-native");
 * const { sockets, rooms, fanout } = adapterStats(io); // or adapterStats(io.of("/chat"))
 *
 * @param {any} target a socket.io Server (its main namespace) or Namespace
 * @returns {Record<string, any>} see NativeAdapterStats in lib/adapters/adapter.d.ts
 */
function adapterStats(target) {
  const adapter = namespaceOf(target).adapter;
  // Made by accelerate(): the native counters when it was accelerated, the
  // reason when it was not (its own stats(), if any, are the adapter's business).
  const outcome = accelerationOf(adapter);
  if (outcome !== undefined) {
    if (outcome.accelerated) {
      const stats = { accelerated: true, ...NativeAdapter.prototype.stats.call(adapter) };
      // The classic Redis adapter's incoming broadcasts: natively transcoded
      // or left to its JS path (absent where they are not transcoded at all).
      if (outcome.incoming !== null) {
        stats.incomingTranscoded = outcome.incoming.transcoded;
        stats.incomingJsPath = outcome.incoming.jsPath;
      }
      return stats;
    }
    return { accelerated: false, reason: outcome.reason, fanout: false, sockets: adapter.sids.size, rooms: adapter.rooms.size };
  }
  // Ours: NativeAdapter, its session-aware variant and the Redis adapter's
  // native local layer (they share NativeAdapter's stats()).
  if (typeof adapter.stats === 'function' && typeof adapter.nativeMemoryUsage === 'function') {
    return adapter.stats();
  }
  return { fanout: false, sockets: adapter.sids.size, rooms: adapter.rooms.size };
}

module.exports = { adapterStats };
