#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "Connection.h"
#include "DescriptorReserve.h"
#include "Status.h"

namespace sio {

// Dense connection ids -> registered connections.
//
// An id is a slot index in the low kSlotBits bits and the slot's generation
// in the high bits. Slots are reused first-in first-out and every unregister
// bumps the generation, so an id that JS kept after unregistering it (a race
// between a close event and a broadcast computed just before) names no
// connection instead of the next one to take the slot: ids are reused like
// file descriptors are, and get the same protection the dup gives those.
class ConnectionTable {
 public:
  static constexpr unsigned kSlotBits = 22;
  static constexpr std::uint32_t kMaxConnections = (1u << kSlotBits) - 1;

  ConnectionTable() = default;
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;
  // Closes every descriptor still held.
  ~ConnectionTable();

  // Duplicates `fd` (which must be a socket) and registers it. The duplicate
  // is close-on-exec so child processes never inherit a client connection.
  // DescriptorReserve when the duplicate would eat into the descriptors kept
  // free for the application (see DescriptorReserve), DescriptorLimit when
  // there was none to duplicate at all.
  Status add(int fd, std::uint32_t& id) noexcept;

  // Closes the duplicate and empties the connection's queue. The table does
  // no I/O: FanOut::remove writes what is queued before it calls this.
  Status remove(std::uint32_t id) noexcept;

  // The connection registered under `id`, or nullptr for a free slot or an id
  // whose slot has been reused since.
  Connection* find(std::uint32_t id) noexcept;

  std::size_t size() const noexcept { return live_; }

  DescriptorReserve& reserve() noexcept { return reserve_; }

 private:
  DescriptorReserve reserve_;
  std::vector<Connection> slots_;
  std::deque<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace sio
