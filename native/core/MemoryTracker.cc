#include "MemoryTracker.h"

#include <cstdlib>

namespace sio {

void* MemoryTracker::allocate(std::size_t bytes) {
  void* block = std::malloc(bytes);
  if (block == nullptr) std::abort();
  bytes_ += bytes;
  return block;
}

void* MemoryTracker::reallocate(void* block, std::size_t oldBytes, std::size_t newBytes) {
  void* moved = std::realloc(block, newBytes);
  if (moved == nullptr) std::abort();
  bytes_ = bytes_ - oldBytes + newBytes;
  return moved;
}

void MemoryTracker::release(void* block, std::size_t bytes) {
  if (block == nullptr) return;
  std::free(block);
  bytes_ -= bytes;
}

}  // namespace sio
