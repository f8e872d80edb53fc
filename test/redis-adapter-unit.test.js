'use strict';

/**
 * createRedisAdapter() argument, option and version checks (no Redis
 * needed), and, with a redis-server binary, that closing the socket.io
 * server closes every connection the adapter opened.
 */

const { describe, it } = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const { Server } = require('socket.io');
const { Encoder } = require('socket.io-parser');
const { createRedisAdapter } = require('../lib');
const { checkAdapterVersion, streamNameFor, streamsRead } = require('../lib/adapters/redis/create-redis-adapter');
const { redisStreamsAdapterClass } = require('../lib/adapters/redis/redis-streams-adapter');
const { NativeAdapter } = require('../lib/adapters/adapter');
const binding = require('../lib/binding');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { until } = require('./support/cluster');

const NATIVE = binding.native && binding.addon.registry != null;

/** A stand-in with node-redis's shape, never connected. */
function fakeNodeRedis() {
  return { sSubscribe() {}, duplicate() { throw new Error('not connected'); } };
}

describe('createRedisAdapter: checks', () => {
  it('refuses what is not a node-redis or ioredis client, with a code', () => {
    for (const bad of [undefined, null, {}, 'redis://127.0.0.1', { duplicate() {} }]) {
      assert.throws(() => createRedisAdapter(bad), { code: 'ERR_SOCKET_IO_NATIVE_REDIS_CLIENT' });
    }
  });

  it('refuses bad options, with a code', () => {
    const client = fakeNodeRedis();
    for (const opts of [null, 5, { maxLen: 0 }, { streamCount: 1.5 }, { streamName: '' }, { emitterKey: 3 }, { maxQueued: 0 }]) {
      assert.throws(() => createRedisAdapter(client, opts), { code: 'ERR_SOCKET_IO_NATIVE_REDIS_OPTIONS' });
    }
  });

  it('accepts the socket.io-adapter versions it was written against and no others', () => {
    checkAdapterVersion();
    checkAdapterVersion('2.5.4');
    checkAdapterVersion('2.6.0');
    for (const v of ['2.5.3', '2.4.0', '3.0.0', '1.1.2', 'garbage']) {
      assert.throws(() => checkAdapterVersion(v), { code: 'ERR_SOCKET_IO_NATIVE_REDIS_VERSION' });
    }
  });

  it('maps namespaces to streams as the official adapter does where its stream is read, and negative hashes to a stream that is', () => {
    assert.strictEqual(streamNameFor('/', { streamName: 's', streamCount: 1 }), 's');
    const { hashCode } = require('@socket.io/redis-streams-adapter/dist/util');
    let negative = 0;
    for (const nsp of ['/', '/chat', '/a-much-longer-namespace-name', '/ünï', '/notifications', '/dashboard', '/x1', '/x2', '/x3']) {
      for (const count of [2, 3, 4, 7]) {
        const official = hashCode(nsp) % count;
        const ours = streamNameFor(nsp, { streamName: 's', streamCount: count });
        const read = streamsRead({ streamName: 's', streamCount: count });
        // Every stream we write to is one official nodes read (s-0 .. s-<count-1>).
        assert.ok(read.slice(0, count).includes(ours), `${nsp} ${count}: ${ours}`);
        if (official >= 0) {
          assert.strictEqual(ours, `s-${official}`);
        } else {
          negative++;
          assert.strictEqual(ours, `s-${official + count}`);
          // What official nodes write for this namespace is read too.
          assert.ok(read.includes(`s-${official}`), `${nsp} ${count}: s-${official} is read`);
        }
      }
    }
    assert.ok(negative > 0, 'some names hash negative');
    assert.deepStrictEqual(streamsRead({ streamName: 's', streamCount: 1 }), ['s']);
    assert.deepStrictEqual(streamsRead({ streamName: 's', streamCount: 3 }), ['s-0', 's-1', 's-2', 's--1', 's--2']);
  });

  it('delivers locally through NativeAdapter\'s loop when the addon is loaded', { skip: !NATIVE && 'no native addon' }, () => {
    const Cls = redisStreamsAdapterClass(true);
    assert.strictEqual(Cls.prototype._deliver, NativeAdapter.prototype._deliver);
    assert.strictEqual(typeof Cls.prototype.nativeMemoryUsage, 'function');
    // Everything NativeAdapter's local broadcast can reach is there: its
    // methods, and the instance state its constructor sets up.
    for (const name of Object.getOwnPropertyNames(NativeAdapter.prototype)) {
      assert.strictEqual(typeof Cls.prototype[name], 'function', `method ${name}`);
    }
    const nsp = () => ({ name: '/', server: { encoder: new Encoder(), opts: {} }, sockets: new Map(), _ids: 0 });
    const cluster = {
      client: {}, opts: { channelPrefix: 'p', emitterKey: false }, subClient: new Promise(() => {}),
      readersReady: Promise.resolve(), streamNameFor: () => 's', release() {},
    };
    const ours = new Cls(nsp(), cluster);
    for (const key of Object.keys(new NativeAdapter(nsp()))) assert.ok(key in ours, `instance field ${key}`);
  });
});

describe('createRedisAdapter: leaves other adapters alone', () => {
  it('changes no method of socket.io-adapter\'s classes or of NativeAdapter', () => {
    const { Adapter, ClusterAdapter, ClusterAdapterWithHeartbeat } = require('socket.io-adapter');
    const snapshot = () => [Adapter, ClusterAdapter, ClusterAdapterWithHeartbeat, NativeAdapter].map((C) =>
      Object.getOwnPropertyNames(C.prototype).map((name) => [name, Object.getOwnPropertyDescriptor(C.prototype, name).value]));
    const before = snapshot();
    for (const native of NATIVE ? [true, false] : [false]) {
      const Cls = redisStreamsAdapterClass(native);
      const nsp = { name: '/', server: { encoder: new Encoder(), opts: {} }, sockets: new Map(), _ids: 0 };
      const cluster = {
        client: {}, opts: { channelPrefix: 'p', emitterKey: false }, subClient: new Promise(() => {}),
        readersReady: Promise.resolve(), streamNameFor: () => 's', release() {},
      };
      new Cls(nsp, cluster).close();
    }
    assert.deepStrictEqual(snapshot(), before);
  });
});

describe('createRedisAdapter: lifecycle', {
  skip: findRedisServer() === null && 'redis-server not found: install it (apt-get install redis-server) to run this test',
}, () => {
  for (const lib of ['redis', 'ioredis']) {
    it(`closing the server closes the connections the adapter opened (${lib})`, async () => {
      const redis = await startRedis();
      const client = lib === 'redis'
        ? require('redis').createClient({ url: redis.url })
        : new (require('ioredis'))(redis.url, { lazyConnect: true });
      client.on('error', () => {});
      const command = (...args) => (lib === 'redis' ? client.sendCommand(args) : client.call(...args));
      try {
        await client.connect();
        const count = async () => (await command('CLIENT', 'LIST')).trim().split('\n').length;
        const before = await count();
        const httpServer = http.createServer();
        const io = new Server(httpServer, { adapter: createRedisAdapter(client) });
        io.of('/other');
        await io.of('/').adapter.ready;
        await io.of('/other').adapter.ready;
        // One subscription connection and one stream reader.
        assert.strictEqual(await count(), before + 2);
        const numSub = async (channel) => Number((await command('PUBSUB', 'NUMSUB', channel))[1]);
        assert.strictEqual(await numSub('socket.io#/other#'), 1);
        // One namespace closing drops its own subscriptions only.
        io.of('/other').adapter.close();
        await until(async () => (await numSub('socket.io#/other#')) === 0, '/other unsubscribed');
        assert.strictEqual(await numSub('socket.io#/#'), 1);
        assert.strictEqual(await count(), before + 2);
        io.close();
        await until(async () => (await count()) === before, 'the adapter connections closed');
      } finally {
        await client.quit().catch(() => {});
        await redis.stop();
      }
    });
  }
});

describe('createRedisAdapter: what is read from Redis is checked', () => {
  const check = require('../lib/adapters/redis/redis-message-check');

  it('accepts the broadcast packets socket.io produces and refuses what socket.io-client rejects', () => {
    const { Decoder } = require('socket.io-parser');
    assert.ok(check.isBroadcastPacket({ type: 2, data: ['ev', 1, { a: [] }] }));
    assert.ok(check.isBroadcastPacket({ type: 2, data: ['ev'], nsp: '/x' }, '/x'));
    assert.ok(check.isBroadcastPacket({ type: 2, data: [3], id: 7 }));
    const refused = [
      null, 5, 'x', [], { type: 2 }, { type: 2, data: [] }, { type: 2, data: 'ev' }, { type: 5, data: ['ev'] },
      { type: 0, data: ['ev'] }, { type: 2, data: [{}] }, { type: 2, data: ['ev'], id: -1 }, { type: 2, data: ['ev'], id: 'x' },
      ...[...check.RESERVED_EVENTS].map((name) => ({ type: 2, data: [name] })),
    ];
    for (const packet of refused) assert.ok(!check.isBroadcastPacket(packet), JSON.stringify(packet));
    assert.ok(!check.isBroadcastPacket({ type: 2, data: ['ev'], nsp: '/y' }, '/x'));
    // The reserved list is socket.io-client's: every refused event name is one its decoder refuses.
    for (const name of check.RESERVED_EVENTS) assert.ok(!Decoder.isPayloadValid(2, [name]), name);
  });

  it('accepts broadcast options as they travel and refuses other shapes', () => {
    for (const opts of [undefined, {}, { rooms: [], except: [], flags: {} }, { rooms: ['a', 2], except: ['b'], flags: { volatile: true } }]) {
      assert.ok(check.isBroadcastOptions(opts), JSON.stringify(opts));
    }
    for (const opts of [null, 5, [], { rooms: 5 }, { rooms: 'abc' }, { rooms: [{}] }, { except: [null] }, { flags: 3 }]) {
      assert.ok(!check.isBroadcastOptions(opts), JSON.stringify(opts));
    }
  });
});
