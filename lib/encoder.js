'use strict';

const debug = require('debug')('socket.io-native:parser');
const { deconstruct, hasBinary } = require('./deconstruct');

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Encodes packets exactly like socket.io-parser's Encoder: a non-binary packet
 * becomes one string, an EVENT or ACK carrying binary data becomes a
 * BINARY_EVENT/BINARY_ACK string followed by its attachments.
 *
 * It walks the payload once, copying only what must change (see
 * deconstruct.js), and leaves the serialization to JSON.stringify.
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
    if (debug.enabled) debug('encoding packet %j', obj);
    const type = obj.type;
    if (type === 2 || type === 3) {
      let ctx = null;
      let data;
      if (typeof obj.toJSON !== 'function') {
        ctx = { buffers: [], copyAll: false, forced: false };
        data = deconstruct(obj.data, ctx, false);
        if (ctx.buffers.length === 0 && !ctx.forced && !otherKeysHaveBinary(obj)) ctx = null;
      } else if (hasBinary(obj, false)) {
        ctx = { buffers: [], copyAll: true, forced: false };
        data = deconstruct(obj.data, ctx, false);
      }
      if (ctx !== null) {
        if (this.replacer && !ctx.copyAll) {
          // The replacer sees socket.io-parser's copies: make the same ones.
          ctx = { buffers: [], copyAll: true, forced: false };
          data = deconstruct(obj.data, ctx, false);
        }
        const buffers = ctx.buffers;
        const out = new Array(buffers.length + 1);
        out[0] = this.encodeAsString({
          type: type === 2 ? 5 : 6,
          nsp: obj.nsp,
          data,
          id: obj.id,
          attachments: buffers.length,
        });
        for (let i = 0; i < buffers.length; i++) out[i + 1] = buffers[i];
        return out;
      }
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
    if (debug.enabled) debug('encoded %j as %s', obj, str);
    return str;
  }
}

/**
 * Whether a packet key other than `data` holds binary data: socket.io-parser
 * checks the whole packet object, not only its payload.
 * @param {object} packet
 * @returns {boolean}
 */
function otherKeysHaveBinary(packet) {
  for (const key in packet) {
    if (key === 'data' || !hasOwn.call(packet, key)) continue;
    const value = packet[key];
    if (typeof value === 'object' && value !== null && hasBinary(value, false)) return true;
  }
  return false;
}

module.exports = Encoder;
