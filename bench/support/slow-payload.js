'use strict';

/**
 * The messages of the slow-reader benchmark, shared by its server (which
 * emits them) and its clients (which check every byte): message `seq` is
 * `io.emit('m', seq, pad)` with a pad of `size` characters that depend on
 * the seq, so a frame delivered twice, out of order, cut or mixed with
 * another one's bytes never matches.
 */

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');

/**
 * The pad of message `seq`: `size` characters from a xorshift stream seeded
 * by the seq.
 *
 * @param {number} seq
 * @param {number} size
 * @returns {string}
 */
function pad(seq, size) {
  const out = Buffer.allocUnsafe(size);
  let x = (seq * 2654435761 + 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = ALPHABET[x & 63];
  }
  return out.toString('latin1');
}

/**
 * The websocket text payload a client must receive for message `seq`: the
 * engine.io message type, then the socket.io event packet.
 *
 * @param {number} seq
 * @param {number} size
 * @returns {Buffer}
 */
function expectedPayload(seq, size) {
  return Buffer.from(`42${JSON.stringify(['m', seq, pad(seq, size)])}`);
}

module.exports = { pad, expectedPayload };
