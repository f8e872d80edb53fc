'use strict';

// The chat example end to end: its server (Express + socket.io with this
// package's adapter and parser) and its React client in real headless
// Chromium pages. Two users join a room, see each other typing, exchange
// messages confirmed by acks, one is cut off and reconnects by itself, and a
// third page with a forged token is turned away with a connect_error.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { NativeAdapter } = require('socket.io-native');
const binding = require('../lib/binding');

const CHROMIUM = '/usr/bin/chromium';
const WAIT = { timeout: 15000 };
const chromiumSkip = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: install Debian's chromium package (.ci/run does) to run the browser test`;

/** Headless Chromium with a fresh profile; closed (and its profile removed) after the test. */
async function launchBrowser(t) {
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      // Nothing the test needs; the on-device model service was seen
      // starting minutes into a run whose browser then would not close.
      '--disable-features=OptimizationGuideModelDownloading,OptimizationHintsFetching,OnDeviceModelService',
    ],
  });
  t.after(async () => {
    // A browser that does not shut down must not hold the test run: after
    // CLOSE_MS every process started with this profile is killed.
    const closed = await Promise.race([
      context.close().then(() => true, () => true),
      new Promise((resolve) => setTimeout(resolve, CLOSE_MS, false).unref()),
    ]);
    if (!closed) killProfileProcesses(profile);
    fs.rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

const CLOSE_MS = 15000;

/** SIGKILLs every process whose command line names `profile` (Chromium's --user-data-dir). */
function killProfileProcesses(profile) {
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue;  // gone meanwhile
    }
    if (!cmdline.includes(profile) || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Opens the chat as `name` in `room` and joins; resolves when the room shows. */
async function joinAs(context, url, name, room) {
  const page = await context.newPage();
  await page.goto(`${url}/?name=${encodeURIComponent(name)}&room=${encodeURIComponent(room)}`);
  await page.getByTestId('join').click();
  await page.getByTestId('members').getByText(name, { exact: true }).waitFor(WAIT);
  return page;
}

/** Types without sending (the typing indicator starts), then sends; resolves on the ack. */
async function say(page, text, { waitTyping } = {}) {
  await page.getByTestId('text').fill(text);
  if (waitTyping) await waitTyping();
  const delivered = page.getByTestId('state-delivered');
  const before = await delivered.count();
  await page.getByTestId('send').click();
  await page.getByTestId('message').filter({ hasText: text }).getByTestId('state-delivered').waitFor(WAIT);
  assert.strictEqual(await delivered.count(), before + 1);
}

test('two pages chat in a room with acks, typing and reconnection; a forged token is refused', { skip: chromiumSkip, timeout: 120000 }, async (t) => {
  const { start } = require('../examples/chat/server');
  const server = await start({ port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  const chat = server.io.of('/chat');
  assert.strictEqual(chat.adapter instanceof NativeAdapter, binding.native, 'the example runs on this package');

  const context = await launchBrowser(t);
  const alice = await joinAs(context, server.url, 'alice', 'release');
  const bob = await joinAs(context, server.url, 'bob', 'release');
  for (const page of [alice, bob]) {
    await page.getByTestId('members').getByText('alice', { exact: true }).waitFor(WAIT);
    await page.getByTestId('members').getByText('bob', { exact: true }).waitFor(WAIT);
  }

  // alice types: bob sees it; alice sends: the ack marks it delivered, bob gets it.
  await say(alice, 'hello bob', {
    waitTyping: () => bob.getByTestId('typing').filter({ hasText: 'alice is typing' }).waitFor(WAIT),
  });
  await bob.getByTestId('message').filter({ hasText: 'alicehello bob' }).waitFor(WAIT);
  await bob.getByTestId('typing').filter({ hasText: /^$/ }).waitFor(WAIT);

  // And back.
  await say(bob, 'hi alice', {
    waitTyping: () => alice.getByTestId('typing').filter({ hasText: 'bob is typing' }).waitFor(WAIT),
  });
  await alice.getByTestId('message').filter({ hasText: 'bobhi alice' }).waitFor(WAIT);

  // The server drops alice's connection: her client reconnects, joins again, and chats on.
  const aliceSocket = [...chat.sockets.values()].find((s) => s.data.name === 'alice');
  assert.ok(aliceSocket, 'alice is connected');
  aliceSocket.conn.close();
  await alice.getByTestId('status').filter({ hasText: 'reconnecting' }).waitFor(WAIT);
  await alice.getByTestId('status').filter({ hasText: /connected$/ }).waitFor(WAIT);
  await say(alice, 'back again');
  await bob.getByTestId('message').filter({ hasText: 'aliceback again' }).waitFor(WAIT);
  assert.strictEqual(await alice.getByTestId('message').count(), 3);
  assert.strictEqual(await bob.getByTestId('message').count(), 3);

  // A page with a forged token is refused: it shows the connect_error.
  const mallory = await context.newPage();
  await mallory.goto(`${server.url}/?name=mallory&room=release&token=eyJhbGciOiJIUzI1NiJ9.e30.forged`);
  await mallory.getByTestId('join').click();
  await mallory.getByTestId('error').filter({ hasText: 'connect_error: invalid token' }).waitFor(WAIT);
  await mallory.getByTestId('status').filter({ hasText: 'disconnected' }).waitFor(WAIT);
  assert.deepStrictEqual([...chat.sockets.values()].map((s) => s.data.name).sort(), ['alice', 'bob']);
  assert.strictEqual(await bob.getByTestId('members').getByText('mallory').count(), 0);
});

test('npm run example starts the chat server on the given port', { timeout: 60000 }, async (t) => {
  const root = path.join(__dirname, '..');
  const script = require('../package.json').scripts.example;
  assert.strictEqual(script, 'node examples/chat/server.js');
  const child = spawn(process.execPath, ['examples/chat/server.js'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill());
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${output}`)), 30000);
    const onData = (chunk) => {
      output += chunk;
      const match = /chat listening on (http:\/\/127\.0\.0\.1:\d+) \(native addon: (loaded|not loaded)\)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  const page = await fetch(`${url}/`);
  assert.strictEqual(page.status, 200);
  assert.match(await page.text(), /<script src="\/app\.js"><\/script>/);
  const app = await fetch(`${url}/app.js`);
  assert.strictEqual(app.status, 200);
  assert.match(app.headers.get('content-type'), /javascript/);
  assert.ok((await app.text()).length > 10000, 'the React bundle is served');
  const login = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'carol' }),
  });
  assert.strictEqual(login.status, 200);
  assert.match((await login.json()).token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
});
