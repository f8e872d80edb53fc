'use strict';

/**
 * socket.io-native: native building blocks behind socket.io's own interfaces.
 */

const binding = require('./binding');
const { createAdapter } = require('./adapters/create-adapter');
const { NativeAdapter } = require('./adapters/adapter');
const { nativeRooms } = require('./rooms/native-rooms');
const { NativeSessionAwareAdapter } = require('./adapters/session-aware-adapter');
const { createRedisAdapter } = require('./adapters/redis/create-redis-adapter');
const { nativeMemory } = require('./native-memory');
const { adapterStats } = require('./adapters/adapter-stats');
const { accelerate } = require('./adapters/accelerate');

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
