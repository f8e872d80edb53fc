'use strict';

// What DEBUG prints. The namespaces that `DEBUG=socket.io-native:*` enables
// say what happens (packets decoded and encoded, by type and size) but never
// what packets carry: a client connects with an auth token and emits a
// secret that the server broadcasts back, and neither appears in the debug
// output. Only socket.io-native:payload prints contents, only when DEBUG
// names it in full (a wildcard does not enable it), and truncated.

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PAYLOAD_LIMIT, truncate } = require('../lib/payload-debug');

const root = path.join(__dirname, '..');
const child = path.join(__dirname, 'support', 'debug-child.js');

// Longer than the payload limit, so that truncation shows; both unique.
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.' + 'tok3n'.repeat(60) + '.sig';
const SECRET = 'the-secret-is-7f3a9c';

/** Runs the child with `DEBUG`, returns what the client got and the debug output. */
function runChild(debugValue) {
  const env = { ...process.env, DEBUG: debugValue, DEBUG_COLORS: '0' };
  delete env.DEBUG_DEPTH;
  const result = spawnSync(process.execPath, [child, TOKEN, SECRET], { cwd: root, env, encoding: 'utf8', timeout: 30000 });
  assert.strictEqual(result.error, undefined, String(result.error));
  assert.strictEqual(result.status, 0, `child failed:\n${result.stdout}\n${result.stderr}`);
  const outcome = JSON.parse(result.stdout.trim().split('\n').pop());
  assert.deepStrictEqual(outcome.received, [SECRET], 'the client got the broadcast');
  assert.deepStrictEqual(outcome.reply, { echoed: SECRET }, 'and the ack');
  return { native: outcome.native, log: result.stderr };
}

/** Whether payload logging is on for a DEBUG value, as a fresh process sees it. */
function payloadLoggingWith(debugValue) {
  const result = spawnSync(process.execPath, ['-p', 'require("./lib/payload-debug").payloadLogging'], {
    cwd: root,
    env: { ...process.env, DEBUG: debugValue },
    encoding: 'utf8',
    timeout: 30000,
  });
  assert.strictEqual(result.status, 0, result.stderr);
  return result.stdout.trim() === 'true';
}

test('DEBUG=socket.io-native:* prints neither the auth token nor the message', () => {
  const { native, log } = runChild('socket.io-native:*');
  assert.match(log, /socket\.io-native:binding native addon (loaded|not loaded)/, 'the namespaces print');
  if (native) {
    // The parser namespace is on and says what went by, without contents.
    assert.match(log, /socket\.io-native:parser decoded packet type 0, namespace \/, \d+ characters/);
    assert.match(log, /socket\.io-native:parser encoded packet type 2, namespace \/, \d+ characters/);
  }
  assert.ok(!log.includes(SECRET), `the secret is in the debug output:\n${log}`);
  // Not even a piece of the token: its shortest distinctive part.
  assert.ok(!log.includes('tok3ntok3n'), `the token is in the debug output:\n${log}`);
  assert.ok(!log.includes('socket.io-native:payload'), 'the payload namespace stays off under a wildcard');
});

test('DEBUG=* does not turn the payload namespace on either', () => {
  assert.strictEqual(payloadLoggingWith('*'), false);
  assert.strictEqual(payloadLoggingWith('socket.io-native:*'), false);
  assert.strictEqual(payloadLoggingWith('socket.io-native:pay*'), false);
  assert.strictEqual(payloadLoggingWith('socket.io-native:payload'), true);
  assert.strictEqual(payloadLoggingWith('express:*, socket.io-native:payload'), true);
  // debug's own exclusion still wins.
  assert.strictEqual(payloadLoggingWith('socket.io-native:payload,-socket.io-native:payload'), false);
});

test('socket.io-native:payload, named in full, prints packets truncated', () => {
  const { native, log } = runChild('socket.io-native:*,socket.io-native:payload');
  if (!native) {
    // Without the addon the package hands socket.io its own parser, which
    // logs under socket.io-parser; nothing of ours sees a packet.
    assert.ok(!log.includes('socket.io-native:payload'), `payload lines without our parser:\n${log}`);
    assert.ok(!log.includes(SECRET) && !log.includes('tok3ntok3n'));
    return;
  }
  const lines = log.split('\n').filter((line) => line.includes('socket.io-native:payload'));
  // The CONNECT packet with the token: cut to the limit, the rest counted.
  const connect = lines.find((line) => line.includes('decoded 0{"token"'));
  assert.ok(connect, `no decoded CONNECT line:\n${lines.join('\n')}`);
  assert.ok(!connect.includes(TOKEN), 'the token is truncated');
  const text = `0{"token":"${TOKEN}"}`;
  assert.ok(connect.includes(text.slice(0, PAYLOAD_LIMIT)), connect);
  assert.ok(connect.includes(`(${text.length - PAYLOAD_LIMIT} more characters)`), connect);
  // The short message appears whole, decoded and encoded.
  assert.ok(lines.some((line) => line.includes(`decoded 2`) && line.includes(SECRET)), lines.join('\n'));
  assert.ok(lines.some((line) => line.includes(`encoded 2["said","${SECRET}"]`)), lines.join('\n'));
  assert.ok(!log.includes(TOKEN), 'the full token appears nowhere');
});

test('truncate() keeps short text and cuts long text to the limit', () => {
  assert.strictEqual(truncate('abc'), 'abc');
  const exact = 'x'.repeat(PAYLOAD_LIMIT);
  assert.strictEqual(truncate(exact), exact);
  assert.strictEqual(truncate(exact + 'yz'), `${exact}... (2 more characters)`);
});
