'use strict';

/**
 * Loads the native addon. When it cannot be loaded (no prebuilt binary for
 * this platform and no compiler, or SOCKET_IO_NATIVE_DISABLE set), the
 * package says why in one line and the rest of lib/ falls back to
 * socket.io's own adapter and parser, so a server keeps running.
 */

const path = require('path');
const debug = require('debug')('socket.io-native:binding');
const { settings } = require('./env');

/**
 * What to do when no binary was found: on linux-x64 with glibc the prebuilt
 * one loads without any install step, so this is another platform (or musl)
 * where the install script should have built it. npm 11 runs a dependency's
 * install script only once the project allows it, and then says nothing
 * about it; the fix is two commands.
 */
const INSTALL_SCRIPT_HINT =
  'if npm did not run its install script (npm 11 runs it only once allowed), run ' +
  '`npm install-scripts approve socket.io-native && npm rebuild socket.io-native` ' +
  '(building needs a C++20 compiler and Python)';

/** @type {{ addon: any, native: boolean, reason: string | null }} */
const state = { addon: null, native: false, reason: null };

if (settings.disable) {
  state.reason = `disabled by SOCKET_IO_NATIVE_DISABLE=${settings.disableRaw}`;
  debug('native addon not loaded: %s', state.reason);
} else {
  try {
    state.addon = require('node-gyp-build')(path.join(__dirname, '..'));
    state.native = true;
    debug('native addon loaded');
  } catch (err) {
    const first = String(err && err.message).split('\n')[0];
    const hint = /No native build was found/.test(first) ? `; ${INSTALL_SCRIPT_HINT}` : '';
    state.reason = `could not load the native addon (${first}); ` +
      `using socket.io's JS adapter and parser${hint}`;
    debug('native addon not loaded: %s', state.reason);
    process.emitWarning(`socket.io-native: ${state.reason}`, { code: 'SOCKET_IO_NATIVE_FALLBACK' });
  }
}

module.exports = state;
