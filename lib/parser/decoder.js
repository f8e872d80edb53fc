'use strict';

const { Emitter } = require('@socket.io/component-emitter');
const debug = require('debug')('socket.io-native:parser');
const { PacketType, isPayloadValid, isBinary } = require('./protocol');
const { reconstruct, reconstructAssigning, reconstructBounded, placeholderBound } = require('./reconstruct');
const { codes, protocolError } = require('../errors');
const { payloadLogging, logPayload } = require('../payload-debug');

// Read once: debug.enabled is an accessor on a function object and costs
// more per call than a small packet's header (enable logging with DEBUG).
// socket.io-native:parser says what kind of packet went by, never what it
// carries (a CONNECT carries the handshake's auth token); the contents go to
// socket.io-native:payload only (lib/payload-debug.js).
const logging = debug.enabled;

/**
 * Whether the UTF-16 code unit `c` counts as a digit in socket.io-parser's
 * header scanning, which tests characters with `Number(c) == c`: ASCII digits,
 * and every character that Number() reads as white space (it reads "0").
 * @param {number} c
 * @returns {boolean}
 */
function isDigitLike(c) {
  if (c <= 57) return c >= 48 || c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 ||
    c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Decodes packets exactly like socket.io-parser's Decoder: strings and binary
 * attachments go in through add(), complete packets come out as "decoded"
 * events, and malformed input throws socket.io-parser's errors.
 * @extends Emitter
 */
class Decoder extends Emitter {
  /**
   * @param {((this: any, key: string, value: any) => any) | { reviver?: (this: any, key: string, value: any) => any, maxAttachments?: number }} [opts]
   *   a JSON.parse reviver, or options (maxAttachments defaults to 10)
   */
  constructor(opts) {
    super();
    if (opts === undefined) {
      this.opts = { reviver: undefined, maxAttachments: 10 };
    } else {
      this.opts = Object.assign({ reviver: undefined, maxAttachments: 10 },
        typeof opts === 'function' ? { reviver: opts } : opts);
    }
    /** The binary packet being reassembled, or null. */
    this.reconstructor = null;
    /** @private */
    this._attachments = 0;
  }

  /**
   * Decodes one encoded part: a packet string or a binary attachment.
   * @param {string | ArrayBuffer | ArrayBufferView | Blob | { base64: string }} obj
   */
  add(obj) {
    if (typeof obj === 'string') {
      if (this.reconstructor) {
        throw protocolError('got plaintext data when reconstructing a packet', codes.UNEXPECTED_TEXT);
      }
      const packet = this.parsePacket(obj);
      const type = packet.type;
      if (type === 5 || type === 6) {
        packet.type = type === 5 ? 2 : 3;
        this.reconstructor = {
          packet,
          attachments: this._attachments,
          buffers: [],
          received: 0,
          // Counting placeholders in the text costs less than walking a big
          // payload; small ones are walked as they are.
          bound: obj.length >= Decoder.boundedWalkMinLength ? placeholderBound(obj) : Infinity,
        };
      } else {
        this.emitDecoded(packet);
      }
    } else if (isBinary(obj) || obj.base64) {
      const recon = this.reconstructor;
      if (!recon) {
        throw protocolError('got binary data when not reconstructing a packet', codes.UNEXPECTED_BINARY);
      }
      // After a failed reconstruction socket.io-parser keeps collecting
      // attachments for a packet that can no longer complete; count them.
      if (recon.buffers !== null) recon.buffers.push(obj);
      if (++recon.received === recon.attachments) {
        const packet = this.finishPacket(recon);
        this.reconstructor = null;
        this.emitDecoded(packet);
      }
    } else {
      throw protocolError('Unknown type: ' + obj, codes.UNKNOWN_INPUT);
    }
  }

  /**
   * Emits "decoded". With the single listener socket.io registers it skips
   * Emitter#emit's argument array and listener-list copy; otherwise it is
   * Emitter#emit. (Reads the listener list where @socket.io/component-emitter
   * 3.x keeps it.)
   * @param {object} packet
   * @private
   */
  emitDecoded(packet) {
    const callbacks = this._callbacks !== undefined ? this._callbacks.$decoded : undefined;
    if (callbacks !== undefined && callbacks.length === 1) {
      callbacks[0].call(this, packet);
    } else {
      super.emitReserved('decoded', packet);
    }
  }

  /**
   * Builds the reassembled packet from a completed reconstruction.
   * @param {{ packet: any, buffers: any[] | null, bound: number }} recon
   * @returns {{ type: number, nsp: string, id?: number, data: any }}
   * @private
   */
  finishPacket(recon) {
    const packet = recon.packet;
    let data = packet.data;
    try {
      if (typeof data === 'object' && data !== null) {
        if (this.opts.reviver) {
          data = reconstructAssigning(data, recon.buffers);
        } else if (recon.bound !== Infinity) {
          reconstructBounded(data, recon.buffers, recon.bound);
        } else {
          data = reconstruct(data, recon.buffers);
        }
      }
    } catch (err) {
      recon.buffers = null;
      throw err;
    }
    packet.data = data;
    return packet;
  }

  /**
   * Decodes a packet string (socket.io-parser's decodeString): the header,
   * then the JSON payload, validated for the packet type.
   * @param {string} str
   * @returns {{ type: number, attachments?: number, nsp: string, id?: number, data?: any }}
   */
  decodeString(str) {
    const p = this.parsePacket(str);
    if (p.type !== 5 && p.type !== 6) return p;
    const packet = { type: p.type, attachments: this._attachments, nsp: p.nsp };
    if ('id' in p) packet.id = p.id;
    if ('data' in p) packet.data = p.data;
    return packet;
  }

  /**
   * decodeString without the `attachments` key: the count of a binary packet
   * is left in this._attachments.
   * @param {string} str
   * @returns {{ type: number, nsp: string, id?: number, data?: any }}
   * @private
   */
  parsePacket(str) {
    const length = str.length;
    const c0 = str.charCodeAt(0);
    let type;
    if (c0 >= 48 && c0 <= 54) {
      type = c0 - 48;
    } else {
      type = Number(str.charAt(0));
      if (PacketType[type] === undefined) {
        throw protocolError('unknown packet type ' + type, codes.UNKNOWN_PACKET_TYPE);
      }
    }
    let i = 0;
    if (type === 5 || type === 6) {
      let end = str.indexOf('-', 1);
      if (end === -1) end = length;
      const n = Number(str.substring(1, end));
      if (n !== n || end === length || !Number.isInteger(n) || n < 1) {
        throw protocolError('Illegal attachments', codes.ILLEGAL_ATTACHMENTS);
      } else if (n > this.opts.maxAttachments) {
        throw protocolError('too many attachments', codes.TOO_MANY_ATTACHMENTS);
      }
      i = end;
      this._attachments = n;
    }
    const p = { type, nsp: '/' };
    if (str.charCodeAt(i + 1) === 47) {
      const start = i + 1;
      i = str.indexOf(',', start);
      if (i === -1) i = length;
      p.nsp = str.substring(start, i);
    }
    if (isDigitLike(str.charCodeAt(i + 1))) {
      const start = i + 1;
      let end = start;
      let value = 0;
      let digits = true;
      for (; end < length; end++) {
        const c = str.charCodeAt(end);
        if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
        else if (isDigitLike(c)) digits = false;
        else break;
      }
      p.id = digits && end - start <= 15 ? value : Number(str.substring(start, end));
      i = end < length ? end - 1 : length;
    }
    if (++i < length) {
      let payload;
      try {
        payload = JSON.parse(str.slice(i), this.opts.reviver);
      } catch (e) {
        payload = false;
      }
      if (isPayloadValid(type, payload)) {
        p.data = payload;
      } else {
        throw protocolError('invalid payload', codes.INVALID_PAYLOAD);
      }
    }
    if (logging) debug('decoded packet type %d, namespace %s, %d characters', p.type, p.nsp, length);
    if (payloadLogging) logPayload('decoded', str);
    return p;
  }

  /**
   * socket.io-parser's payload rule for a packet type.
   * @param {number} type
   * @param {unknown} payload
   * @returns {boolean | undefined}
   */
  static isPayloadValid(type, payload) {
    return isPayloadValid(type, payload);
  }

  /**
   * Drops a partially received binary packet.
   */
  destroy() {
    this.reconstructor = null;
  }
}

/**
 * Binary packet strings at least this long (UTF-16 units) get their
 * placeholders counted in the text so that reassembly can stop walking the
 * payload early (measured in bench/RESULTS.md). Internal tuning knob.
 * @type {number}
 */
Decoder.boundedWalkMinLength = 2048;

module.exports = Decoder;
