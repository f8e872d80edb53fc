'use strict';

/**
 * socket.io-native: native building blocks behind socket.io's own interfaces.
 */

const binding = require('./binding');

module.exports = {
  /** Packet parser for `new Server(httpServer, { parser })`. */
  parser: require('./parser'),
  /** Whether the native addon is loaded. */
  native: binding.native,
};
