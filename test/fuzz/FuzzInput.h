#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sio::fuzz {

// Hands out the fuzzer's bytes as the small values a target needs (op codes,
// ids, lengths). Once the bytes run out every read returns zero, so a target
// never has to check for the end itself and a short input is still a valid
// (if dull) program; that keeps every mutation meaningful to libFuzzer.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::size_t remaining() const { return size_ - pos_; }

  std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }

  std::uint16_t u16() {
    const std::uint16_t low = byte();
    return static_cast<std::uint16_t>(low | (byte() << 8));
  }

  std::uint32_t u32() {
    const std::uint32_t low = u16();
    return low | (static_cast<std::uint32_t>(u16()) << 16);
  }

  // A value in [0, bound) for bound > 0. The modulo bias is irrelevant here:
  // the fuzzer picks bytes, not a uniform distribution.
  std::uint32_t below(std::uint32_t bound) { return bound == 0 ? 0 : u32() % bound; }
  std::uint32_t smallBelow(std::uint32_t bound) { return bound == 0 ? 0 : byte() % bound; }

  bool flag() { return (byte() & 1) != 0; }

  // Up to maxLength bytes, fewer when the input runs out.
  std::string_view bytes(std::size_t maxLength) {
    const std::size_t length = maxLength < remaining() ? maxLength : remaining();
    const std::string_view out(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return out;
  }

  // Everything not consumed yet.
  std::string_view rest() { return bytes(remaining()); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace sio::fuzz
