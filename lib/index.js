'use strict';

const binding = require('./binding');
const { createAdapter } = require('./create-adapter');
const { NativeAdapter } = require('./adapter');
const { nativeRooms } = require('./native-rooms');
const { NativeSessionAwareAdapter } = require('./session-aware-adapter');

module.exports = {
  createAdapter,
  NativeAdapter,
  NativeSessionAwareAdapter,
  nativeRooms,
  /** Whether the native addon loaded. */
  native: binding.native,
};
