#include "FanOut.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace sio {

std::size_t FanOut::Remainder::bytes() const noexcept {
  std::size_t total = 0;
  for (const FrameRef& frame : frames) total += frame.size();
  return total - offset;
}

std::size_t FanOut::enqueue(std::span<const FrameRef> frames, std::span<const std::uint32_t> ids,
                            std::uint32_t* out, bool isVolatile) noexcept {
  ++stats_.broadcasts;
  stats_.recipients += ids.size();

  std::size_t handed = 0;
  for (const std::uint32_t id : ids) {
    Connection* connection = table_.find(id);
    if (connection == nullptr) {
      ++stats_.handedUnknown;
      out[handed++] = id;
      continue;
    }
    if (connection->busy) {
      ++stats_.handedBusy;
      out[handed++] = id;
      continue;
    }
    if (isVolatile && connection->turn == turn_) {
      ++stats_.droppedVolatile;
      continue;
    }
    // The queue has no cap: what one turn broadcasts is what the standard
    // path would have buffered in JS for this connection anyway, and an early
    // flush here could hand a remainder to JS after this recipient's frame had
    // already been reported for the standard path, reordering the stream.
    if (connection->turn != turn_) {
      // Its first frames of this turn: stock writes the first one at once.
      connection->turn = turn_;
      connection->turnKeep = connection->queue.size() + 1;
    }
    for (const FrameRef& frame : frames) connection->queue.push_back(frame);
    stats_.framesQueued += frames.size();
    if (!connection->dirty) {
      connection->dirty = true;
      ++corked_;
      dirty_.push_back(id);
    }
  }
  return handed;
}

bool FanOut::writeQueue(Connection& connection, Remainder& remainder, bool toCaller) noexcept {
  std::vector<FrameRef>& queue = connection.queue;
  std::size_t next = 0;    // first frame not fully written
  std::size_t offset = 0;  // bytes of queue[next] already written
  bool failed = false;

  iovec iov[kMaxIov];
  while (next < queue.size()) {
    std::size_t count = 0;
    std::size_t batchBytes = 0;
    for (std::size_t i = next; i < queue.size() && count < kMaxIov; ++i, ++count) {
      const std::size_t skip = i == next ? offset : 0;
      iov[count].iov_base = const_cast<std::uint8_t*>(queue[i].data() + skip);
      iov[count].iov_len = queue[i].size() - skip;
      batchBytes += iov[count].iov_len;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    // MSG_NOSIGNAL: a peer that went away must cost an EPIPE, not kill the
    // process with SIGPIPE. MSG_DONTWAIT: never block the event loop, whatever
    // flags the descriptor carries.
    ssize_t written;
    do {
      written = ::sendmsg(connection.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (written < 0 && errno == EINTR);
    ++stats_.writes;
    if (count > 1) ++stats_.coalescedWrites;
    if (written < 0) {
      failed = errno != EAGAIN && errno != EWOULDBLOCK;
      break;
    }
    stats_.bytesWritten += static_cast<std::uint64_t>(written);
    std::size_t left = static_cast<std::size_t>(written);
    while (next < queue.size() && left >= queue[next].size() - offset) {
      left -= queue[next].size() - offset;
      offset = 0;
      ++next;
      ++stats_.framesWritten;
    }
    offset += left;
    // A short write means the socket buffer is full: another call now would
    // only return EAGAIN, so the rest goes to JS at once.
    if (static_cast<std::size_t>(written) < batchBytes) break;
  }

  const bool left = next < queue.size();
  if (left) {
    remainder.id = connection.id;
    remainder.offset = offset;
    remainder.frames.assign(std::make_move_iterator(queue.begin() + static_cast<std::ptrdiff_t>(next)),
                            std::make_move_iterator(queue.end()));
    if (!toCaller) {
      stats_.droppedOnRemove += remainder.frames.size();
    } else {
      if (failed) {
        ++stats_.handedError;
      } else {
        ++stats_.handedPartial;
      }
      stats_.framesHanded += remainder.frames.size();
      stats_.bytesHanded += remainder.bytes();
    }
    connection.busy = true;
  }
  uncork(connection);
  return left;
}

void FanOut::uncork(Connection& connection) noexcept {
  connection.queue.clear();
  // Whatever it gets later in this turn comes after frames that left.
  connection.turnKeep = 0;
  if (connection.dirty) {
    connection.dirty = false;
    --corked_;
  }
}

Status FanOut::remove(std::uint32_t id) noexcept {
  Connection* connection = table_.find(id);
  if (connection == nullptr) return Status::UnknownConnection;
  if (connection->dirty) {
    Remainder dropped;
    writeQueue(*connection, dropped, false);
  }
  // The id may stay on the dirty list; flush() skips it once it stops resolving.
  return table_.remove(id);
}

void FanOut::flush(std::vector<Remainder>& remainders, std::size_t maxConnections,
                   std::size_t maxBytes) noexcept {
  // Swap the list out first: nothing below enqueues, but a connection must
  // be able to rejoin the list cleanly on the next broadcast.
  std::vector<std::uint32_t> dirty;
  dirty.swap(dirty_);
  const std::size_t limit = maxConnections == 0 ? dirty.size() : maxConnections;
  const std::uint64_t byteLimit = maxBytes == 0 ? UINT64_MAX : stats_.bytesWritten + maxBytes;
  std::size_t written = 0;
  std::size_t next = 0;
  Remainder remainder;
  for (; next < dirty.size() && written < limit && stats_.bytesWritten < byteLimit; ++next) {
    Connection* connection = table_.find(dirty[next]);
    // Unregistered since it was queued, or already flushed by flushOne().
    if (connection == nullptr || !connection->dirty) continue;
    ++written;
    if (writeQueue(*connection, remainder)) {
      remainders.push_back(std::move(remainder));
      remainder = Remainder{};
    }
  }
  if (next < dirty.size()) {
    // Over budget: the rest stay dirty, in order, ahead of later broadcasts.
    ++stats_.deferredFlushes;
    dirty.erase(dirty.begin(), dirty.begin() + static_cast<std::ptrdiff_t>(next));
    dirty_.swap(dirty);
    return;
  }
  // Keep the list's capacity for the next iteration.
  dirty.clear();
  if (dirty_.empty()) dirty_.swap(dirty);
}

bool FanOut::flushOne(std::uint32_t id, Remainder& remainder) noexcept {
  Connection* connection = table_.find(id);
  if (connection == nullptr || !connection->dirty) return false;
  // The id stays on the dirty list; flush() skips it as no longer dirty.
  return writeQueue(*connection, remainder);
}

Status FanOut::setBusy(std::uint32_t id, bool busy, Remainder& remainder,
                       bool& hasRemainder) noexcept {
  hasRemainder = false;
  Connection* connection = table_.find(id);
  if (connection == nullptr) return Status::UnknownConnection;
  if (busy && connection->dirty) hasRemainder = writeQueue(*connection, remainder);
  connection->busy = busy;
  return Status::Ok;
}

std::size_t FanOut::truncateTurn(std::uint32_t id) noexcept {
  Connection* connection = table_.find(id);
  if (connection == nullptr || !connection->dirty || connection->turn != turn_) return 0;
  std::vector<FrameRef>& queue = connection->queue;
  if (connection->turnKeep >= queue.size()) return 0;
  const std::size_t dropped = queue.size() - connection->turnKeep;
  queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(connection->turnKeep), queue.end());
  stats_.droppedAtEnd += dropped;
  if (queue.empty()) uncork(*connection);
  return dropped;
}

void FanOut::truncateTurns() noexcept {
  for (const std::uint32_t id : dirty_) truncateTurn(id);
}

void FanOut::discardPending() noexcept {
  for (const std::uint32_t id : dirty_) {
    Connection* connection = table_.find(id);
    if (connection == nullptr) continue;
    uncork(*connection);
  }
  dirty_.clear();
}

}  // namespace sio
