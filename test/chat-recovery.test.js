'use strict';

// The chat example's protocol as a script speaks it (examples/chat/README.md:
// POST /api/login, namespace /chat, events join, message, typing, members),
// and its connection state recovery: a client whose connection the server
// dropped comes back in its room, gets the message sent while it was away,
// and the next one, without joining again. The same scenario runs on the
// example with socket.io's own adapter and parser and with this package's,
// and both give the same outcome.

const test = require('node:test');
const assert = require('node:assert');
const ioc = require('socket.io-client');
const { waitFor, until } = require('./support/e2e');
const { start } = require('../examples/chat/server');

/** POST /api/login {name} -> {token} */
async function login(url, name) {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  assert.strictEqual(res.status, 200);
  const { token } = await res.json();
  assert.strictEqual(typeof token, 'string');
  return token;
}

async function scenario(stock) {
  const server = await start({ port: 0, host: '127.0.0.1', stock });
  const clients = [];
  try {
    const chat = server.io.of('/chat');
    const connect = async (name) => {
      const client = ioc(`${server.url}/chat`, {
        auth: { token: await login(server.url, name) },
        transports: ['websocket'],
        reconnectionDelay: 50,
        reconnectionDelayMax: 50,
      });
      client.messages = [];
      client.members = [];
      client.on('message', (m) => client.messages.push(`${m.from}: ${m.text}`));
      client.on('members', (m) => client.members.push(m.members.join(',')));
      clients.push(client);
      await waitFor(client, 'connect');
      return client;
    };
    const alice = await connect('alice');
    const bob = await connect('bob');
    const joined = await alice.emitWithAck('join', { room: 'release' });
    assert.deepStrictEqual(joined, { ok: true, room: 'release', name: 'alice', members: ['alice'] });
    await bob.emitWithAck('join', { room: 'release' });
    const first = await bob.emitWithAck('message', { text: 'before' });
    assert.strictEqual(first.ok, true);
    await until(() => alice.messages.length === 1, 'alice got the first message');

    // The server drops alice's connection (not a disconnect she asked for).
    const serverSide = [...chat.sockets.values()].find((s) => s.data.name === 'alice');
    const gone = waitFor(serverSide, 'disconnect');
    serverSide.conn.close();
    const [reason] = await gone;
    // While she is away, bob writes.
    assert.strictEqual((await bob.emitWithAck('message', { text: 'while away' })).ok, true);
    await waitFor(alice, 'connect');
    const recovered = alice.recovered;
    // She did not join again: the room is hers still.
    assert.strictEqual((await bob.emitWithAck('message', { text: 'after' })).ok, true);
    await until(() => alice.messages.length >= 3 && bob.members.length >= 2, 'alice got 3 messages, bob 2 member lists');
    const aliceBack = [...chat.sockets.values()].find((s) => s.data.name === 'alice');
    return {
      reason,
      recovered,
      sameId: aliceBack.id === serverSide.id,
      rooms: [...aliceBack.rooms].filter((r) => r !== aliceBack.id),
      aliceGot: alice.messages,
      bobSawMembers: bob.members,
    };
  } finally {
    for (const c of clients) c.disconnect();
    await server.close();
  }
}

test('the chat example: a dropped client recovers its room and missed messages, as on stock', { timeout: 60000 }, async () => {
  const stock = await scenario(true);
  const ours = await scenario(false);
  assert.deepStrictEqual(ours, stock);
  assert.deepStrictEqual(stock, {
    reason: 'forced close',
    recovered: true,
    sameId: true,
    rooms: ['release'],
    aliceGot: ['bob: before', 'bob: while away', 'bob: after'],
    // (bob's own join answers with the members in its ack) alice left, alice is back.
    bobSawMembers: ['bob', 'alice,bob'],
  });
});
