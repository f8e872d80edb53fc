'use strict';

const binding = require('./binding');
const { createAdapter } = require('./create-adapter');
const { NativeAdapter } = require('./adapter');
const { NativeSessionAwareAdapter } = require('./session-aware-adapter');

module.exports = {
  createAdapter,
  NativeAdapter,
  NativeSessionAwareAdapter,
  /** Whether the native addon loaded. */
  native: binding.native,
};
