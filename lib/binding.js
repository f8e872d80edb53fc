'use strict';

/**
 * Loads the native addon. When it cannot be loaded (no prebuilt binary for
 * this platform and no compiler, or SOCKET_IO_NATIVE_DISABLE=1), the package
 * says why in one line and the rest of lib/ falls back to socket.io's own
 * adapter and parser, so a server keeps running.
 */

const path = require('path');
const debug = require('debug')('socket.io-native:binding');

/** @type {{ addon: any, native: boolean, reason: string | null }} */
const state = { addon: null, native: false, reason: null };

if (process.env.SOCKET_IO_NATIVE_DISABLE === '1') {
  state.reason = 'disabled by SOCKET_IO_NATIVE_DISABLE=1';
  debug('native addon not loaded: %s', state.reason);
} else {
  try {
    state.addon = require('node-gyp-build')(path.join(__dirname, '..'));
    state.native = true;
    debug('native addon loaded');
  } catch (err) {
    state.reason = `could not load the native addon (${err.message.split('\n')[0]}); ` +
      "using socket.io's JS adapter and parser";
    debug('native addon not loaded: %s', state.reason);
    process.emitWarning(`socket.io-native: ${state.reason}`, { code: 'SOCKET_IO_NATIVE_FALLBACK' });
  }
}

module.exports = state;
