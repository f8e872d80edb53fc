'use strict';

/**
 * Helpers that build a stock socket.io-adapter Adapter and this package's
 * adapter side by side on fake namespaces, and snapshot their observable state.
 */

const { Adapter } = require('socket.io-adapter');
const { Encoder } = require('socket.io-parser');
const { createAdapter } = require('../../lib/adapters/create-adapter');

/**
 * @param {any} [opts] server opts
 * @returns {any} a fake Namespace with what an adapter reads
 */
function fakeNsp(opts = {}) {
  return { name: '/', server: { encoder: new Encoder(), opts }, sockets: new Map(), _ids: 0 };
}

/**
 * A fake socket that records what the adapter writes to it.
 *
 * @param {string} id
 * @param {any[]} log
 * @returns {any}
 */
function fakeSocket(id, log) {
  return {
    id,
    acks: new Map(),
    notifyOutgoingListeners(packet) { log.push(['notify', id, packet.id]); },
    client: { writeToEngine(encoded, opts) { log.push(['write', id, encoded, { ...opts, wsPreEncodedFrame: undefined }]); } },
  };
}

/**
 * @param {any} [opts] server opts
 * @returns {{ stock: any, ours: any, events: { stock: any[], ours: any[] } }}
 */
function makePair(opts) {
  const stock = new Adapter(fakeNsp(opts));
  const ours = new (createAdapter())(fakeNsp(opts));
  const events = { stock: [], ours: [] };
  for (const [name, a] of [['stock', stock], ['ours', ours]]) {
    for (const ev of ['create-room', 'join-room', 'leave-room', 'delete-room']) {
      a.on(ev, (...args) => events[name].push([ev, ...args]));
    }
  }
  return { stock, ours, events };
}

/**
 * @param {any} adapter
 * @returns {any} rooms, sids and their sizes as plain arrays, in iteration order
 */
function snapshot(adapter) {
  const rooms = [];
  for (const [room, members] of adapter.rooms) rooms.push([room, members.size, [...members]]);
  const sids = [];
  adapter.sids.forEach((set, id) => sids.push([id, set.size, [...set], [...adapter.socketRooms(id)]]));
  return { roomCount: adapter.rooms.size, sidCount: adapter.sids.size, rooms, sids };
}

module.exports = { fakeNsp, fakeSocket, makePair, snapshot };
