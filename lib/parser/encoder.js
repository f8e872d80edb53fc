'use strict';

const debug = require('debug')('socket.io-native:parser');
const { deconstruct, hasBinary } = require('./deconstruct');
const { payloadLogging, logPayload } = require('../payload-debug');

// Read once: debug.enabled is an accessor on a function object and costs
// more per call than a small packet's header (enable logging with DEBUG).
// socket.io-native:parser says what kind of packet went by, never what it
// carries; the contents go to socket.io-native:payload only
// (lib/payload-debug.js).
const logging = debug.enabled;

/**
 * Encodes packets exactly like socket.io-parser's Encoder: a non-binary packet
 * becomes one string, an EVENT or ACK carrying binary data becomes a
 * BINARY_EVENT/BINARY_ACK string followed by its attachments.
 *
 * The binary check is socket.io-parser's, made cheaper; the deconstruction of
 * a binary packet copies only what must change (see deconstruct.js); the
 * serialization is JSON.stringify's.
 */
class Encoder {
  /**
   * @param {(this: any, key: string, value: any) => any} [replacer] passed to JSON.stringify
   */
  constructor(replacer) {
    this.replacer = replacer;
  }

  /**
   * Encodes a packet as a single string, or as a string followed by its
   * binary attachments.
   * @param {{ type: number, nsp?: string, data?: any, id?: number }} obj
   * @returns {Array<string | any>}
   */
  encode(obj) {
    const type = obj.type;
    // Like socket.io-parser, look for binary data in the whole packet object
    // (every key, toJSON results), and only then deconstruct the payload.
    if ((type === 2 || type === 3) && hasBinary(obj, false)) {
      // A replacer sees socket.io-parser's copies: make the same ones.
      const ctx = { buffers: [], copyAll: Boolean(this.replacer) };
      const data = deconstruct(obj.data, ctx, false);
      const buffers = ctx.buffers;
      // socket.io-parser's encodeAsString on {type, nsp, data, id, attachments}.
      let str = (type === 2 ? '5' : '6') + buffers.length + '-';
      const nsp = obj.nsp;
      const id = obj.id;
      if (nsp && nsp !== '/') str += nsp + ',';
      if (id != null) str += id;
      if (data != null) str += JSON.stringify(data, this.replacer);
      if (logging) debug('encoded packet type %d, namespace %s, %d characters, %d attachments', type, nsp || '/', str.length, buffers.length);
      if (payloadLogging) logPayload('encoded', str);
      const out = [str];
      for (let i = 0; i < buffers.length; i++) out.push(buffers[i]);
      return out;
    }
    return [this.encodeAsString(obj)];
  }

  /**
   * Encodes a packet as a string, exactly like socket.io-parser.
   * @param {{ type: any, nsp?: any, data?: any, id?: any, attachments?: any }} obj
   * @returns {string}
   */
  encodeAsString(obj) {
    let str = '' + obj.type;
    if (obj.type === 5 || obj.type === 6) str += obj.attachments + '-';
    if (obj.nsp && obj.nsp !== '/') str += obj.nsp + ',';
    if (obj.id != null) str += obj.id;
    if (obj.data != null) str += JSON.stringify(obj.data, this.replacer);
    if (logging) debug('encoded packet type %d, namespace %s, %d characters', obj.type, obj.nsp || '/', str.length);
    if (payloadLogging) logPayload('encoded', str);
    return str;
  }
}

module.exports = Encoder;
