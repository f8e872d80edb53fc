'use strict';

/**
 * The few Redis commands the Redis adapter sends, written once for both
 * client libraries it accepts: node-redis (`redis` 4 and later, camelCase
 * commands) and ioredis (lowercase commands). Every function takes the
 * client first and returns a Promise in node-redis's result shape.
 */

const debug = require('debug')('socket.io-native:redis');
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
 * The subscriptions of one ioredis connection, counted per holder.
 *
 * ioredis has one subscription per channel and connection: UNSUBSCRIBE ends
 * it for everybody on that connection. Several adapters share the
 * connection, and two of them can hold the same channel at once (a
 * namespace closed while its successor of the same name subscribes), so the
 * command is sent only by the first holder of a channel (SUBSCRIBE) and the
 * last (UNSUBSCRIBE). Commands on one connection run in the order they were
 * sent, so an UNSUBSCRIBE from the last holder followed by a SUBSCRIBE from
 * a new first holder leaves the channel subscribed. node-redis counts its
 * listeners per channel the same way by itself.
 *
 * @typedef {{ holders: Set<Function>, ready: Promise<any> }} Held
 * @typedef {{ channels: Map<string, Held>, sharded: Map<string, Held>, patterns: Map<string, Held> }} Hub
 */

/** @type {WeakMap<object, Hub>} */
const hubs = new WeakMap();

/**
 * Calls each holder of a channel; a holder that throws costs its own call
 * only (the adapter's handlers catch and count by themselves; this is the
 * last line before the client library's event emitter).
 *
 * @param {Held | undefined} held
 * @param {Buffer} payload
 * @param {string} channel
 */
function dispatch(held, payload, channel) {
  if (held === undefined) return;
  for (const listener of [...held.holders]) {
    try {
      listener(payload, channel);
    } catch (err) {
      debug('pub/sub listener failed: %s', err && err.name);
    }
  }
}

/**
 * @param {any} client an ioredis connection used for subscriptions only
 * @returns {Hub}
 */
function hubOf(client) {
  let hub = hubs.get(client);
  if (hub !== undefined) return hub;
  const h = { channels: new Map(), sharded: new Map(), patterns: new Map() };
  client.on('messageBuffer', (channel, payload) => {
    const name = channel.toString();
    dispatch(h.channels.get(name), payload, name);
  });
  client.on('smessageBuffer', (channel, payload) => {
    const name = channel.toString();
    dispatch(h.sharded.get(name), payload, name);
  });
  client.on('pmessageBuffer', (pattern, channel, payload) => {
    dispatch(h.patterns.get(pattern.toString()), payload, channel.toString());
  });
  hubs.set(client, h);
  return h;
}

/**
 * Adds a holder to `names` in `map`, sending `command` for the names nobody
 * held; resolves once every name is subscribed.
 *
 * @param {Map<string, Held>} map
 * @param {string[]} names
 * @param {Function} holder
 * @param {(names: string[]) => Promise<any>} command
 */
async function hold(map, names, holder, command) {
  const fresh = names.filter((name) => !map.has(name));
  const sent = fresh.length > 0 ? command(fresh) : null;
  for (const name of names) {
    let held = map.get(name);
    if (held === undefined) {
      held = { holders: new Set(), ready: /** @type {Promise<any>} */ (sent) };
      map.set(name, held);
    }
    held.holders.add(holder);
  }
  try {
    await Promise.all(names.map((name) => /** @type {Held} */ (map.get(name)).ready));
  } catch (err) {
    release(map, names, holder, () => Promise.resolve());
    throw err;
  }
}

/**
 * Removes a holder from `names`; sends `command` for those nobody holds any more.
 *
 * @param {Map<string, Held>} map
 * @param {string[]} names
 * @param {Function} holder
 * @param {(names: string[]) => Promise<any>} command
 * @returns {Promise<any>}
 */
function release(map, names, holder, command) {
  const gone = [];
  for (const name of names) {
    const held = map.get(name);
    if (held === undefined || !held.holders.delete(holder)) continue;
    if (held.holders.size === 0) {
      map.delete(name);
      gone.push(name);
    }
  }
  return gone.length > 0 ? command(gone) : Promise.resolve();
}

/**
 * SUBSCRIBE or SSUBSCRIBE; `listener` gets each payload as a Buffer. Each
 * call is one holder: undoing it never removes a channel another holder
 * still has on the same connection.
 *
 * @param {any} client a connection used for nothing else than subscriptions
 * @param {boolean} sharded
 * @param {string[]} channels
 * @param {(payload: Buffer, channel: string) => void} listener
 * @returns {Promise<() => Promise<void>>} a function that undoes the subscription
 */
async function subscribe(client, sharded, channels, listener) {
  if (isNodeRedis(client)) {
    // node-redis keys its listeners by function: a wrapper per call makes
    // each call its own holder even when the same listener is passed twice.
    const own = (payload, channel) => listener(payload, channel);
    const done = [];
    const undo = async () => {
      for (const channel of done.splice(0)) {
        if (sharded) await client.sUnsubscribe(channel, own, true);
        else await client.unsubscribe(channel, own, true);
      }
    };
    try {
      for (const channel of channels) {
        if (sharded) await client.sSubscribe(channel, own, true);
        else await client.subscribe(channel, own, true);
        done.push(channel);
      }
    } catch (err) {
      undo().catch(() => {});
      throw err;
    }
    return undo;
  }
  const hub = hubOf(client);
  const map = sharded ? hub.sharded : hub.channels;
  const holder = (payload, channel) => listener(payload, channel);
  await hold(map, channels, holder,
    (names) => (sharded ? client.ssubscribe(...names) : client.subscribe(...names)));
  return async () => {
    await release(map, channels, holder,
      (names) => (sharded ? client.sunsubscribe(...names) : client.unsubscribe(...names)));
  };
}

/**
 * PSUBSCRIBE; `listener` gets each payload as a Buffer and its channel.
 * Counted per holder, as {@link subscribe}.
 *
 * @param {any} client
 * @param {string} pattern
 * @param {(payload: Buffer, channel: string) => void} listener
 * @returns {Promise<() => Promise<void>>} a function that undoes the subscription
 */
async function psubscribe(client, pattern, listener) {
  if (isNodeRedis(client)) {
    const own = (payload, channel) => listener(payload, channel);
    await client.pSubscribe(pattern, own, true);
    return () => client.pUnsubscribe(pattern, own, true);
  }
  const hub = hubOf(client);
  const holder = (payload, channel) => listener(payload, channel);
  await hold(hub.patterns, [pattern], holder, (names) => client.psubscribe(...names));
  return async () => {
    await release(hub.patterns, [pattern], holder, (names) => client.punsubscribe(...names));
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
