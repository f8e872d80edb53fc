'use strict';

/**
 * Signed tokens in the JSON Web Token compact form (HS256), made and checked
 * with node:crypto alone: `header.payload.signature`, each base64url.
 */

const crypto = require('node:crypto');

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** @param {string | Buffer} input */
function base64url(input) {
  return Buffer.from(input).toString('base64url');
}

/**
 * @param {string} data
 * @param {string | Buffer} secret
 * @returns {Buffer}
 */
function hmac(data, secret) {
  return crypto.createHmac('sha256', secret).update(data).digest();
}

/**
 * Makes a token for `claims`, valid for `ttlSeconds`.
 *
 * @param {Record<string, unknown>} claims
 * @param {string | Buffer} secret
 * @param {{ ttlSeconds?: number, now?: number }} [options]
 * @returns {string}
 */
function signToken(claims, secret, options = {}) {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const payload = base64url(JSON.stringify({ ...claims, iat, exp: iat + (options.ttlSeconds ?? 3600) }));
  const body = `${HEADER}.${payload}`;
  return `${body}.${hmac(body, secret).toString('base64url')}`;
}

/**
 * Checks a token's signature, algorithm and expiry.
 *
 * @param {unknown} token
 * @param {string | Buffer} secret
 * @param {{ now?: number }} [options]
 * @returns {Record<string, any>} the claims
 * @throws {Error} with `code` ERR_INVALID_TOKEN or ERR_TOKEN_EXPIRED
 */
function verifyToken(token, secret, options = {}) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3 || parts[0] !== HEADER) throw tokenError('invalid token', 'ERR_INVALID_TOKEN');
  const expected = hmac(`${parts[0]}.${parts[1]}`, secret);
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw tokenError('invalid token', 'ERR_INVALID_TOKEN');
  }
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw tokenError('invalid token', 'ERR_INVALID_TOKEN');
  }
  if (claims === null || typeof claims !== 'object') throw tokenError('invalid token', 'ERR_INVALID_TOKEN');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw tokenError('token expired', 'ERR_TOKEN_EXPIRED');
  return claims;
}

/**
 * @param {string} message
 * @param {string} code
 */
function tokenError(message, code) {
  const err = new Error(message);
  err.code = code;
  return err;
}

module.exports = { signToken, verifyToken };
