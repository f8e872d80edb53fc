#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ConnectionTable.h"
#include "FrameRef.h"
#include "Status.h"

namespace sio {

// Writes broadcast frames to registered connections, corked per connection.
//
// enqueue() appends a broadcast's frames to the queue of every idle recipient
// and reports the others (busy, or not registered) back to the caller, who
// sends to those the standard way. flush() then writes each dirty connection's
// whole queue with one sendmsg (a gather write over the shared frame buffers),
// so ten broadcasts in one event-loop turn cost one syscall per connection,
// as uWebSockets' corking does. The binding calls flush() once per loop
// iteration, and flushOne() when anything else is about to be written to a
// connection, which keeps the connection's byte stream in order.
//
// A write that the kernel only partly accepts (the socket buffer is full) or
// refuses is never retried here: the unwritten bytes go back to the caller as
// a Remainder, the connection is marked busy, and JS writes the remainder
// through the connection's own stream, which queues it in memory and finishes
// it when the socket drains. Until JS says the connection drained
// (setBusy(id, false)), broadcasts to it take the standard path behind the
// remainder. So each client gets every frame complete and in order, and the
// native side never needs to watch a socket for writability.
class FanOut {
 public:
  struct Stats {
    std::uint64_t broadcasts = 0;       // enqueue() calls
    std::uint64_t recipients = 0;       // ids passed to enqueue()
    std::uint64_t framesQueued = 0;     // frame deliveries corked natively
    std::uint64_t framesWritten = 0;    // frame deliveries fully written natively
    std::uint64_t bytesWritten = 0;     // bytes accepted by the kernel
    std::uint64_t writes = 0;           // sendmsg calls
    std::uint64_t coalescedWrites = 0;  // sendmsg calls that carried more than one frame
    std::uint64_t handedBusy = 0;       // recipients handed to JS: connection busy
    std::uint64_t handedUnknown = 0;    // recipients handed to JS: id not registered
    std::uint64_t handedPartial = 0;    // remainders handed to JS: socket buffer full
    std::uint64_t handedError = 0;      // remainders handed to JS: write error (e.g. EPIPE)
    std::uint64_t framesHanded = 0;     // frame deliveries (whole or tail) in remainders
    std::uint64_t bytesHanded = 0;      // bytes in remainders
    std::uint64_t droppedVolatile = 0;  // volatile deliveries dropped: frames corked this tick
    std::uint64_t deferredFlushes = 0;  // flushes that left connections for the next one (budget)
    std::uint64_t droppedOnRemove = 0;  // frame deliveries not (fully) taken by the kernel at remove()
    std::uint64_t droppedAtEnd = 0;     // frame deliveries stock would have held back at an end (truncateTurn)
  };

  // The bytes of one connection that the kernel did not take: frames[0] from
  // byte `offset` on, then the other frames whole.
  struct Remainder {
    std::uint32_t id = 0;
    std::size_t offset = 0;
    std::vector<FrameRef> frames;
    std::size_t bytes() const noexcept;
  };

  // Gather writes carry at most this many frames (Linux's UIO_MAXIOV); a
  // longer queue takes several writes.
  static constexpr std::size_t kMaxIov = 1024;

  Status add(int fd, std::uint32_t& id) noexcept { return table_.add(fd, id); }

  // Unregisters a connection: writes its corked frames first (as much as the
  // kernel takes now), then closes the duplicate. Corked frames were sent
  // before whatever ends the connection, so they must not be dropped for it;
  // callers that can still write through the connection's own stream call
  // flushOne() first and write the remainder themselves. What the kernel
  // refuses here is what stock would have lost in its stream's buffer when
  // the connection went away; it is counted in droppedOnRemove.
  Status remove(std::uint32_t id) noexcept;
  std::size_t size() const noexcept { return table_.size(); }
  // The descriptors add() keeps free for the application.
  DescriptorReserve& reserve() noexcept { return table_.reserve(); }

  // Queues `frames` (one broadcast: the message frame, then its binary
  // attachments) for every idle recipient in `ids`. Writes the ids that must
  // take the standard path to `out` (room for ids.size()) in their original
  // order and returns how many there are.
  //
  // A volatile broadcast is dropped (neither queued nor handed) for a
  // recipient that already got frames in this JS turn (see nextTurn):
  // socket.io writes each packet at once, and its websocket transport is not
  // writable again until ws calls back from the nextTick queue, so it drops a
  // volatile packet that follows another one to the same client in a turn.
  // Busy recipients are handed as usual; JS applies socket.io's check.
  std::size_t enqueue(std::span<const FrameRef> frames, std::span<const std::uint32_t> ids,
                      std::uint32_t* out, bool isVolatile = false) noexcept;

  // Writes the queues of the dirty connections, oldest first: all of them,
  // or at most `maxConnections` when it is not 0, and no more once the
  // kernel accepted `maxBytes` in this call when that is not 0 (the
  // connection that crosses it is finished), leaving the others dirty for
  // the next call (so a broadcast to many connections, or of a large frame,
  // can be written over several event-loop iterations without blocking one
  // of them for long: copying a large frame into many socket buffers is the
  // cost there, not the number of writes). Appends one Remainder per
  // connection the kernel did not fully accept. Per connection nothing
  // changes: its queue stays in order, new broadcasts append to it, and
  // flushOne()/setBusy() write it first.
  void flush(std::vector<Remainder>& remainders, std::size_t maxConnections = 0,
             std::size_t maxBytes = 0) noexcept;

  // Writes one connection's queue now. Returns true and fills `remainder`
  // when bytes are left for JS; the connection is then busy.
  bool flushOne(std::uint32_t id, Remainder& remainder) noexcept;

  // Marks a connection busy (JS has writes in flight) or idle (JS drained).
  // Going busy writes the queue first: corked frames were sent before
  // whatever JS is about to write, and must reach the socket first.
  Status setBusy(std::uint32_t id, bool busy, Remainder& remainder, bool& hasRemainder) noexcept;

  // Starts a new JS turn. A turn is what runs between two runs of Node's
  // nextTick queue; the binding's caller advances it there. Stock socket.io
  // writes the first packet of a turn to a connection at once and makes the
  // transport unwritable until ws calls back, which is in the nextTick queue:
  // every later packet of the turn waits in engine.io's write buffer until
  // then.
  void nextTurn() noexcept { ++turn_; }

  // The connection is ending in this turn without engine.io flushing its
  // write buffer first (a discarding close, a transport closed on error or
  // timeout, the stream ended or destroyed, the process exiting): drops the
  // frames queued in this turn after its first one, which stock would still
  // have held in that buffer and so never sent. Frames of earlier turns stay
  // (stock wrote them at the end of their turn). Returns how many frame
  // deliveries were dropped (counted in droppedAtEnd).
  std::size_t truncateTurn(std::uint32_t id) noexcept;

  // truncateTurn() for every connection with frames corked.
  void truncateTurns() noexcept;

  // Drops every corked frame without writing it (benchmarks, teardown).
  void discardPending() noexcept;

  // Whether the per-iteration flush has work: the dirty list is not empty
  // (it may name connections that flushOne() or remove() already settled).
  bool hasPending() const noexcept { return !dirty_.empty(); }
  // How many connections have frames corked right now (exact). Zero means a
  // write of the JS stack cannot overtake anything of ours.
  std::size_t corked() const noexcept { return corked_; }
  const Stats& stats() const noexcept { return stats_; }

 private:
  // Writes the queue; what the kernel does not take goes to `remainder` and
  // the connection turns busy. `toCaller`: the remainder is handed on (it
  // counts as handed), or dropped because the connection is being removed.
  bool writeQueue(Connection& connection, Remainder& remainder, bool toCaller = true) noexcept;
  // Takes a connection off the corked count and empties its queue.
  void uncork(Connection& connection) noexcept;

  ConnectionTable table_;
  std::vector<std::uint32_t> dirty_;
  std::size_t corked_ = 0;
  // Starts at 1: a connection's turn 0 means "no frames queued yet".
  std::uint64_t turn_ = 1;
  Stats stats_;
};

}  // namespace sio
