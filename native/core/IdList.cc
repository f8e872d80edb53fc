#include "IdList.h"

#include <cstdlib>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sio {
namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// The position of `id` in a dense list: a linear scan, which over
// contiguous 4-byte ids is fast enough that lists of up to kIndexFrom ids
// need no index. It runs from the end: session lifetimes are heavy-tailed,
// so the members that leave a room are mostly its recent joiners, and both
// this scan and the memmove that closes the gap cost in proportion to the
// distance from the end. 16 ids are compared per step, with one branch per
// step; the scalar loop then pins the position down inside the step that
// matched (or handles the head of the list).
std::uint32_t scan(const std::uint32_t* ids, std::uint32_t size, std::uint32_t id) {
  constexpr std::size_t kStep = 16;
  std::size_t end = size;
#if defined(__SSE2__)
  // SSE2 is part of x86-64 itself, so this needs no -march. (GCC 12 does
  // vectorize the portable loop below too, but with a shuffle reduction per
  // step that measured about half as fast on rooms of 500-1000 members.)
  const __m128i key = _mm_set1_epi32(static_cast<int>(id));
  for (; end >= kStep; end -= kStep) {
    const auto* at = reinterpret_cast<const __m128i*>(ids + end - kStep);
    const __m128i a = _mm_cmpeq_epi32(_mm_loadu_si128(at), key);
    const __m128i b = _mm_cmpeq_epi32(_mm_loadu_si128(at + 1), key);
    const __m128i c = _mm_cmpeq_epi32(_mm_loadu_si128(at + 2), key);
    const __m128i d = _mm_cmpeq_epi32(_mm_loadu_si128(at + 3), key);
    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))) != 0) break;
  }
#else
  // Without an early exit inside a step the compiler can vectorize it. The
  // indices are size_t and the step is read through one pointer: with
  // 32-bit indices that may wrap, GCC 12 gathers the ids one by one instead.
  for (; end >= kStep; end -= kStep) {
    const std::uint32_t* step = ids + end - kStep;
    std::uint32_t hit = 0;
    for (std::size_t j = 0; j < kStep; ++j) hit |= step[j] == id;
    if (hit != 0) break;
  }
#endif
  while (end > 0) {
    --end;
    if (ids[end] == id) return static_cast<std::uint32_t>(end);
  }
  return kNone;
}

}  // namespace

template <std::uint32_t kIndexFrom>
IdList<kIndexFrom>::IdList(IdList&& other) noexcept : size_(other.size_), cap_(other.cap_) {
  std::memcpy(words_, other.words_, sizeof(words_));
  other.size_ = 0;
  other.cap_ = 0;
}

template <std::uint32_t kIndexFrom>
IdList<kIndexFrom>::~IdList() {
  // The owner is going away with all its lists, so the counter is not
  // updated here; clear() is the accounted way to give memory back.
  if (onHeap()) std::free(heap());
}

template <std::uint32_t kIndexFrom>
std::uint32_t IdList<kIndexFrom>::capacityFor(std::uint32_t ids) {
  // Half as much again as needed, so that growing and shrinking back both
  // take a number of operations proportional to the size. Heap capacities
  // are 4k + 2 ids, from 6: with glibc's 8-byte chunk header and 16-byte
  // granularity, those are the sizes that fill their chunks exactly (the
  // smallest chunk holds 24 bytes, so a smaller block would save nothing).
  const std::uint64_t wanted = std::uint64_t{ids} + ids / 2;
  if (wanted <= kInline) return kInline;
  if (wanted <= 6) return 6;
  const std::uint64_t rounded = ((wanted + 1) | 3) - 1;
  return rounded > 0xFFFFFFFEu ? 0xFFFFFFFEu : static_cast<std::uint32_t>(rounded);
}

template <std::uint32_t kIndexFrom>
std::size_t IdList<kIndexFrom>::home(std::uint32_t id) const {
  // Ids are small dense integers: multiplying by 2^32 / phi spreads
  // consecutive ones over all 32 bits, and the high half of the product with
  // the table size maps that onto the table without needing a power of two.
  const std::uint32_t mixed = id * 0x9E3779B9u;
  return static_cast<std::size_t>((std::uint64_t{mixed} * tableSlots(cap_)) >> 32);
}

template <std::uint32_t kIndexFrom>
std::uint32_t IdList<kIndexFrom>::findOnHeap(std::uint32_t id) const {
  if (!indexed()) return scan(heap(), size_, id);
  const std::uint32_t* slots = data();
  const std::uint32_t* index = table();
  const std::size_t n = tableSlots(cap_);
  // Index entries only ever point at live ids, so kNone (the tombstone
  // marker) is never found.
  for (std::size_t h = home(id);; h = h + 1 == n ? 0 : h + 1) {
    const std::uint32_t pos = index[h];
    if (pos == kNone) return kNone;
    if (slots[pos] == id) return pos;
  }
}

template <std::uint32_t kIndexFrom>
void IdList<kIndexFrom>::indexInsert(std::uint32_t pos) {
  std::uint32_t* index = table();
  const std::size_t n = tableSlots(cap_);
  std::size_t h = home(data()[pos]);
  while (index[h] != kNone) h = h + 1 == n ? 0 : h + 1;
  index[h] = pos;
}

template <std::uint32_t kIndexFrom>
std::uint32_t IdList<kIndexFrom>::indexErase(std::uint32_t id) {
  const std::uint32_t* slots = data();
  std::uint32_t* index = table();
  const std::size_t n = tableSlots(cap_);
  std::size_t hole = home(id);
  for (;; hole = hole + 1 == n ? 0 : hole + 1) {
    const std::uint32_t pos = index[hole];
    if (pos == kNone) return kNone;
    if (slots[pos] == id) break;
  }
  const std::uint32_t found = index[hole];
  // Backward-shift deletion (Knuth's algorithm R): later entries of the
  // probe run move into the hole unless that would put them before their
  // home slot, so lookups never need markers for removed entries.
  for (std::size_t j = hole;;) {
    j = j + 1 == n ? 0 : j + 1;
    const std::uint32_t pos = index[j];
    if (pos == kNone) break;
    const std::size_t k = home(slots[pos]);
    // The entry may move when its home is not cyclically within (hole, j].
    const bool movable = hole < j ? (k <= hole || k > j) : (k <= hole && k > j);
    if (movable) {
      index[hole] = pos;
      hole = j;
    }
  }
  index[hole] = kNone;
  return found;
}

template <std::uint32_t kIndexFrom>
void IdList<kIndexFrom>::reshape(std::uint32_t capacity, MemoryTracker& mem) {
  const std::uint32_t* from = data();
  const std::uint32_t count = live();
  if (capacity <= kInline) {
    // Only reached by shrinking, from a heap block.
    std::uint32_t keep[kInline] = {};
    std::uint32_t n = 0;
    for (std::uint32_t i = 0; i < size_; ++i) {
      if (from[i] != kNone) keep[n++] = from[i];
    }
    mem.release(heap(), bytesFor(cap_));
    std::memcpy(words_, keep, sizeof(words_));
    size_ = n;
    cap_ = 0;
    return;
  }
  if (onHeap() && !indexed() && !isIndexed(capacity)) {
    // Dense to dense: no tombstones to drop, and realloc may resize in place.
    setHeap(static_cast<std::uint32_t*>(
        mem.reallocate(heap(), bytesFor(cap_), bytesFor(capacity))));
    cap_ = capacity;
    return;
  }
  auto* block = static_cast<std::uint32_t*>(mem.allocate(bytesFor(capacity)));
  std::uint32_t* to = block + (isIndexed(capacity) ? kHeader : 0);
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < size_; ++i) {
    if (from[i] != kNone) to[n++] = from[i];
  }
  if (onHeap()) mem.release(heap(), bytesFor(cap_));
  setHeap(block);
  size_ = n;
  cap_ = capacity;
  if (!isIndexed(capacity)) return;
  block[kLiveWord] = count;
  std::uint32_t* index = table();
  const std::size_t slots = tableSlots(capacity);
  for (std::size_t h = 0; h < slots; ++h) index[h] = kNone;
  for (std::uint32_t pos = 0; pos < n; ++pos) indexInsert(pos);
}

template <std::uint32_t kIndexFrom>
void IdList<kIndexFrom>::push(std::uint32_t id, MemoryTracker& mem) {
  if (size_ == capacity()) reshape(capacityFor(live() + 1), mem);
  // reshape() dropped the tombstones, and the new capacity exceeds the ids.
  ids()[size_] = id;
  if (indexed()) {
    indexInsert(size_);
    ++heap()[kLiveWord];
  }
  ++size_;
}

template <std::uint32_t kIndexFrom>
bool IdList<kIndexFrom>::remove(std::uint32_t id, MemoryTracker& mem) {
  std::uint32_t* slots = ids();
  std::uint32_t count = 0;
  if (!indexed()) {
    const std::uint32_t pos = scan(slots, size_, id);
    if (pos == kNone) return false;
    std::memmove(slots + pos, slots + pos + 1, (size_ - pos - 1) * sizeof(std::uint32_t));
    count = --size_;
  } else {
    const std::uint32_t pos = indexErase(id);
    if (pos == kNone) return false;
    slots[pos] = kNone;
    count = --heap()[kLiveWord];
    // Trailing tombstones are given back at once; a live id remains, so
    // this stops before the start.
    if (count > 0) {
      while (slots[size_ - 1] == kNone) --size_;
    }
  }
  if (count == 0) {
    clear(mem);
    return true;
  }
  // Shrink once less than half the capacity holds ids. In an indexed list
  // this also bounds the tombstones by the live ids (size <= capacity <=
  // 2 * live), so iterating it never costs more than twice its ids.
  if (onHeap() && std::uint64_t{2} * count < cap_) {
    const std::uint32_t target = capacityFor(count);
    if (target < cap_) reshape(target, mem);
  }
  return true;
}

template <std::uint32_t kIndexFrom>
void IdList<kIndexFrom>::clear(MemoryTracker& mem) {
  if (onHeap()) mem.release(heap(), bytesFor(cap_));
  std::memset(words_, 0, sizeof(words_));
  size_ = 0;
  cap_ = 0;
}

template <std::uint32_t kIndexFrom>
bool IdList<kIndexFrom>::checkInvariants() const {
  const std::uint32_t* slots = data();
  if (size_ > capacity()) return false;
  if (!indexed()) {
    for (std::uint32_t i = 0; i < size_; ++i) {
      if (slots[i] == kNone || scan(slots, i, slots[i]) != kNone) return false;
    }
    return true;
  }
  std::uint32_t count = 0;
  for (std::uint32_t i = 0; i < size_; ++i) {
    if (slots[i] == kNone) continue;
    ++count;
    if (find(slots[i]) != i) return false;
  }
  if (count != live() || count == 0) return false;
  if (slots[size_ - 1] == kNone) return false;
  if (std::uint64_t{2} * count < cap_) return false;
  // Every index entry points at a live id, and there is one per id.
  std::uint32_t entries = 0;
  const std::uint32_t* index = table();
  for (std::size_t h = 0; h < tableSlots(cap_); ++h) {
    if (index[h] == kNone) continue;
    ++entries;
    if (index[h] >= size_ || slots[index[h]] == kNone) return false;
  }
  return entries == count;
}

template class IdList<kRoomIndexFrom>;
template class IdList<kSocketIndexFrom>;

}  // namespace sio
