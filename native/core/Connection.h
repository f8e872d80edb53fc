#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "FrameRef.h"

namespace sio {

// One registered websocket connection as the fan-out engine sees it.
struct Connection {
  // Our own duplicate of the connection's socket descriptor. Node owns the
  // original and may close it at any time; the number is then free for the
  // OS to hand to the next accepted socket. A dup refers to the same open
  // socket for as long as we hold it, so bytes queued for this connection can
  // only ever reach this connection's peer, never a newcomer that happens to
  // get the same number. -1 while the slot is free.
  int fd = -1;
  // Full id (slot and generation) of the current occupant of the slot.
  std::uint32_t id = 0;
  // Generation of the slot, bumped on every unregister, so that a stale id
  // held by JS after unregister stops matching the slot (see ConnectionTable).
  std::uint32_t generation = 0;
  // Set while JS has bytes of its own in flight for this connection (a
  // remainder we handed over, or anything the standard path wrote): writing
  // around them would reorder the stream, so broadcasts go to JS until JS
  // says the connection drained.
  bool busy = false;
  // Whether the connection is on the fan-out's list of connections to flush.
  bool dirty = false;
  // The JS turn (FanOut::nextTurn) in which frames were last queued for it,
  // and the index in `queue` from which that turn's frames are ones stock
  // would still hold in engine.io's write buffer (see FanOut::truncateTurn).
  std::uint64_t turn = 0;
  std::size_t turnKeep = 0;
  // Frames corked for this connection since the last flush, in order.
  std::vector<FrameRef> queue;
};

}  // namespace sio
