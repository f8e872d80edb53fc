#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "FrameBuffer.h"

namespace sio {

// An owning handle to a FrameBuffer: copying it takes a reference, destroying
// it drops one. Queues store these so that a connection dropped mid-queue
// (unregistered, or its remainder handed to JS) can never leak or free a
// frame another connection still needs.
class FrameRef {
 public:
  FrameRef() noexcept = default;
  // Adopts the reference `buffer` came with (FrameBuffer::create returns one).
  static FrameRef adopt(FrameBuffer* buffer) noexcept { return FrameRef(buffer); }

  FrameRef(const FrameRef& other) noexcept : buffer_(other.buffer_) {
    if (buffer_ != nullptr) buffer_->retain();
  }
  FrameRef(FrameRef&& other) noexcept : buffer_(std::exchange(other.buffer_, nullptr)) {}
  FrameRef& operator=(FrameRef other) noexcept {
    std::swap(buffer_, other.buffer_);
    return *this;
  }
  ~FrameRef() {
    if (buffer_ != nullptr) buffer_->release();
  }

  explicit operator bool() const noexcept { return buffer_ != nullptr; }
  FrameBuffer* get() const noexcept { return buffer_; }
  const std::uint8_t* data() const noexcept { return buffer_->data(); }
  std::size_t size() const noexcept { return buffer_->size(); }

 private:
  explicit FrameRef(FrameBuffer* buffer) noexcept : buffer_(buffer) {}

  FrameBuffer* buffer_ = nullptr;
};

}  // namespace sio
