'use strict';

/**
 * Binary detection and deconstruction for the encoder.
 *
 * socket.io-parser walks an EVENT/ACK packet twice when it sends it (hasBinary,
 * then a deep copy of the whole payload that replaces every binary value with a
 * placeholder) and lets JSON.stringify serialize the copy. Here a single walk
 * does both jobs and copies only the objects and arrays on a path to something
 * that has to change; every other subtree is handed to JSON.stringify as is.
 *
 * A subtree may be shared with the caller's object only when JSON.stringify
 * serializes it exactly as it would serialize socket.io-parser's copy of it.
 * The copy differs from the original in these cases, which therefore count as
 * changes and are copied the way socket.io-parser copies them:
 *  - binary values (replaced by `{"_placeholder":true,"num":N}`);
 *  - objects with a `toJSON` method (socket.io-parser calls it once, without
 *    arguments, and copies the result; a Date is kept as is);
 *  - arrays with a `toJSON` method (the copy is a plain array);
 *  - own `__proto__` keys (the copy assigns them, which sets the prototype of
 *    the copy, so the key disappears from the JSON);
 *  - boxed primitives and JSON.rawJSON objects (the copy is a plain object).
 * Copying every node instead (`copyAll`) reproduces socket.io-parser exactly;
 * it is used when a replacer sees the copied objects.
 */

const { types } = require('util');
const { isBinary } = require('./protocol');

const hasOwn = Object.prototype.hasOwnProperty;
const ObjectPrototype = Object.prototype;
const isBoxedPrimitive = types.isBoxedPrimitive;
const isRawJSON = typeof JSON.isRawJSON === 'function' ? JSON.isRawJSON : () => false;

/**
 * State of one deconstruction: the attachments found so far, whether every
 * node must be copied, and whether socket.io-parser's hasBinary would report
 * binary data that the copy does not contain (a Date whose toJSON returns
 * binary data).
 * @typedef {{ buffers: any[], copyAll: boolean, forced: boolean }} Context
 */

/**
 * socket.io-parser's hasBinary, with the same traversal and the same calls to
 * toJSON; used where the single walk cannot answer (Dates, packet keys other
 * than `data`, packets with their own toJSON).
 * @param {unknown} obj
 * @param {boolean} [toJSONDone] whether obj is already the result of toJSON
 * @returns {boolean}
 */
function hasBinary(obj, toJSONDone) {
  if (!obj || typeof obj !== 'object') return false;
  if (Array.isArray(obj)) {
    for (let i = 0, l = obj.length; i < l; i++) {
      if (hasBinary(obj[i], false)) return true;
    }
    return false;
  }
  if (isBinary(obj)) return true;
  if (!toJSONDone && obj.toJSON && typeof obj.toJSON === 'function') {
    return hasBinary(obj.toJSON(), true);
  }
  for (const key in obj) {
    if (hasOwn.call(obj, key) && hasBinary(obj[key], false)) return true;
  }
  return false;
}

/**
 * Deconstructs `value` (see the file comment). Returns `value` itself when
 * nothing beneath it changes, otherwise a copy.
 * @param {any} value
 * @param {Context} ctx
 * @param {boolean} toJSONDone whether value is the result of a toJSON call
 * @returns {any}
 */
function deconstruct(value, ctx, toJSONDone) {
  if (typeof value !== 'object' || value === null) return value;
  if (isBinary(value)) {
    const placeholder = { _placeholder: true, num: ctx.buffers.length };
    ctx.buffers.push(value);
    return placeholder;
  }
  if (Array.isArray(value)) return deconstructArray(value, ctx);
  if (value instanceof Date) {
    if (!ctx.forced && hasBinary(value, toJSONDone)) ctx.forced = true;
    return value;
  }
  const withToJSON = typeof value.toJSON === 'function';
  // The result of toJSON replaces the object: always a change, so that
  // JSON.stringify does not call toJSON a second time.
  if (withToJSON && !toJSONDone) return deconstruct(value.toJSON(), ctx, true);
  let out = null;
  if (ctx.copyAll || withToJSON ||
      (Object.getPrototypeOf(value) !== ObjectPrototype && (isBoxedPrimitive(value) || isRawJSON(value)))) {
    out = {};
  }
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const item = value[key];
    if (key === '__proto__') {
      if (out === null) out = copyKeysBefore(value, key);
      // socket.io-parser assigns this key on its copy, which sets the copy's
      // prototype: copy the value exactly as it does so that the outcome,
      // including attachment numbering, is the same.
      const copyAll = ctx.copyAll;
      ctx.copyAll = true;
      out[key] = deconstruct(item, ctx, false);
      ctx.copyAll = copyAll;
      continue;
    }
    const result = typeof item === 'object' && item !== null ? deconstruct(item, ctx, false) : item;
    if (out !== null) {
      out[key] = result;
    } else if (result !== item) {
      out = copyKeysBefore(value, key);
      out[key] = result;
    }
  }
  return out === null ? value : out;
}

/**
 * @param {any[]} array
 * @param {Context} ctx
 * @returns {any[]}
 */
function deconstructArray(array, ctx) {
  const length = array.length;
  let out = ctx.copyAll || typeof array.toJSON === 'function' ? new Array(length) : null;
  for (let i = 0; i < length; i++) {
    const item = array[i];
    const result = typeof item === 'object' && item !== null ? deconstruct(item, ctx, false) : item;
    if (out !== null) {
      out[i] = result;
    } else if (result !== item) {
      out = new Array(length);
      for (let j = 0; j < i; j++) out[j] = array[j];
      out[i] = result;
    }
  }
  return out === null ? array : out;
}

/**
 * A plain-object copy of the own enumerable keys of `obj` that come before
 * `stop`, in enumeration order.
 * @param {object} obj
 * @param {string} stop
 * @returns {object}
 */
function copyKeysBefore(obj, stop) {
  const out = {};
  for (const key in obj) {
    if (key === stop) break;
    if (hasOwn.call(obj, key)) out[key] = obj[key];
  }
  return out;
}

module.exports = { deconstruct, hasBinary };
