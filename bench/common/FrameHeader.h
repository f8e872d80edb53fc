#pragma once

#include <cstddef>
#include <cstdint>

namespace sio::wsbench {

// WebSocket opcodes (RFC 6455 section 5.2) that the benchmark programs handle.
enum class Opcode : std::uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

// One decoded frame header. The parser only looks at bytes and never copies
// the payload: the caller reads it in place at `data + headerSize`, which is
// what lets the load generator handle thousands of frames per read without
// allocating.
struct FrameHeader {
  bool fin = false;
  bool masked = false;
  std::uint8_t rsv = 0;  // The three reserved bits; nonzero means an extension we never negotiate.
  std::uint8_t opcode = 0;
  std::uint8_t maskKey[4] = {0, 0, 0, 0};
  std::size_t headerSize = 0;
  std::uint64_t payloadSize = 0;
};

enum class HeaderResult : std::uint8_t {
  Complete,    // The whole header is present; the payload may still be partial.
  NeedMore,    // The header itself is cut off at the end of the buffer.
  Malformed,   // A 64-bit length with the top bit set, or a non-minimal length.
};

// Decodes the header at the start of [data, data + size). Handles headers split
// across reads by reporting NeedMore, so callers keep the bytes and retry when
// more arrive.
HeaderResult parseFrameHeader(const std::uint8_t* data, std::size_t size, FrameHeader& out);

// Writes a frame header for a payload of `payloadSize` bytes into `out`
// (at least 14 bytes) and returns its length. With `maskKey` the frame is a
// client frame (masked, as RFC 6455 requires from clients); the caller masks
// the payload with applyMask.
std::size_t writeFrameHeader(std::uint8_t* out, Opcode opcode, std::uint64_t payloadSize,
                             const std::uint8_t* maskKey);

// XORs `size` bytes with the 4-byte key, starting at key offset 0. The
// benchmark only masks and unmasks short control messages, so a byte loop is
// enough.
void applyMask(std::uint8_t* data, std::size_t size, const std::uint8_t* maskKey);

}  // namespace sio::wsbench
