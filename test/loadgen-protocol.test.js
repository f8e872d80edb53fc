'use strict';

// Checks sio_loadgen's websocket and socket.io handling against a scripted
// server that does what real servers may do: split frame headers and
// payloads across TCP segments, pack many frames in one write, fragment a
// message with a control frame in between, use a 16-bit length, ping at both
// the websocket and the engine.io level, and finally close. A second script
// sends a duplicate, a gap and a foreign message, which the load generator
// must report. Uses the sio_loadgen built by CMake (npm run test:cpp or
// npm run bench:build); skipped if it is not there.

const { test } = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');

const loadgenPath = path.join(__dirname, '..', 'build-cmake', 'release', 'sio_loadgen');
const skip = fs.existsSync(loadgenPath) ? false : 'sio_loadgen not built (npm run bench:build)';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function frame(opcode, payload, fin = true) {
  const body = Buffer.from(payload);
  const head = body.length < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, body.length])
    : Buffer.from([(fin ? 0x80 : 0) | opcode, 126, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([head, body]);
}
const text = (s) => frame(0x1, s);
const event = (seq, pad = 'x') => text(`42["m",{"seq":${seq},"pad":"${pad}"}]`);

/** Reads the client's masked frames from a socket. */
function clientFrames(socket, onFrame) {
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const masked = (buf[1] & 0x80) !== 0;
      const len = buf[1] & 0x7f; // The client only sends short frames.
      const need = 2 + (masked ? 4 : 0) + len;
      if (buf.length < need) return;
      const mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, need));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      onFrame({ opcode: buf[0] & 0x0f, masked, payload: payload.toString() });
      buf = buf.subarray(need);
    }
  });
}

/**
 * A scripted server: answers the upgrade, opens engine.io, acknowledges the
 * namespace connect, then runs `script(socket, frames)` per client.
 */
async function scriptedServer(script) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let head = '';
    const onHead = (d) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)[1];
      const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      const frames = [];
      let waiter = null;
      clientFrames(socket, (f) => {
        frames.push(f);
        if (f.payload === '40') socket.write(text('40{"sid":"abc"}'));
        if (waiter) waiter();
      });
      // The open packet, one byte per segment: headers split everywhere.
      (async () => {
        for (const byte of text('0{"sid":"e1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}')) {
          socket.write(Buffer.from([byte]));
          await sleep(1);
        }
        while (!frames.some((f) => f.payload === '40')) await new Promise((r) => { waiter = r; });
        await sleep(20);
        await script(socket, frames, () => new Promise((r) => { waiter = r; }));
      })().catch((err) => socket.destroy(err));
    };
    socket.on('data', onHead);
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function startLoadgen(port, connections) {
  const proc = spawn(loadgenPath, ['--port', String(port), '--connections', String(connections),
    '--stall-ms', '3000', '--max-ms', '60000', '--connect-timeout-ms', '20000'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  let wake = () => {};
  readline.createInterface({ input: proc.stdout }).on('line', (l) => {
    lines.push(JSON.parse(l));
    wake();
  });
  const next = async (event) => {
    const deadline = Date.now() + 30000;
    for (;;) {
      const i = lines.findIndex((m) => m.event === event);
      if (i >= 0) return lines.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no ${event} from sio_loadgen`);
      await Promise.race([new Promise((r) => { wake = r; }), sleep(100)]);
    }
  };
  return { proc, next, send: (l) => proc.stdin.write(`${l}\n`) };
}

test('sio_loadgen handles split headers, packed and fragmented frames, pings and close', { skip, timeout: 60000 }, async () => {
  const server = await scriptedServer(async (socket, frames, nextFrame) => {
    // 0-9 packed into one write.
    socket.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => event(i))));
    // 10-19, each split at a different byte position, header included.
    for (let seq = 10; seq < 20; seq++) {
      const f = event(seq);
      const cut = 1 + ((seq * 3) % (f.length - 1));
      socket.write(f.subarray(0, cut));
      await sleep(2);
      socket.write(f.subarray(cut));
    }
    // 20 with a 16-bit length, split inside the extended length.
    const big = event(20, 'y'.repeat(200));
    socket.write(big.subarray(0, 3));
    await sleep(2);
    socket.write(big.subarray(3));
    // 21 fragmented in three parts, with a websocket ping in between.
    const msg = Buffer.from('42["m",{"seq":21,"pad":"fragmented"}]');
    socket.write(frame(0x1, msg.subarray(0, 5), false));
    socket.write(frame(0x9, 'hi'));
    socket.write(frame(0x0, msg.subarray(5, 12), false));
    await sleep(2);
    socket.write(frame(0x0, msg.subarray(12), true));
    // An engine.io ping and a noop, then 22-24 with a 16-bit frame among them.
    socket.write(Buffer.concat([text('2'), text('6'), event(22), event(23, 'z'.repeat(300)), event(24)]));
    while (!frames.some((f) => f.payload === '3')) await nextFrame();
  });
  const lg = startLoadgen(server.address().port, 3);
  try {
    const connected = await lg.next('connected');
    assert.equal(connected.connected, 3);
    lg.send('wait 25');
    const phase = await lg.next('phase');
    assert.equal(phase.stalled, false);
    assert.equal(phase.frames, 75);
    assert.equal(phase.complete, 3);
    assert.equal(phase.duplicates, 0);
    assert.equal(phase.missing, 0);
    assert.equal(phase.foreign, 0);
    assert.equal(phase.ok, true);
    assert.equal(phase.errors.protocol, 0);
    lg.send('quit');
    const final = await lg.next('final');
    assert.equal(final.pingsAnswered, 3);
  } finally {
    lg.proc.kill();
    server.close();
  }
});

test('sio_loadgen reports duplicates, gaps, foreign messages and server close', { skip, timeout: 60000 }, async () => {
  const server = await scriptedServer(async (socket) => {
    socket.write(Buffer.concat([event(0), event(1), event(1), event(3), text('42["other",{"seq":4}]'),
      frame(0x2, Buffer.from([1, 2, 3]))]));
    await sleep(50);
    socket.write(frame(0x8, Buffer.from([0x03, 0xe8])));
  });
  const lg = startLoadgen(server.address().port, 2);
  try {
    assert.equal((await lg.next('connected')).connected, 2);
    lg.send('wait 4');
    const phase = await lg.next('phase');
    assert.equal(phase.ok, false);
    assert.equal(phase.ordered, false);
    assert.equal(phase.duplicates, 2);
    assert.equal(phase.missing, 2);
    assert.equal(phase.foreign, 4);
    assert.equal(phase.complete, 0);
    // The close frames arrive right after; the clients count them.
    await sleep(200);
    lg.send('quit');
    const final = await lg.next('final');
    assert.equal(final.errors.serverClosed, 2);
    assert.equal(final.closed, 2);
  } finally {
    lg.proc.kill();
    server.close();
  }
});
