#pragma once

#include <cstddef>

namespace sio {

// Allocates the variable-sized blocks of the room registry and counts their
// bytes, so that memoryUsage() reports exactly what the registry asked for
// (malloc's own bookkeeping is not included: it is not ours to measure).
//
// The core is built without exceptions, so an allocation failure cannot be
// reported the way std::vector would; like the standard containers in that
// configuration, it terminates the process instead of continuing with a null
// pointer.
class MemoryTracker {
 public:
  MemoryTracker() = default;
  MemoryTracker(const MemoryTracker&) = delete;
  MemoryTracker& operator=(const MemoryTracker&) = delete;

  void* allocate(std::size_t bytes);
  // Resizes a block like realloc(), which can often do it in place.
  void* reallocate(void* block, std::size_t oldBytes, std::size_t newBytes);
  void release(void* block, std::size_t bytes);

  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t bytes_ = 0;
};

}  // namespace sio
