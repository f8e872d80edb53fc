#include "JoinList.h"

#include <bit>
#include <cstdlib>

namespace sio {
namespace {

// Fibonacci hashing: room ids are small dense integers, and multiplying by
// 2^64 / phi spreads consecutive ids over the whole table.
std::size_t slotOf(std::uint32_t room, std::size_t slots) {
  const int bits = std::countr_zero(slots);
  return static_cast<std::size_t>((std::uint64_t{room} * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

}  // namespace

JoinList::JoinList(JoinList&& other) noexcept : size_(other.size_), live_(other.live_) {
  if (other.onHeap()) {
    heap_ = other.heap_;
  } else {
    for (std::uint32_t i = 0; i < 2 * kInline; ++i) inline_[i] = other.inline_[i];
  }
  other.size_ = 0;
  other.live_ = 0;
}

JoinList::~JoinList() {
  // See MemberList: destruction only happens with the whole registry.
  if (onHeap()) std::free(heap_);
}

std::size_t JoinList::indexSlots(std::uint32_t capacity) {
  // At most half full, counting stale slots (see push()), so probes stay short.
  return capacity >= kIndexFrom ? std::bit_ceil(4 * std::size_t{capacity}) : 0;
}

std::uint32_t JoinList::find(std::uint32_t room) const {
  // kNone marks left entries, so it must never be looked up as a room.
  if (room == kNone) return kNone;
  const std::uint32_t* entries = data();
  if (!hasIndex()) {
    for (std::uint32_t i = 0; i < size_; ++i) {
      if (entries[word(i)] == room) return i;
    }
    return kNone;
  }
  const std::size_t slots = indexSlots(heap_[0]);
  const std::uint32_t* table = index();
  for (std::size_t h = slotOf(room, slots);; h = (h + 1) & (slots - 1)) {
    const std::uint32_t i = table[h];
    if (i == kNone) return kNone;
    // Slots may be stale: their entry was a tombstone given back by a
    // trailing removal, then perhaps reused by another room.
    if (i < size_ && entries[word(i)] == room) return i;
  }
}

void JoinList::indexInsert(std::uint32_t i) {
  const std::size_t slots = indexSlots(heap_[0]);
  std::uint32_t* table = index();
  std::size_t h = slotOf(roomAt(i), slots);
  while (table[h] != kNone) h = (h + 1) & (slots - 1);
  table[h] = i;
  ++indexUsed();
}

void JoinList::rebuildIndex() {
  const std::size_t slots = indexSlots(heap_[0]);
  std::uint32_t* table = index();
  for (std::size_t h = 0; h < slots; ++h) table[h] = kNone;
  indexUsed() = 0;
  for (std::uint32_t i = 0; i < size_; ++i) {
    if (roomAt(i) != kNone) indexInsert(i);
  }
}

std::uint32_t* JoinList::moveToHeap(std::uint32_t capacity, MemoryTracker& mem) {
  auto* block = static_cast<std::uint32_t*>(mem.allocate(bytesFor(capacity)));
  block[0] = capacity;
  const std::uint32_t* from = data();
  for (std::size_t i = 0; i < word(size_); ++i) block[kHeader + i] = from[i];
  if (onHeap()) mem.release(heap_, bytesFor(heap_[0]));
  heap_ = block;
  return block + kHeader;
}

void JoinList::push(std::uint32_t room, std::uint32_t pos, MemoryTracker& mem) {
  const std::uint32_t cap = capacity();
  std::uint32_t* entries =
      size_ < cap ? mutableData() : moveToHeap(cap < kMinHeap ? kMinHeap : cap + cap / 2, mem);
  const bool rebuilt = size_ == cap;
  entries[word(size_)] = room;
  entries[word(size_) + 1] = pos;
  const std::uint32_t i = size_++;
  ++live_;
  if (!hasIndex()) return;
  // Stale slots are only dropped by a rebuild; keeping the table at most
  // half full bounds both the probe length and the work between rebuilds.
  if (rebuilt || 2 * (std::size_t{indexUsed()} + 1) > indexSlots(heap_[0])) {
    rebuildIndex();
  } else {
    indexInsert(i);
  }
}

void JoinList::erase(std::uint32_t i, MemoryTracker& mem) {
  std::uint32_t* entries = mutableData();
  entries[word(i)] = kNone;
  --live_;
  if (live_ == 0) {
    clear(mem);
    return;
  }
  std::uint32_t size = size_;
  if (i + 1 == size) {
    // A room remains, so this stops before the start.
    while (entries[word(size - 1)] == kNone) --size;
  }
  if (size - live_ <= live_) {
    shrinkTo(size, mem);
    return;
  }
  std::uint32_t kept = 0;
  for (std::uint32_t j = 0; j < size; ++j) {
    if (entries[word(j)] == kNone) continue;
    entries[word(kept)] = entries[word(j)];
    entries[word(kept) + 1] = entries[word(j) + 1];
    ++kept;
  }
  shrinkTo(kept, mem);
  // Entries moved, so the index is rebuilt even if shrinkTo() just did so
  // for a new block; compaction is rare enough not to mind.
  if (hasIndex()) rebuildIndex();
}

void JoinList::shrinkTo(std::uint32_t size, MemoryTracker& mem) {
  if (!onHeap()) {
    size_ = size;
    return;
  }
  std::uint32_t* block = heap_;
  const std::uint32_t cap = block[0];
  if (size <= kInline) {
    std::uint32_t keep[2 * kInline] = {};
    for (std::uint32_t i = 0; i < 2 * size; ++i) keep[i] = block[kHeader + i];
    mem.release(block, bytesFor(cap));
    for (std::uint32_t i = 0; i < 2 * kInline; ++i) inline_[i] = keep[i];
    size_ = size;
    return;
  }
  size_ = size;
  if (cap > std::size_t{2} * size) {
    moveToHeap(size + size / 2 < kMinHeap ? kMinHeap : size + size / 2, mem);
    if (hasIndex()) rebuildIndex();
  }
}

void JoinList::clear(MemoryTracker& mem) {
  if (onHeap()) mem.release(heap_, bytesFor(heap_[0]));
  size_ = 0;
  live_ = 0;
  for (std::uint32_t i = 0; i < 2 * kInline; ++i) inline_[i] = 0;
}

std::size_t JoinList::heapBytes() const { return onHeap() ? bytesFor(heap_[0]) : 0; }

}  // namespace sio
