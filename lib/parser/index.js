'use strict';

/**
 * Socket.IO packet parser with socket.io-parser 4.2's API and behaviour:
 * pass it as `new Server(httpServer, { parser })`.
 *
 * When the native addon is not loaded (see binding.js) the package uses
 * socket.io's own parser, as it does for the adapter.
 */

const binding = require('../binding');
const debug = require('debug')('socket.io-native:parser');

let parser;
if (binding.native) {
  parser = require('./parser-js');
} else {
  debug('using socket.io-parser: %s', binding.reason);
  const stock = require('socket.io-parser');
  parser = {
    protocol: stock.protocol,
    PacketType: stock.PacketType,
    Encoder: stock.Encoder,
    Decoder: stock.Decoder,
    isPacketValid: stock.isPacketValid,
  };
}

module.exports = parser;
