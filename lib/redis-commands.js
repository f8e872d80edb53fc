'use strict';

/**
 * The few Redis commands the Redis adapter sends, written once for both
 * client libraries it accepts: node-redis (`redis` 4 and later, camelCase
 * commands) and ioredis (lowercase commands). Every function takes the
 * client first and returns a Promise in node-redis's result shape.
 */

const { redisError } = require('./redis-errors');

/**
 * Whether `client` is a node-redis client (v4 or later) rather than ioredis.
 *
 * @param {any} client
 * @returns {boolean}
 */
function isNodeRedis(client) {
  return typeof client.sSubscribe === 'function';
}

/**
 * Checks that `client` is a node-redis (v4+) or ioredis (v5+) client.
 *
 * @param {any} client
 * @param {string} what the argument's name, for the error message
 */
function checkClient(client, what) {
  const ok = client != null && typeof client === 'object' &&
    typeof client.duplicate === 'function' &&
    (isNodeRedis(client) || (typeof client.xadd === 'function' && typeof client.ssubscribe === 'function'));
  if (!ok) {
    throw redisError(`${what} must be a node-redis (redis >= 4) or ioredis (>= 5) client`,
      'ERR_SOCKET_IO_NATIVE_REDIS_CLIENT');
  }
}

/**
 * Whether the client is connected and would send a command right now
 * (instead of queueing it until it reconnects).
 *
 * @param {any} client
 * @returns {boolean}
 */
function isReady(client) {
  if (isNodeRedis(client)) return client.isReady === true;
  return client.status === 'ready';
}

/**
 * A new connection with the same options, connected. Its errors are
 * swallowed here: the client reconnects by itself, and the commands that
 * fail are reported where they are sent.
 *
 * @param {any} client
 * @param {(err: Error) => void} onError
 * @returns {Promise<any>}
 */
async function duplicate(client, onError) {
  const copy = client.duplicate();
  copy.on('error', onError);
  if (isNodeRedis(client) || (copy.options && copy.options.lazyConnect)) await copy.connect();
  return copy;
}

/**
 * Closes a connection made by {@link duplicate}, without waiting.
 *
 * @param {any} client
 */
function close(client) {
  try {
    if (isNodeRedis(client)) {
      if (typeof client.destroy === 'function') client.destroy();
      else client.disconnect();
    } else {
      client.disconnect();
    }
  } catch (_) {
    // Already closed.
  }
}

/**
 * XREAD BLOCK on one stream.
 *
 * @param {any} client
 * @param {string} stream
 * @param {string} offset
 * @param {number} count
 * @param {number} blockMs
 * @returns {Promise<{ id: string, message: Record<string, string> }[] | null>}
 */
async function xread(client, stream, offset, count, blockMs) {
  if (isNodeRedis(client)) {
    const res = await client.xRead([{ key: stream, id: offset }], { COUNT: count, BLOCK: blockMs });
    return res ? res[0].messages : null;
  }
  const res = await client.xread('BLOCK', blockMs, 'COUNT', count, 'STREAMS', stream, offset);
  return res ? res[0][1].map(entryFromArray) : null;
}

/**
 * XRANGE, bounded by `count` entries.
 *
 * @param {any} client
 * @param {string} stream
 * @param {string} start
 * @param {string} end
 * @param {number} count
 * @returns {Promise<{ id: string, message: Record<string, string> }[]>}
 */
async function xrange(client, stream, start, end, count) {
  if (isNodeRedis(client)) return client.xRange(stream, start, end, { COUNT: count });
  const res = await client.xrange(stream, start, end, 'COUNT', count);
  return res.map(entryFromArray);
}

/**
 * XADD with an approximate MAXLEN trim.
 *
 * @param {any} client
 * @param {string} stream
 * @param {Record<string, string>} fields
 * @param {number} maxLen
 * @returns {Promise<string>} the entry id
 */
function xadd(client, stream, fields, maxLen) {
  if (isNodeRedis(client)) {
    return client.xAdd(stream, '*', fields, {
      TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxLen },
    });
  }
  const args = [stream, 'MAXLEN', '~', maxLen, '*'];
  for (const key of Object.keys(fields)) args.push(key, fields[key]);
  return client.xadd(...args);
}

/**
 * SET with an expiry in milliseconds.
 *
 * @param {any} client
 * @param {string} key
 * @param {string} value
 * @param {number} ttlMs
 * @returns {Promise<any>}
 */
function setPx(client, key, value, ttlMs) {
  if (isNodeRedis(client)) return client.set(key, value, { PX: ttlMs });
  return client.set(key, value, 'PX', ttlMs);
}

/**
 * GET then DEL in one transaction (GETDEL needs Redis 6.2).
 *
 * @param {any} client
 * @param {string} key
 * @returns {Promise<string | null>}
 */
async function getDel(client, key) {
  const res = await client.multi().get(key).del(key).exec();
  if (isNodeRedis(client)) return res[0];
  return res[0][1];
}

/**
 * PUBLISH or SPUBLISH.
 *
 * @param {any} client
 * @param {boolean} sharded
 * @param {string} channel
 * @param {Buffer | string} payload
 * @returns {Promise<any>}
 */
function publish(client, sharded, channel, payload) {
  if (!sharded) return client.publish(channel, payload);
  return isNodeRedis(client) ? client.sPublish(channel, payload) : client.spublish(channel, payload);
}

/**
 * SUBSCRIBE or SSUBSCRIBE; `listener` gets each payload as a Buffer.
 *
 * @param {any} client a connection used for nothing else than subscriptions
 * @param {boolean} sharded
 * @param {string[]} channels
 * @param {(payload: Buffer, channel: string) => void} listener
 * @returns {Promise<() => Promise<void>>} a function that undoes the subscription
 */
async function subscribe(client, sharded, channels, listener) {
  if (isNodeRedis(client)) {
    for (const channel of channels) {
      if (sharded) await client.sSubscribe(channel, listener, true);
      else await client.subscribe(channel, listener, true);
    }
    return async () => {
      for (const channel of channels) {
        if (sharded) await client.sUnsubscribe(channel, listener, true);
        else await client.unsubscribe(channel, listener, true);
      }
    };
  }
  const wanted = new Set(channels);
  const event = sharded ? 'smessageBuffer' : 'messageBuffer';
  const onMessage = (channel, payload) => {
    const name = channel.toString();
    if (wanted.has(name)) listener(payload, name);
  };
  client.on(event, onMessage);
  await (sharded ? client.ssubscribe(...channels) : client.subscribe(...channels));
  return async () => {
    client.off(event, onMessage);
    await (sharded ? client.sunsubscribe(...channels) : client.unsubscribe(...channels));
  };
}

/**
 * PSUBSCRIBE; `listener` gets each payload as a Buffer and its channel.
 *
 * @param {any} client
 * @param {string} pattern
 * @param {(payload: Buffer, channel: string) => void} listener
 * @returns {Promise<() => Promise<void>>} a function that undoes the subscription
 */
async function psubscribe(client, pattern, listener) {
  if (isNodeRedis(client)) {
    await client.pSubscribe(pattern, listener, true);
    return () => client.pUnsubscribe(pattern, listener, true);
  }
  const onMessage = (pat, channel, payload) => {
    if (pat.toString() === pattern) listener(payload, channel.toString());
  };
  client.on('pmessageBuffer', onMessage);
  await client.psubscribe(pattern);
  return async () => {
    client.off('pmessageBuffer', onMessage);
    await client.punsubscribe(pattern);
  };
}

/**
 * How many connections subscribe to `channel` (PUBSUB NUMSUB or SHARDNUMSUB),
 * summed over the masters of a cluster client.
 *
 * @param {any} client
 * @param {boolean} sharded
 * @param {string} channel
 * @returns {Promise<number>}
 */
async function numSub(client, sharded, channel) {
  const sub = sharded ? 'SHARDNUMSUB' : 'NUMSUB';
  const parse = (res) => parseInt(res[1], 10);
  if (isNodeRedis(client)) {
    if (Array.isArray(client.masters)) {
      const counts = await Promise.all(client.masters.map((node) =>
        node.client.sendCommand(['PUBSUB', sub, channel]).then(parse)));
      return counts.reduce((a, b) => a + b, 0);
    }
    return parse(await client.sendCommand(['PUBSUB', sub, channel]));
  }
  if (typeof client.nodes === 'function' && client.isCluster) {
    const counts = await Promise.all(client.nodes('master').map((node) =>
      node.call('PUBSUB', sub, channel).then(parse)));
    return counts.reduce((a, b) => a + b, 0);
  }
  return parse(await client.call('PUBSUB', sub, channel));
}

/**
 * ioredis returns stream entries as [id, [field, value, ...]].
 *
 * @param {[string, string[]]} entry
 * @returns {{ id: string, message: Record<string, string> }}
 */
function entryFromArray(entry) {
  const fields = entry[1];
  /** @type {Record<string, string>} */
  const message = {};
  for (let i = 0; i + 1 < fields.length; i += 2) message[fields[i]] = fields[i + 1];
  return { id: entry[0], message };
}

module.exports = {
  isNodeRedis,
  checkClient,
  isReady,
  duplicate,
  close,
  xread,
  xrange,
  xadd,
  setPx,
  getDel,
  publish,
  subscribe,
  psubscribe,
  numSub,
};
