#pragma once

#include <cstddef>
#include <cstdint>

namespace sio {

// One immutable, reference-counted block of bytes holding a complete
// websocket frame (header and payload). A broadcast builds its frame once and
// every recipient's queue holds a reference to the same block, so queueing a
// frame for a recipient costs a pointer and a counter increment, never a copy.
//
// The count is not atomic on purpose: the fan-out engine lives on one event
// loop thread (one instance per addon instance), and nothing here is shared
// between threads.
class FrameBuffer {
 public:
  // Allocates a block able to hold `capacity` bytes with a count of one.
  // Returns nullptr when memory is exhausted (the core has no exceptions).
  static FrameBuffer* create(std::size_t capacity) noexcept;

  FrameBuffer(const FrameBuffer&) = delete;
  FrameBuffer& operator=(const FrameBuffer&) = delete;

  void retain() noexcept { ++refs_; }
  void release() noexcept;

  std::uint8_t* data() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
  const std::uint8_t* data() const noexcept {
    return reinterpret_cast<const std::uint8_t*>(this + 1);
  }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  // The builder may allocate more than it finally uses (a UTF-8 copy needs
  // room for a terminator it does not keep), so the size is set afterwards.
  void setSize(std::size_t size) noexcept { size_ = size <= capacity_ ? size : capacity_; }
  std::uint32_t refs() const noexcept { return refs_; }

  // Views of the bytes held outside the core (the binding lends them to JS),
  // each also holding a reference. Whoever reports the block's memory to a
  // garbage collector does it once per block, not once per view: these
  // return true for the first view taken and the last one dropped.
  bool takeView() noexcept { return views_++ == 0; }
  bool dropView() noexcept { return --views_ == 0; }

  // Blocks allocated and not yet freed by the calling thread, and their
  // capacity in bytes: what frames cost right now, and how tests tell that
  // a broadcast which failed halfway kept nothing. Per thread because every
  // block is created and freed on the thread of the event loop it belongs to
  // (each worker has its own addon instance).
  struct Live {
    std::size_t blocks = 0;
    std::size_t bytes = 0;
  };
  static Live live() noexcept;

 private:
  explicit FrameBuffer(std::size_t capacity) noexcept : capacity_(capacity), size_(capacity) {}
  ~FrameBuffer() = default;

  std::size_t capacity_;
  std::size_t size_;
  std::uint32_t refs_ = 1;
  std::uint32_t views_ = 0;
};

}  // namespace sio
