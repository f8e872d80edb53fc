'use strict';

const binding = require('./binding');
const { createAdapter } = require('./create-adapter');
const { NativeAdapter } = require('./adapter');
const { nativeRooms } = require('./native-rooms');
const { NativeSessionAwareAdapter } = require('./session-aware-adapter');
const { createRedisAdapter } = require('./create-redis-adapter');

module.exports = {
  createAdapter,
  NativeAdapter,
  NativeSessionAwareAdapter,
  nativeRooms,
  createRedisAdapter,
  /** Whether the native addon loaded. */
  native: binding.native,
};
