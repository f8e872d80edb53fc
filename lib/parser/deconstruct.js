'use strict';

/**
 * Binary detection and deconstruction for the encoder.
 *
 * socket.io-parser sends an EVENT/ACK packet with binary data by deep-copying
 * the whole payload, replacing every binary value with a placeholder, and
 * serializing the copy with JSON.stringify. Here the deconstruction copies
 * only the objects and arrays on a path to something that has to change;
 * every other subtree is handed to JSON.stringify as is.
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
 *
 * One case is knowingly left out: a boxed primitive whose prototype was
 * replaced by Object.prototype is taken for a plain object (checking every
 * object for boxing would cost more than the whole binary check).
 */

const { types } = require('util');
const { isBinary } = require('./protocol');

const hasOwn = Object.prototype.hasOwnProperty;
const ObjectPrototype = Object.prototype;
const ArrayPrototype = Array.prototype;
const isBoxedPrimitive = types.isBoxedPrimitive;
const isRawJSON = typeof JSON.isRawJSON === 'function' ? JSON.isRawJSON : () => false;

/**
 * State of one deconstruction: the attachments found so far, and whether
 * every node must be copied.
 * @typedef {{ buffers: any[], copyAll: boolean }} Context
 */

/**
 * socket.io-parser's hasBinary: the same traversal, the same checks in the
 * same order and the same calls to toJSON, so the same answer; only cheaper
 * (no call for primitives, no `arguments`).
 * @param {object} value a non-null object
 * @param {boolean} toJSONDone whether value is already the result of toJSON
 * @returns {boolean}
 */
function hasBinary(value, toJSONDone) {
  if (Array.isArray(value)) {
    for (let i = 0, l = value.length; i < l; i++) {
      const item = value[i];
      if (typeof item === 'object' && item !== null && hasBinary(item, false)) return true;
    }
    return false;
  }
  if (isBinary(value)) return true;
  if (!toJSONDone && typeof value.toJSON === 'function') {
    const result = value.toJSON();
    return typeof result === 'object' && result !== null && hasBinary(result, true);
  }
  for (const key in value) {
    if (hasOwn.call(value, key)) {
      const item = value[key];
      if (typeof item === 'object' && item !== null && hasBinary(item, false)) return true;
    }
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
  // What payloads are made of first: an object whose prototype is
  // Array.prototype or Object.prototype is neither an ArrayBuffer, a Blob, a
  // File nor a Date, so of socket.io-parser's checks only isView remains.
  const proto = Object.getPrototypeOf(value);
  let exotic = false;
  if (proto === ArrayPrototype && Array.isArray(value)) return deconstructArray(value, ctx);
  if (proto === ObjectPrototype) {
    if (ArrayBuffer.isView(value)) return placeholder(value, ctx);
  } else {
    // socket.io-parser's order: isBinary, then arrays, then Dates.
    if (isBinary(value)) return placeholder(value, ctx);
    if (Array.isArray(value)) return deconstructArray(value, ctx);
    if (value instanceof Date) return value;
    exotic = isBoxedPrimitive(value) || isRawJSON(value);
  }
  const withToJSON = typeof value.toJSON === 'function';
  // The result of toJSON replaces the object: always a change, so that
  // JSON.stringify does not call toJSON a second time.
  if (withToJSON && !toJSONDone) return deconstruct(value.toJSON(), ctx, true);
  let out = null;
  if (ctx.copyAll || withToJSON || exotic) out = {};
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
 * Replaces a binary value with the next placeholder.
 * @param {any} value
 * @param {Context} ctx
 * @returns {{ _placeholder: true, num: number }}
 */
function placeholder(value, ctx) {
  const num = ctx.buffers.length;
  ctx.buffers.push(value);
  return { _placeholder: true, num };
}

/**
 * @param {any[]} array
 * @param {Context} ctx
 * @returns {any[]}
 */
function deconstructArray(array, ctx) {
  const length = array.length;
  // Copies are built with push so that they stay packed arrays, which
  // JSON.stringify serializes on its fast path (a holey `new Array(n)` is not).
  let out = ctx.copyAll || typeof array.toJSON === 'function' ? [] : null;
  for (let i = 0; i < length; i++) {
    const item = array[i];
    const result = typeof item === 'object' && item !== null ? deconstruct(item, ctx, false) : item;
    if (out !== null) {
      out.push(result);
    } else if (result !== item) {
      out = [];
      for (let j = 0; j < i; j++) out.push(array[j]);
      out.push(result);
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
