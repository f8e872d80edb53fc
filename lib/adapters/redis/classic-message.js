'use strict';

const binding = require('../../binding');

/**
 * The native transcoder of @socket.io/redis-adapter's classic broadcast
 * message (`notepack.encode([uid, packet, opts])`): the packet text exactly
 * as socket.io-parser's Encoder writes it for the decoded packet, without
 * building the decoded JS values (native/core/AdapterMessageTranscoder).
 * What it cannot reproduce exactly it leaves to JS.
 */

const codec = binding.native && binding.addon != null && binding.addon.codec != null &&
  typeof binding.addon.codec.transcodeAdapterMessage === 'function' ? binding.addon.codec : null;

/** Fixed slots of the out array, then (begin, length) pairs (see CodecBinding.cc). */
const FIXED_SLOTS = 15;
/** Attachments + rooms + except rooms + flags one message may carry natively. */
const MAX_RANGES = 512;
const out = new Float64Array(FIXED_SLOTS + 2 * MAX_RANGES);

/** What transcodeClassicMessage returns for input notepack.io cannot decode. */
const MALFORMED = 'malformed';

/**
 * @typedef {{
 *   uid: string,
 *   type: number,
 *   nsp: string,
 *   id: number | undefined,
 *   encodedPackets: Array<string | Buffer>,
 *   rooms: string[] | undefined,
 *   except: string[] | undefined,
 *   flags: Record<string, boolean> | undefined,
 * }} TranscodedMessage
 * `encodedPackets` is what the Encoder returns for the packet (the text,
 * then each attachment as a view of the message); `nsp` is "/" when the
 * packet has none, as the adapter assumes; rooms, except and flags are
 * undefined when opts lacks them.
 */

/**
 * The UTF-8 text of message[begin, begin + length): Buffer#utf8Slice when
 * there is one (toString's argument handling costs more than a short slice).
 *
 * @param {Buffer} message
 * @param {number} begin
 * @param {number} length
 * @returns {string}
 */
function text(message, begin, length) {
  // @ts-ignore utf8Slice is Buffer's own, undocumented in the types
  return typeof message.utf8Slice === 'function' ? message.utf8Slice(begin, begin + length)
    : message.toString('utf8', begin, begin + length);
}

/**
 * @param {Buffer} message
 * @param {number} k
 * @param {number} n
 * @returns {string[]}
 */
function roomList(message, k, n) {
  const rooms = new Array(n);
  for (let i = 0; i < n; i++, k += 2) rooms[i] = text(message, out[k], out[k + 1]);
  return rooms;
}

/**
 * Transcodes one classic-adapter broadcast message natively.
 *
 * @param {Buffer} message
 * @returns {TranscodedMessage | null | 'malformed'} null: take the JS path
 *   (notepack.decode and the Encoder), which alone reproduces this message
 *   exactly; 'malformed': notepack.decode would throw
 */
function transcodeClassicMessage(message) {
  const packetText = codec.transcodeAdapterMessage(message, out);
  if (typeof packetText !== 'string') return packetText === codec.status.malformedMessage ? MALFORMED : null;
  const attachments = out[8];
  const encodedPackets = [packetText];
  let k = FIXED_SLOTS;
  for (let i = 0; i < attachments; i++, k += 2) encodedPackets.push(message.subarray(out[k], out[k] + out[k + 1]));
  const roomCount = out[10];
  const rooms = out[9] === 1 ? roomList(message, k, roomCount) : undefined;
  k += 2 * roomCount;
  const exceptCount = out[12];
  const except = out[11] === 1 ? roomList(message, k, exceptCount) : undefined;
  k += 2 * exceptCount;
  let flags;
  if (out[13] === 1) {
    flags = {};
    const names = codec.flagNames;
    for (let i = 0, n = out[14]; i < n; i++, k += 2) flags[names[out[k]]] = out[k + 1] === 1;
  }
  // The main namespace, by far the most common, without a slice.
  const nsp = out[1] !== 1 || (out[3] === 1 && message[out[2]] === 0x2f) ? '/' : text(message, out[2], out[3]);
  return {
    uid: text(message, out[6], out[7]),
    type: out[0],
    nsp,
    id: out[4] === 1 ? out[5] : undefined,
    encodedPackets,
    rooms,
    except,
    flags,
  };
}

module.exports = { transcodeClassicMessage, available: codec !== null, MALFORMED };
