'use strict';

/**
 * Which connections the native fan-out may write to, and when.
 *
 * The fan-out writes finished websocket frames straight to a connection's
 * socket descriptor. That is only equivalent to socket.io's own path when:
 *  - the engine.io transport is `websocket` (polling has no socket of its own);
 *  - the socket is a plain net.Socket: a TLS socket's descriptor carries
 *    encrypted records, so `socket.encrypted` rules it out;
 *  - permessage-deflate was not negotiated: ws would set RSV1 and compress
 *    (ws `_extensions['permessage-deflate']`, engine.io `transport.perMessageDeflate`);
 *  - the websocket is open and its socket writable (not closing);
 *  - the descriptor is reachable: ws `WebSocket#_socket` (net.Socket) ->
 *    `_handle` (Node's TCPWrap) -> `fd` (a number >= 0 on Unix).
 * And a frame may only be written around the JS stack while nothing of that
 * stack is waiting to be written (see isWebSocketIdle / isEngineSocketIdle).
 * docs/fanout.md has the sources of each fact.
 */

/** ws Sender's state when it is not compressing or reading a Blob (ws/lib/sender.js DEFAULT). */
const SENDER_DEFAULT = 0;

/**
 * The descriptor of a ws WebSocket's socket, or why there is none to use.
 * @param {import('ws').WebSocket} ws a server-side ws WebSocket
 * @returns {{ fd: number, reason: null } | { fd: -1, reason: string }}
 */
function descriptorOfWebSocket(ws) {
  const socket = ws && ws._socket;
  if (!socket) return { fd: -1, reason: 'no socket' };
  // Closing (a close frame sent or received, or the socket ended): stock
  // refuses to send from here on, and nothing of ours may follow the close.
  if (ws.readyState !== 1 || !socket.writable) return { fd: -1, reason: 'closing' };
  if (socket.encrypted) return { fd: -1, reason: 'tls' };
  if (ws._extensions && ws._extensions['permessage-deflate']) return { fd: -1, reason: 'deflate' };
  const handle = socket._handle;
  const fd = handle && handle.fd;
  if (typeof fd !== 'number' || fd < 0) return { fd: -1, reason: 'no descriptor' };
  return { fd, reason: null };
}

/**
 * Whether nothing is waiting to be written to a ws WebSocket's socket: ws's
 * Sender queues nothing (it queues while compressing or reading a Blob) and
 * the net.Socket has no bytes buffered or in flight (`writableLength` counts
 * a write until its callback, so a write libuv has not finished counts too).
 * @param {import('ws').WebSocket} ws
 * @returns {boolean}
 */
function isWebSocketIdle(ws) {
  const socket = ws._socket;
  const sender = ws._sender;
  if (!socket || !sender) return false;
  return ws.readyState === 1 &&
    sender._state === SENDER_DEFAULT &&
    sender._queue.length === 0 &&
    sender._bufferedBytes === 0 &&
    socket.writableLength === 0 &&
    !socket.writableCorked;
}

/**
 * The descriptor behind an engine.io Socket (`socket.conn` of a socket.io
 * Socket), or why the fan-out must not use it.
 * @param {any} conn engine.io Socket
 * @returns {{ fd: number, reason: null } | { fd: -1, reason: string }}
 */
function descriptorOfEngineSocket(conn) {
  const transport = conn && conn.transport;
  if (!transport || transport.name !== 'websocket') return { fd: -1, reason: 'transport' };
  // Engine.IO protocol 3 (socket.io v2 clients, allowEIO3) puts a type byte in
  // front of every binary message; the fan-out frames protocol 4.
  if (conn.protocol !== 4) return { fd: -1, reason: 'eio3' };
  // engine.io sends binary as base64 text when the client asked for it (b64=1).
  if (transport.supportsBinary === false) return { fd: -1, reason: 'base64' };
  if (transport.perMessageDeflate) return { fd: -1, reason: 'deflate' };
  return descriptorOfWebSocket(transport.socket);
}

/**
 * Whether engine.io and ws have nothing queued for this connection, so a
 * frame written natively now lands after everything sent before it.
 * engine.io queues in `writeBuffer` while `transport.writable` is false (a
 * send is in flight until ws calls back, engine.io websocket transport
 * `_onSentLast`), and during an upgrade.
 * @param {any} conn engine.io Socket
 * @returns {boolean}
 */
function isEngineSocketIdle(conn) {
  return conn.readyState === 'open' &&
    !conn.upgrading &&
    conn.writeBuffer.length === 0 &&
    conn.transport.writable === true &&
    isWebSocketIdle(conn.transport.socket);
}

module.exports = {
  descriptorOfWebSocket,
  isWebSocketIdle,
  descriptorOfEngineSocket,
  isEngineSocketIdle,
};
