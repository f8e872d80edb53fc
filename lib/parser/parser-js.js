'use strict';

/**
 * The parser implementation itself (pure JS), whatever the state of the
 * addon; lib/parser/index.js decides what the package exports.
 */

const { protocol, PacketType, isPacketValid } = require('./protocol');
const Encoder = require('./encoder');
const Decoder = require('./decoder');

module.exports = { protocol, PacketType, Encoder, Decoder, isPacketValid };
