#pragma once

#include <cstddef>
#include <cstdint>

#include "MemoryTracker.h"

namespace sio {

// The members of one room (socket ids), in the order they joined.
//
// socket.io puts every socket in a room named after its own id, so most rooms
// have exactly one member. Up to kInline members live inside the object
// itself, which is 16 bytes in all; only larger rooms own a heap block. The
// block's capacity is stored in its first word rather than in the object, and
// whether the members are inline follows from the size alone, which is what
// keeps the object at 16 bytes.
//
// Removal writes a tombstone (kNone) in place, so that the other members keep
// their order and their positions, which their sockets' JoinLists record. The
// owner compacts the list, and updates those positions, once tombstones
// outnumber members: iterating a room never costs more than twice its size,
// and compaction is paid for by the removals that made it necessary.
class MemberList {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr std::uint32_t kInline = 2;

  MemberList() = default;
  MemberList(MemberList&& other) noexcept;
  MemberList(const MemberList&) = delete;
  MemberList& operator=(const MemberList&) = delete;
  MemberList& operator=(MemberList&&) = delete;
  ~MemberList();

  // Slots in use, tombstones included.
  std::uint32_t size() const { return size_; }
  // Members.
  std::uint32_t live() const { return live_; }
  bool empty() const { return live_ == 0; }
  // size() slots; tombstones read as kNone.
  const std::uint32_t* data() const { return onHeap() ? heap_ + kHeader : inline_; }

  // Appends a member and returns its position.
  std::uint32_t push(std::uint32_t socket, MemoryTracker& mem);

  // Removes the member at `pos`. Trailing tombstones are given back at once,
  // and the storage is released when the last member leaves.
  void erase(std::uint32_t pos, MemoryTracker& mem);

  bool wantsCompaction() const { return size_ - live_ > live_; }

  // Squeezes the tombstones out, keeping the order. `moved(socket, newPos)`
  // is called for every member whose position changed.
  template <typename Moved>
  void compact(MemoryTracker& mem, Moved&& moved) {
    std::uint32_t* slots = mutableData();
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < size_; ++i) {
      const std::uint32_t socket = slots[i];
      if (socket == kNone) continue;
      if (i != kept) {
        slots[kept] = socket;
        moved(socket, kept);
      }
      ++kept;
    }
    shrinkTo(kept, mem);
  }

  void clear(MemoryTracker& mem);

  // Bytes of the heap block, 0 when the members are inline.
  std::size_t heapBytes() const;

 private:
  // heap_[0] holds the block's capacity; the members follow.
  static constexpr std::uint32_t kHeader = 1;
  static constexpr std::uint32_t kMinHeap = 4;

  static std::size_t bytesFor(std::uint32_t capacity) {
    return (std::size_t{kHeader} + capacity) * sizeof(std::uint32_t);
  }

  bool onHeap() const { return size_ > kInline; }
  std::uint32_t capacity() const { return onHeap() ? heap_[0] : kInline; }
  std::uint32_t* mutableData() { return onHeap() ? heap_ + kHeader : inline_; }

  // Moves the members to a block of `capacity` slots (capacity > kInline) and
  // returns where they now start; size_ is left to the caller.
  std::uint32_t* moveToHeap(std::uint32_t capacity, MemoryTracker& mem);
  // Sets size_ after it shrank, moving the members back inline or to a
  // smaller block so that a room that emptied out does not keep its peak.
  void shrinkTo(std::uint32_t size, MemoryTracker& mem);

  std::uint32_t size_ = 0;
  std::uint32_t live_ = 0;
  union {
    std::uint32_t inline_[kInline] = {};
    std::uint32_t* heap_;
  };
};

}  // namespace sio
