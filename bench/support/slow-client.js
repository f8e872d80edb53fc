'use strict';

/**
 * Clients of the slow-reader benchmark, run as a child process: raw TCP
 * sockets on loopback that do the websocket handshake, join socket.io's "/"
 * and check that every message arrives whole, byte for byte, and in order
 * (bench/support/slow-payload.js). Some of them stop reading their socket
 * for a while (socket.pause(): once Node's small read buffer is full it
 * stops reading the TCP socket, whose receive window then closes), as a
 * client on a slow link or a busy device does.
 *
 * Commands, one JSON object per line on stdin:
 *   { cmd: 'connect', port, count, messages, size, pauseAt: number[], pauseMs }
 *       pauseAt[i]: the client i stops reading once it received that many
 *       messages (0: when 'start' comes), or -1 for never.
 *   { cmd: 'start' }  the broadcasts begin (clients with pauseAt 0 pause)
 *   { cmd: 'report' }
 *   { cmd: 'quit' }
 * Replies, JSON lines on stdout: joined, started, ready (every client that
 * never pauses has every message), done (every client has every message),
 * report.
 */

const crypto = require('node:crypto');
const net = require('node:net');
const readline = require('node:readline');
const { expectedPayload } = require('./slow-payload');

function reply(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** A masked client-to-server text frame. */
function clientFrame(text) {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('client frames here are short');
  const mask = crypto.randomBytes(4);
  const out = Buffer.allocUnsafe(6 + payload.length);
  out[0] = 0x81;
  out[1] = 0x80 | payload.length;
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3];
  return out;
}

class Expected {
  constructor(size) {
    this.size = size;
    /** @type {Map<number, Buffer>} */
    this.cache = new Map();
  }

  get(seq) {
    let b = this.cache.get(seq);
    if (b === undefined) {
      b = expectedPayload(seq, this.size);
      this.cache.set(seq, b);
    }
    return b;
  }
}

let run = null;

class Client {
  constructor(index, port, pauseAt) {
    this.index = index;
    this.pauseAt = pauseAt;
    this.next = 0;          // seq of the next message expected
    this.bad = 0;           // frames that were not the expected message
    this.firstBad = null;
    this.closed = false;
    this.paused = false;
    this.complete = false;
    this.chunks = [];       // bytes not parsed yet
    this.buffered = 0;
    this.joined = false;
    const key = crypto.randomBytes(16).toString('base64');
    this.socket = net.connect(port, '127.0.0.1', () => {
      this.socket.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.upgraded = false;
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', (err) => this.onClose(err));
    this.socket.on('close', () => this.onClose(null));
  }

  onClose(err) {
    if (this.closed) return;
    this.closed = true;
    if (err && !this.complete && this.firstBad === null) this.firstBad = `socket: ${err.code || err.message}`;
    run.progress();
  }

  onData(d) {
    this.chunks.push(d);
    this.buffered += d.length;
    if (!this.upgraded) {
      const all = Buffer.concat(this.chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!all.subarray(0, 12).toString().includes('101')) {
        this.firstBad = `handshake: ${all.subarray(0, 40).toString()}`;
        this.socket.destroy();
        return;
      }
      this.upgraded = true;
      this.chunks = [all.subarray(end + 4)];
      this.buffered = this.chunks[0].length;
    }
    this.parse();
  }

  parse() {
    for (;;) {
      if (this.buffered < 2) return;
      let head = this.chunks[0];
      if (head.length < 14 && this.chunks.length > 1) {
        head = Buffer.concat(this.chunks);
        this.chunks = [head];
      }
      const opcode = head[0] & 0x0f;
      let len = head[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (head.length < 4) return;
        len = head.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (head.length < 10) return;
        len = Number(head.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffered < offset + len) return;
      let frame;
      if (head.length >= offset + len) {
        frame = head.subarray(offset, offset + len);
        const rest = head.subarray(offset + len);
        if (rest.length === 0) this.chunks.shift();
        else this.chunks[0] = rest;
      } else {
        const all = Buffer.concat(this.chunks);
        frame = all.subarray(offset, offset + len);
        const rest = all.subarray(offset + len);
        this.chunks = rest.length === 0 ? [] : [rest];
      }
      this.buffered -= offset + len;
      if (opcode === 0x1) this.onText(frame);
      else if (opcode === 0x8) this.socket.end();
      else if (opcode !== 0x9 && opcode !== 0xa) this.fail(`opcode ${opcode}`);
    }
  }

  fail(what) {
    this.bad++;
    if (this.firstBad === null) this.firstBad = `message ${this.next}: ${what}`;
  }

  onText(payload) {
    if (payload.length === 1 && payload[0] === 0x32) {  // engine.io ping
      this.socket.write(clientFrame('3'));
      return;
    }
    if (!this.joined) {
      if (payload[0] === 0x30) {  // engine.io open: join "/"
        this.socket.write(clientFrame('40'));
      } else if (payload[0] === 0x34 && payload[1] === 0x30) {
        this.joined = true;
        run.onJoined();
      }
      return;
    }
    if (this.next >= run.messages) {
      this.fail(`an extra frame of ${payload.length} bytes`);
      return;
    }
    const expected = run.expected.get(this.next);
    if (!payload.equals(expected)) {
      this.fail(`got ${payload.length} bytes (${payload.subarray(0, 24).toString('latin1')}...), ` +
        `expected ${expected.length}`);
      return;
    }
    this.next++;
    if (this.pauseAt > 0 && this.next === this.pauseAt) this.pause();
    if (this.next === run.messages && this.bad === 0) {
      this.complete = true;
      run.progress();
    }
  }

  pause() {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
    setTimeout(() => this.socket.resume(), run.pauseMs);
  }
}

class Run {
  constructor(m) {
    this.messages = m.messages;
    this.expected = new Expected(m.size);
    this.pauseMs = m.pauseMs;
    this.joined = 0;
    this.started = false;
    this.readySent = false;
    this.doneSent = false;
    this.clients = [];
    for (let i = 0; i < m.count; i++) this.clients.push(new Client(i, m.port, m.pauseAt[i] ?? -1));
  }

  onJoined() {
    if (++this.joined === this.clients.length) reply({ event: 'joined', clients: this.joined });
  }

  start() {
    this.started = true;
    for (const c of this.clients) if (c.pauseAt === 0) c.pause();
    reply({ event: 'started' });
    this.progress();
  }

  progress() {
    if (!this.started) return;
    const settled = (c) => c.complete || c.closed || c.bad > 0;
    if (!this.readySent && this.clients.every((c) => c.pauseAt >= 0 || settled(c))) {
      this.readySent = true;
      reply({ event: 'ready' });
    }
    if (!this.doneSent && this.clients.every(settled)) {
      this.doneSent = true;
      reply({ event: 'done' });
    }
  }

  report() {
    let complete = 0;
    let frames = 0;
    let bad = 0;
    let closed = 0;
    let missing = 0;
    const errors = [];
    for (const c of this.clients) {
      if (c.complete) complete++;
      frames += c.next;
      bad += c.bad;
      missing += this.messages - c.next;
      if (c.closed && !c.complete) closed++;
      if (c.firstBad !== null && errors.length < 5) errors.push(`client ${c.index}: ${c.firstBad}`);
    }
    reply({ event: 'report', clients: this.clients.length, complete, frames, missing, bad, closed, errors });
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const m = line.trim() === 'quit' ? { cmd: 'quit' } : JSON.parse(line);
  if (m.cmd === 'connect') run = new Run(m);
  else if (m.cmd === 'start') run.start();
  else if (m.cmd === 'report') run.report();
  else if (m.cmd === 'quit') process.exit(0);
}).on('close', () => process.exit(0));
