'use strict';

const { Adapter, SessionAwareAdapter } = require('socket.io-adapter');
const debug = require('debug')('socket.io-native:adapter');
const binding = require('../binding');
const { invalidArgError, unknownOptionError, adapterNotCalledError } = require('../errors');
const { NativeAdapter } = require('./adapter');
const { NativeSessionAwareAdapter } = require('./session-aware-adapter');

/**
 * Whether this process can use the native adapter.
 *
 * @returns {boolean}
 */
function registryAvailable() {
  return binding.native && binding.addon != null && binding.addon.registry != null;
}

/**
 * Returns the value for socket.io's `adapter` option: a function that
 * socket.io calls with `new` for each namespace. It makes a
 * {@link NativeAdapter}, or a NativeSessionAwareAdapter when the server has
 * `connectionStateRecovery` (socket.io only picks its own SessionAwareAdapter
 * when no adapter is given, so this choice is made here).
 *
 * When the native addon is not available (SOCKET_IO_NATIVE_DISABLE=1, no
 * binary for this platform), it makes socket.io-adapter's Adapter or
 * SessionAwareAdapter instead, so a server keeps running unchanged.
 *
 * @example
 * const io = new Server(httpServer, { adapter: createAdapter(), parser });
 *
 * @param {{}} [options] reserved: an object without keys when given (an
 *   unknown option throws ERR_SOCKET_IO_NATIVE_UNKNOWN_OPTION)
 * @returns {(nsp: any) => any}
 * @throws {TypeError} ERR_SOCKET_IO_NATIVE_ADAPTER_NOT_CALLED when socket.io
 *   was given `createAdapter` itself rather than `createAdapter()`
 */
function createAdapter(options) {
  // socket.io makes each namespace's adapter with `new adapter(nsp)`; only
  // the uncalled factory gets there.
  if (new.target !== undefined) throw adapterNotCalledError('createAdapter()');
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArgError('createAdapter(options): options must be an object');
  }
  const unknown = Object.keys(options || {});
  if (unknown.length > 0) throw unknownOptionError('createAdapter(options)', unknown, []);
  const useNative = registryAvailable();
  if (!useNative) {
    debug('native room registry not available (%s); using socket.io-adapter',
      binding.reason || 'the addon has no registry');
  }
  return function nativeAdapter(nsp) {
    const recovery = Boolean(nsp.server.opts && nsp.server.opts.connectionStateRecovery);
    if (!useNative) return recovery ? new SessionAwareAdapter(nsp) : new Adapter(nsp);
    return recovery ? new NativeSessionAwareAdapter(nsp) : new NativeAdapter(nsp);
  };
}

module.exports = { createAdapter, registryAvailable };
