'use strict';

/**
 * Seeded random values and msgpack messages for the adapter message
 * transcoder's differential test and benchmark: ordinary socket.io payloads,
 * payloads with every kind of key, number and string, and msgpack written
 * with encodings notepack.io never chooses (float32, non-minimal integers
 * and lengths, duplicate keys, ext types).
 */

/**
 * mulberry32: a small seeded generator, so that a failure reproduces.
 *
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['a', 'id', 'name', 'text', 'user', 'x', 'value', 'items', 'ts', 'room', 'data', 'ok', 'type',
  'nsp', 'num', '_placeholder', 'toJSON', 'constructor', 'hasOwnProperty', 'é', 'ключ', '名前', '😀', ''];
const ODD_KEYS = ['0', '1', '10', '4294967294', '4294967295', '01', '-1', '1.5', '__proto__', '\u0000', '"', '\\',
  '\n', '\ud800', '\udc00x', 'a\ud83d\ude00'];

/**
 * Doubles where formatting is hard: boundaries of the exponent form, the
 * extremes, float32 values, integers near 2^53.
 */
const SPECIAL_NUMBERS = [0, -0, 1, -1, 0.1, 0.2, 0.30000000000000004, 1 / 3, -2 / 3, 1e21, 1e21 - 65536, 999999999999999900000,
  1e-7, 1.0000000000000001e-7, 9.999999999999999e-8, 1e-6, 0.000001234, 1.5e-7, 5e-324, -5e-324,
  2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 2 ** 53, -(2 ** 53), 2 ** 53 - 1,
  2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 32 - 1, 123456789012345680000, 1.2345678901234567e-300, Math.PI, Math.E,
  NaN, Infinity, -Infinity, 100, 1e100, 4.35, 0.000001, 1e-5, 12345.6789e10, Math.fround(0.1), Math.fround(1e-7),
  Math.fround(3.4e38), Math.fround(1e-45)];

/**
 * @param {() => number} rand
 */
function makeGen(rand) {
  const int = (n) => Math.floor(rand() * n);
  const pick = (list) => list[int(list.length)];

  /** A random double from its bits: every exponent, subnormals, NaN payloads. */
  function bitsDouble() {
    const b = Buffer.alloc(8);
    for (let i = 0; i < 8; i++) b[i] = int(256);
    return b.readDoubleBE(0);
  }

  function number(odd) {
    switch (int(odd ? 9 : 5)) {
      case 0: return int(200) - 100;
      case 1: return int(2 ** 31) * (rand() < 0.5 ? -1 : 1);
      case 2: return Math.round((rand() - 0.5) * 1e6) / 100;
      case 3: return rand() * 10 ** (int(40) - 20);
      case 4: return int(2 ** 53) * (rand() < 0.5 ? -1 : 1);
      case 5: return pick(SPECIAL_NUMBERS);
      case 6: return bitsDouble();
      case 7: return Math.fround(bitsDouble());
      default: return (2 ** 53 + int(2 ** 20)) * (rand() < 0.5 ? -1 : 1);  // beyond 2^53: refused
    }
  }

  function string(odd) {
    const n = int(odd ? 12 : 24);
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = int(odd ? 12 : 8);
      if (r < 4) s += String.fromCharCode(0x20 + int(0x5f));
      else if (r === 4) s += pick(['é', 'ß', 'ж', '中', '文', '😀', '🎉', '\u2028', '\u2029', '\u00a0']);
      else if (r === 5) s += pick(['"', '\\', '/', '\n', '\t', '\r', '\b', '\f']);
      else if (r === 6) s += String.fromCharCode(int(0x20));
      else if (r === 7) s += String.fromCharCode(0x7f + int(0x800));
      else if (r === 8) s += String.fromCharCode(0xd800 + int(0x800));  // lone surrogate
      else if (r === 9) s += String.fromCodePoint(0x10000 + int(0x100000));
      else if (r === 10) s += '\ufeff';
      else s += String.fromCharCode(int(0x10000));
    }
    return s;
  }

  function key(odd) {
    if (odd && rand() < 0.2) return pick(ODD_KEYS);
    if (rand() < 0.6) return pick(WORDS);
    return string(false).slice(0, 10) || 'k';
  }

  /**
   * @param {number} depth
   * @param {boolean} odd every kind of value, not only what payloads usually hold
   * @param {number} binary probability of a Buffer
   */
  function value(depth, odd, binary) {
    const r = rand();
    if (depth > 0 && r < 0.3) {
      const n = int(6);
      if (rand() < 0.5) {
        const a = [];
        for (let i = 0; i < n; i++) a.push(value(depth - 1, odd, binary));
        return a;
      }
      const o = {};
      for (let i = 0; i < n; i++) {
        const k = key(odd);
        if (k === '__proto__') Object.defineProperty(o, k, { value: value(depth - 1, odd, binary), enumerable: true, configurable: true, writable: true });
        else o[k] = value(depth - 1, odd, binary);
      }
      return o;
    }
    if (r < 0.3 + binary) return Buffer.from(Array.from({ length: int(20) }, () => int(256)));
    const s = rand();
    if (s < 0.35) return string(odd);
    if (s < 0.75) return number(odd);
    if (s < 0.85) return rand() < 0.5;
    if (s < 0.92) return null;
    if (odd && s < 0.96) return pick([undefined, new Date(int(2 ** 40)), new Date(-int(2 ** 40))]);
    return string(false);
  }

  return { int, pick, number, string, key, value };
}

/**
 * A msgpack writer with the encodings notepack never chooses, for the
 * differential test (the message is decoded by notepack.decode either way).
 *
 * @param {() => number} rand
 */
function makeRawWriter(rand) {
  const int = (n) => Math.floor(rand() * n);
  const bytes = [];
  const be = (v, n) => {
    for (let i = n - 1; i >= 0; i--) bytes.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
  };
  const w = {
    bytes,
    str(s) {
      const b = Buffer.from(s, 'utf8');
      w.strBytes(b);
    },
    strBytes(b) {
      const n = b.length;
      const form = int(4);
      if (n < 32 && form === 0) bytes.push(0xa0 | n);
      else if (n < 256 && form <= 1) bytes.push(0xd9, n);
      else if (n < 65536 && form <= 2) { bytes.push(0xda); be(n, 2); } else { bytes.push(0xdb); be(n, 4); }
      for (const x of b) bytes.push(x);
    },
    num(v) {
      const r = int(5);
      if (Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) <= 2 ** 63 && r < 3) {
        const big = BigInt(v);
        if (big >= 0n && big < 128n && r === 0) bytes.push(Number(big));
        else if (big >= -32n && big < 0n && r === 0) bytes.push(Number(big & 0xffn));
        else if (big >= 0n && big < 2n ** 64n && r === 1) { bytes.push(0xcf); be(big, 8); } else if (big >= -(2n ** 63n) && big < 2n ** 63n) { bytes.push(0xd3); be(big & 0xffffffffffffffffn, 8); } else { bytes.push(0xcb); w.f64(v); }
        return;
      }
      if (r === 3 && Math.fround(v) === v || (Number.isNaN(v) && r === 3)) {
        bytes.push(0xca);
        const b = Buffer.alloc(4);
        b.writeFloatBE(v);
        for (const x of b) bytes.push(x);
        return;
      }
      bytes.push(0xcb);
      w.f64(v);
    },
    f64(v) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      for (const x of b) bytes.push(x);
    },
    container(isMap, n) {
      const form = int(3);
      if (n < 16 && form === 0) bytes.push((isMap ? 0x80 : 0x90) | n);
      else if (n < 65536 && form === 1) { bytes.push(isMap ? 0xde : 0xdc); be(n, 2); } else { bytes.push(isMap ? 0xdf : 0xdd); be(n, 4); }
    },
    bin(b) {
      const form = int(3);
      if (b.length < 256 && form === 0) bytes.push(0xc4, b.length);
      else if (b.length < 65536 && form === 1) { bytes.push(0xc5); be(b.length, 2); } else { bytes.push(0xc6); be(b.length, 4); }
      for (const x of b) bytes.push(x);
    },
    /** Any JS value, with random encodings; maps may repeat a key. */
    value(v) {
      if (v === null || v === undefined) bytes.push(0xc0);
      else if (v === true) bytes.push(0xc3);
      else if (v === false) bytes.push(0xc2);
      else if (typeof v === 'number') w.num(v);
      else if (typeof v === 'string') w.str(v);
      else if (Buffer.isBuffer(v)) w.bin(v);
      else if (v instanceof Date) bytes.push(0xd6, 0xff, 0, 0, 0, 1);
      else if (Array.isArray(v)) {
        w.container(false, v.length);
        for (const x of v) w.value(x);
      } else {
        const keys = Object.keys(v);
        const dup = keys.length > 0 && int(20) === 0;
        w.container(true, keys.length + (dup ? 1 : 0));
        for (const k of keys) {
          w.str(k);
          w.value(v[k]);
        }
        if (dup) {
          w.str(keys[0]);
          w.value(1);
        }
      }
    },
    buffer: () => Buffer.from(bytes),
  };
  return w;
}

module.exports = { prng, makeGen, makeRawWriter, SPECIAL_NUMBERS };
