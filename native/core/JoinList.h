#pragma once

#include <cstddef>
#include <cstdint>

#include "MemoryTracker.h"

namespace sio {

// The rooms of one socket, in the order it joined them, each with the
// socket's position in that room's MemberList, so that leaving a room costs
// one write on either side.
//
// Like MemberList, up to kInline memberships live inside the object (a socket
// usually has its own-id room and perhaps one more) and larger lists own a
// heap block whose first word is its capacity. Entries are pairs of words:
// room id, then position.
//
// Finding a room scans the entries while the list is short. Once the block
// holds kIndexFrom entries or more it also carries an open-addressing index
// (entry positions keyed by room id), so that a socket in thousands of rooms
// still joins and leaves in constant time; sockets like that are rare, so
// the common case pays nothing for it.
class JoinList {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr std::uint32_t kInline = 2;
  static constexpr std::uint32_t kIndexFrom = 16;

  JoinList() = default;
  JoinList(JoinList&& other) noexcept;
  JoinList(const JoinList&) = delete;
  JoinList& operator=(const JoinList&) = delete;
  JoinList& operator=(JoinList&&) = delete;
  ~JoinList();

  // Entries in use, tombstones (room kNone) included.
  std::uint32_t size() const { return size_; }
  // Rooms joined.
  std::uint32_t live() const { return live_; }
  bool empty() const { return live_ == 0; }

  std::uint32_t roomAt(std::uint32_t i) const { return data()[word(i)]; }
  std::uint32_t posAt(std::uint32_t i) const { return data()[word(i) + 1]; }
  void setPos(std::uint32_t i, std::uint32_t pos) { mutableData()[word(i) + 1] = pos; }

  // The entry of `room`, or kNone.
  std::uint32_t find(std::uint32_t room) const;

  void push(std::uint32_t room, std::uint32_t pos, MemoryTracker& mem);

  // Removes entry `i`. Nothing outside refers to entry positions, so the list
  // compacts itself once tombstones outnumber rooms.
  void erase(std::uint32_t i, MemoryTracker& mem);

  void clear(MemoryTracker& mem);

  // Bytes of the heap block (entries and index), 0 when inline.
  std::size_t heapBytes() const;

 private:
  // heap_[0] is the capacity in entries; then 2 * capacity words of entries;
  // then, when the capacity is at least kIndexFrom, one word counting the
  // index slots in use (stale ones included) and the index slots.
  static constexpr std::uint32_t kHeader = 1;
  static constexpr std::uint32_t kMinHeap = 4;

  // Index of the first word of entry i, in size_t so that it cannot wrap.
  static std::size_t word(std::uint32_t i) { return std::size_t{2} * i; }
  static std::size_t indexSlots(std::uint32_t capacity);
  static std::size_t bytesFor(std::uint32_t capacity) {
    const std::size_t slots = indexSlots(capacity);
    return (std::size_t{kHeader} + 2 * std::size_t{capacity} + (slots ? 1 + slots : 0)) *
           sizeof(std::uint32_t);
  }

  bool onHeap() const { return size_ > kInline; }
  std::uint32_t capacity() const { return onHeap() ? heap_[0] : kInline; }
  const std::uint32_t* data() const { return onHeap() ? heap_ + kHeader : inline_; }
  std::uint32_t* mutableData() { return onHeap() ? heap_ + kHeader : inline_; }
  bool hasIndex() const { return onHeap() && heap_[0] >= kIndexFrom; }
  std::uint32_t& indexUsed() const { return heap_[kHeader + word(heap_[0])]; }
  std::uint32_t* index() const { return &indexUsed() + 1; }

  std::uint32_t* moveToHeap(std::uint32_t capacity, MemoryTracker& mem);
  void shrinkTo(std::uint32_t size, MemoryTracker& mem);
  void indexInsert(std::uint32_t i);
  void rebuildIndex();

  std::uint32_t size_ = 0;
  std::uint32_t live_ = 0;
  union {
    std::uint32_t inline_[2 * kInline] = {};
    std::uint32_t* heap_;
  };
};

}  // namespace sio
