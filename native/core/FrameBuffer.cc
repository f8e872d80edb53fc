#include "FrameBuffer.h"

#include <cstdlib>
#include <new>

namespace sio {

namespace {
thread_local FrameBuffer::Live liveBlocks;
}  // namespace

FrameBuffer::Live FrameBuffer::live() noexcept { return liveBlocks; }

FrameBuffer* FrameBuffer::create(std::size_t capacity) noexcept {
  // The bytes follow the header in the same allocation: one malloc per
  // broadcast frame, and the payload is one cache line away from the count.
  if (capacity > static_cast<std::size_t>(-1) - sizeof(FrameBuffer)) return nullptr;
  void* memory = std::malloc(sizeof(FrameBuffer) + capacity);
  if (memory == nullptr) return nullptr;
  ++liveBlocks.blocks;
  liveBlocks.bytes += capacity;
  return new (memory) FrameBuffer(capacity);
}

void FrameBuffer::release() noexcept {
  if (--refs_ != 0) return;
  --liveBlocks.blocks;
  liveBlocks.bytes -= capacity_;
  this->~FrameBuffer();
  std::free(this);
}

}  // namespace sio
