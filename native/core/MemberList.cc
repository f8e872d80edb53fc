#include "MemberList.h"

#include <cstdlib>

namespace sio {

MemberList::MemberList(MemberList&& other) noexcept : size_(other.size_), live_(other.live_) {
  if (other.onHeap()) {
    heap_ = other.heap_;
  } else {
    for (std::uint32_t i = 0; i < kInline; ++i) inline_[i] = other.inline_[i];
  }
  other.size_ = 0;
  other.live_ = 0;
}

MemberList::~MemberList() {
  // The owner is going away with all its lists, so the counter is not
  // updated here; clear() is the accounted way to give memory back.
  if (onHeap()) std::free(heap_);
}

std::uint32_t* MemberList::moveToHeap(std::uint32_t capacity, MemoryTracker& mem) {
  auto* block = static_cast<std::uint32_t*>(mem.allocate(bytesFor(capacity)));
  block[0] = capacity;
  const std::uint32_t* from = data();
  for (std::uint32_t i = 0; i < size_; ++i) block[kHeader + i] = from[i];
  if (onHeap()) mem.release(heap_, bytesFor(heap_[0]));
  heap_ = block;
  return block + kHeader;
}

std::uint32_t MemberList::push(std::uint32_t socket, MemoryTracker& mem) {
  const std::uint32_t cap = capacity();
  std::uint32_t* slots =
      size_ < cap ? mutableData() : moveToHeap(cap < kMinHeap ? kMinHeap : cap + cap / 2, mem);
  slots[size_] = socket;
  ++live_;
  return size_++;
}

void MemberList::erase(std::uint32_t pos, MemoryTracker& mem) {
  std::uint32_t* slots = mutableData();
  slots[pos] = kNone;
  --live_;
  if (live_ == 0) {
    clear(mem);
    return;
  }
  if (pos + 1 == size_) {
    // A live member remains, so this stops before the start.
    std::uint32_t size = pos;
    while (slots[size - 1] == kNone) --size;
    shrinkTo(size, mem);
  }
}

void MemberList::shrinkTo(std::uint32_t size, MemoryTracker& mem) {
  if (!onHeap()) {
    size_ = size;
    return;
  }
  std::uint32_t* block = heap_;
  const std::uint32_t cap = block[0];
  if (size <= kInline) {
    std::uint32_t keep[kInline] = {};
    for (std::uint32_t i = 0; i < size; ++i) keep[i] = block[kHeader + i];
    mem.release(block, bytesFor(cap));
    for (std::uint32_t i = 0; i < kInline; ++i) inline_[i] = keep[i];
    size_ = size;
    return;
  }
  // Shrink only well below the capacity, so that growing back costs a
  // geometric number of pushes first.
  if (cap > std::size_t{2} * size) {
    const std::uint32_t target = size + size / 2;
    size_ = size;
    moveToHeap(target, mem);
    return;
  }
  size_ = size;
}

void MemberList::clear(MemoryTracker& mem) {
  if (onHeap()) mem.release(heap_, bytesFor(heap_[0]));
  size_ = 0;
  live_ = 0;
  inline_[0] = 0;
  inline_[1] = 0;
}

std::size_t MemberList::heapBytes() const { return onHeap() ? bytesFor(heap_[0]) : 0; }

}  // namespace sio
