#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "MemoryTracker.h"

namespace sio {

// An insertion-ordered set of ids: the members of a room (sockets, in the
// order they joined) or the rooms of a socket (in the order it joined them).
//
// Memory is what this class is about: a server holds one entry per
// membership on each side, so the registry stores each as exactly one 4-byte
// id on either side and nothing else. Nothing outside refers to a position in
// a list, so a list may move its ids at will (compact, shrink, go inline).
//
// Small lists are dense arrays: finding an id is a linear scan over at most
// kIndexFrom contiguous words, which the compiler vectorizes, and removing
// one closes the gap with a memmove, so they never hold tombstones. Lists
// whose capacity reaches kIndexFrom (a large room, a socket in many rooms)
// also carry an open-addressing index of positions keyed by id, so that
// finding and removing stay constant time at any size: there a removal leaves
// a tombstone (kNone) to keep the other positions valid, and the list is
// rebuilt without them when it shrinks. Lists switch between the two forms
// as their capacity crosses kIndexFrom, which happens only on reallocations,
// and the geometric growth and shrink thresholds give the switch hysteresis:
// a list that just got its index has to lose about half its ids before
// dropping it, and one that just dropped it has to grow by half again before
// getting it back.
//
// Up to kInline ids live inside the object itself (socket.io puts every
// socket in a room named after its own id, so most rooms have one member and
// most sockets one or two rooms). The object is 16 bytes with 4-byte
// alignment: the heap pointer is kept in two words and read with memcpy, so
// that an owner can put a 4-byte field next to it without padding.
//
// kIndexFrom is a template parameter because rooms and sockets want
// different thresholds (see RoomRegistry); IdList.cc instantiates the two.
template <std::uint32_t kIndexFrom>
class IdList {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr std::uint32_t kInline = 2;

  IdList() = default;
  IdList(IdList&& other) noexcept;
  IdList(const IdList&) = delete;
  IdList& operator=(const IdList&) = delete;
  IdList& operator=(IdList&&) = delete;
  ~IdList();

  // Slots in use, tombstones included.
  std::uint32_t size() const { return size_; }
  // Ids in the list.
  std::uint32_t live() const { return indexed() ? heap()[kLiveWord] : size_; }
  // The last removal gives the storage back, so an empty list has no slots.
  bool empty() const { return size_ == 0; }
  // size() slots in insertion order; tombstones read as kNone.
  const std::uint32_t* data() const {
    return onHeap() ? heap() + (indexed() ? kHeader : 0) : words_;
  }

  // The position of `id`, or kNone.
  std::uint32_t find(std::uint32_t id) const {
    // Most lists are inline (one or two ids), so that case is decided here.
    if (onHeap()) return findOnHeap(id);
    for (std::uint32_t i = 0; i < size_; ++i) {
      if (words_[i] == id) return i;
    }
    return kNone;
  }
  bool contains(std::uint32_t id) const { return find(id) != kNone; }

  // Appends an id that is not in the list.
  void push(std::uint32_t id, MemoryTracker& mem);
  // Removes `id`; returns whether it was there.
  bool remove(std::uint32_t id, MemoryTracker& mem);
  void clear(MemoryTracker& mem);

  // Whether the list carries its index (capacity of kIndexFrom or more).
  bool indexed() const { return isIndexed(cap_); }
  // Bytes of the heap block, 0 when the ids are inline.
  std::size_t heapBytes() const { return onHeap() ? bytesFor(cap_) : 0; }
  // Verifies the layout, the live count and the index; for tests.
  bool checkInvariants() const;

 private:
  // An indexed block is [live count][cap_ ids][tableSlots(cap_) index slots];
  // a dense one is just its cap_ ids.
  static constexpr std::uint32_t kLiveWord = 0;
  static constexpr std::uint32_t kHeader = 1;

  static bool isIndexed(std::uint32_t capacity) { return capacity >= kIndexFrom; }
  // The index is at most two thirds full: live ids never exceed the
  // capacity, so linear probes stay short, and removals keep it at least a
  // third full (see remove()).
  static std::size_t tableSlots(std::uint32_t capacity) {
    return std::size_t{capacity} + capacity / 2;
  }
  static std::size_t bytesFor(std::uint32_t capacity) {
    const std::size_t words =
        isIndexed(capacity) ? kHeader + capacity + tableSlots(capacity) : capacity;
    return words * sizeof(std::uint32_t);
  }
  static std::uint32_t capacityFor(std::uint32_t ids);

  bool onHeap() const { return cap_ != 0; }
  std::uint32_t capacity() const { return onHeap() ? cap_ : kInline; }
  std::uint32_t* heap() const {
    std::uint32_t* block;
    std::memcpy(&block, words_, sizeof(block));
    return block;
  }
  void setHeap(std::uint32_t* block) { std::memcpy(words_, &block, sizeof(block)); }
  std::uint32_t* ids() { return onHeap() ? heap() + (indexed() ? kHeader : 0) : words_; }
  std::uint32_t* table() const { return heap() + kHeader + cap_; }
  std::size_t home(std::uint32_t id) const;
  std::uint32_t findOnHeap(std::uint32_t id) const;

  // Moves the ids, without tombstones, to storage for `capacity` ids (inline
  // when it is at most kInline), building the index when the new block has
  // one.
  void reshape(std::uint32_t capacity, MemoryTracker& mem);
  void indexInsert(std::uint32_t pos);
  // Takes `id` out of the index and returns its position, or kNone.
  std::uint32_t indexErase(std::uint32_t id);

  // Inline ids, or the heap block's address.
  static_assert(sizeof(std::uint32_t*) <= kInline * sizeof(std::uint32_t));
  std::uint32_t words_[kInline] = {};
  std::uint32_t size_ = 0;
  // Capacity of the heap block; 0 while the ids are inline.
  std::uint32_t cap_ = 0;
};

// The index thresholds of RoomRegistry's two lists.
//
// Rooms: a dense list costs 4 bytes per member and an indexed one 10 (4 for
// the id, 6 for its 1.5 index slots), while removing from a dense list scans
// and moves up to its whole size. From 1024 slots, rooms of several hundred
// members, common in real use, stay at 4 bytes, and a removal touches at most
// about 4 KB of contiguous memory.
inline constexpr std::uint32_t kRoomIndexFrom = 1024;
using MemberList = IdList<kRoomIndexFrom>;
// Sockets: a join list is searched on every add() and has(), and sockets in
// more than a few dozen rooms are rare, so they get their index early.
inline constexpr std::uint32_t kSocketIndexFrom = 32;
using JoinList = IdList<kSocketIndexFrom>;

}  // namespace sio
