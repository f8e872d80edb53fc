'use strict';

/**
 * Puts received attachments back in place of their placeholders, with
 * socket.io-parser's rules: any object whose `_placeholder` is `true` is a
 * placeholder, its `num` must be a number in [0, attachments) or the packet is
 * rejected with "illegal attachments" (CVE-2022-2421), and the attachment
 * taken is `buffers[num]`.
 *
 * Unlike socket.io-parser it writes only where a placeholder was replaced, and
 * it defines an own `__proto__` property instead of assigning it, so an object
 * with a `__proto__` key keeps the shape JSON.parse gave it and never gets a
 * new prototype.
 */

const { codes, protocolError } = require('../errors');

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Replaces the placeholders beneath `value` (an object or array from
 * JSON.parse) in place.
 * @param {object} value
 * @param {any[]} buffers
 * @returns {any} value, or the attachment when value is a placeholder
 */
function reconstruct(value, buffers) {
  if (Array.isArray(value)) {
    for (let i = 0, l = value.length; i < l; i++) {
      const item = value[i];
      if (typeof item === 'object' && item !== null) {
        const result = reconstruct(item, buffers);
        if (result !== item) value[i] = result;
      }
    }
    return value;
  }
  if (value._placeholder === true) {
    const num = value.num;
    if (typeof num === 'number' && num >= 0 && num < buffers.length) return buffers[num];
    throw protocolError('illegal attachments', codes.ILLEGAL_PLACEHOLDER);
  }
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const item = value[key];
    if (typeof item === 'object' && item !== null) {
      const result = reconstruct(item, buffers);
      if (result !== item) {
        if (key === '__proto__') {
          Object.defineProperty(value, key, { value: result, writable: true, enumerable: true, configurable: true });
        } else {
          value[key] = result;
        }
      }
    }
  }
  return value;
}

/**
 * socket.io-parser's reconstruction, which writes every element and key back
 * (so setters and frozen objects that a reviver returned behave as they do
 * there), except that an own `__proto__` key is redefined, never assigned.
 * @param {any} value
 * @param {any[]} buffers
 * @returns {any}
 */
function reconstructAssigning(value, buffers) {
  if (!value) return value;
  if (value._placeholder === true) {
    const num = value.num;
    if (typeof num === 'number' && num >= 0 && num < buffers.length) return buffers[num];
    throw protocolError('illegal attachments', codes.ILLEGAL_PLACEHOLDER);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reconstructAssigning(value[i], buffers);
  } else if (typeof value === 'object') {
    for (const key in value) {
      if (!hasOwn.call(value, key)) continue;
      const result = reconstructAssigning(value[key], buffers);
      if (key === '__proto__') {
        Object.defineProperty(value, key, { value: result, writable: true, enumerable: true, configurable: true });
      } else {
        value[key] = result;
      }
    }
  }
  return value;
}

/**
 * How many objects with a `_placeholder` key JSON.parse can make from `text`
 * at most: the occurrences of `"_placeholder"`, or Infinity when a \u escape
 * could spell the key differently.
 * @param {string} text
 * @returns {number}
 */
function placeholderBound(text) {
  if (text.indexOf('\\u') !== -1) return Infinity;
  let count = 0;
  for (let i = text.indexOf('"_placeholder"'); i !== -1; i = text.indexOf('"_placeholder"', i + 14)) count++;
  return count;
}

/**
 * Same result as reconstruct() on data parsed from a text with at most
 * `bound` objects that have a `_placeholder` key (see placeholderBound), but
 * it stops walking once it has seen that many: the rest of the tree cannot
 * hold a placeholder. The walk is breadth-first, so a big payload whose
 * attachments sit near the top is not walked through.
 * @param {object} root an array or object from JSON.parse
 * @param {any[]} buffers
 * @param {number} bound
 */
function reconstructBounded(root, buffers, bound) {
  // The array and object branches repeat the per-item step on purpose: a
  // shared helper would cost a call per node on the decode path.
  // The queue is reused between calls (reconstruction runs no user code) and
  // emptied afterwards so that it keeps nothing alive.
  const queue = boundedQueue;
  let remaining = bound;
  queue.push(root);
  try {
    for (let head = 0; head < queue.length && remaining > 0; head++) {
      const node = queue[head];
      if (Array.isArray(node)) {
        for (let i = 0, l = node.length; i < l; i++) {
          const item = node[i];
          if (typeof item !== 'object' || item === null) continue;
          const mark = item._placeholder;
          if (mark === undefined) {
            queue.push(item);
          } else {
            remaining--;
            if (mark === true) node[i] = resolve(item, buffers);
            else queue.push(item);
          }
        }
      } else {
        for (const key in node) {
          if (!hasOwn.call(node, key)) continue;
          const item = node[key];
          if (typeof item !== 'object' || item === null) continue;
          const mark = item._placeholder;
          if (mark === undefined) {
            queue.push(item);
          } else {
            remaining--;
            if (mark !== true) {
              queue.push(item);
            } else if (key === '__proto__') {
              Object.defineProperty(node, key, { value: resolve(item, buffers), writable: true, enumerable: true, configurable: true });
            } else {
              node[key] = resolve(item, buffers);
            }
          }
        }
      }
    }
  } finally {
    queue.length = 0;
  }
}

const boundedQueue = [];

/**
 * The attachment a placeholder stands for.
 * @param {{ num: unknown }} placeholder
 * @param {any[]} buffers
 * @returns {any}
 */
function resolve(placeholder, buffers) {
  const num = placeholder.num;
  if (typeof num === 'number' && num >= 0 && num < buffers.length) return buffers[num];
  throw protocolError('illegal attachments', codes.ILLEGAL_PLACEHOLDER);
}

module.exports = { reconstruct, reconstructAssigning, reconstructBounded, placeholderBound };
