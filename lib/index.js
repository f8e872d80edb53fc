'use strict';

/**
 * socket.io-native: native building blocks behind socket.io's own interfaces.
 */

const binding = require('./binding');
const { createAdapter } = require('./create-adapter');
const { NativeAdapter } = require('./adapter');
const { nativeRooms } = require('./native-rooms');
const { NativeSessionAwareAdapter } = require('./session-aware-adapter');
const { createRedisAdapter } = require('./create-redis-adapter');
const { nativeMemory } = require('./native-memory');
const { adapterStats } = require('./adapter-stats');
const { accelerate } = require('./accelerate');

module.exports = {
  createAdapter,
  accelerate,
  NativeAdapter,
  NativeSessionAwareAdapter,
  nativeRooms,
  createRedisAdapter,
  nativeMemory,
  adapterStats,
  /** Packet parser for `new Server(httpServer, { parser })`. */
  parser: require('./parser'),
  /** Whether the native addon loaded. */
  native: binding.native,
};
