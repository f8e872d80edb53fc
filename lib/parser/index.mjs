/**
 * ESM entry point of `socket.io-native/parser`: re-exports the CommonJS
 * parser module, so `import` and `require` give the same objects.
 */

import cjs from './index.js';

export const { protocol, PacketType, Encoder, Decoder, isPacketValid } = cjs;

export default cjs;
