'use strict';

const binding = require('./binding');

/**
 * What the native addon of this thread holds, for monitoring and for leak
 * tests: the room registries not yet released (one per namespace that uses
 * the native adapter, released when its adapter is garbage collected, and
 * emptied by `io.close()`), the bytes they hold, and the fan-out engine's
 * counters when it is present. Returns zeros and `fanout: null` when the
 * addon is not loaded.
 *
 * @returns {{ registries: number, registryBytes: number, fanout: Record<string, number> | null }}
 */
function nativeMemory() {
  const addon = binding.addon;
  const registry = addon && addon.registry && typeof addon.registry.totals === 'function'
    ? addon.registry.totals()
    : { registries: 0, bytes: 0 };
  const fanout = addon && addon.fanout && typeof addon.fanout.stats === 'function'
    ? addon.fanout.stats()
    : null;
  return { registries: registry.registries, registryBytes: registry.bytes, fanout };
}

module.exports = { nativeMemory };
