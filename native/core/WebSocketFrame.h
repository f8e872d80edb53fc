#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "FrameRef.h"

namespace sio {

// Builds the frames a websocket server sends (RFC 6455 section 5.2): FIN set,
// RSV bits clear (no permessage-deflate), unmasked (servers never mask), one
// frame per message. The header bytes are exactly those of ws's
// Sender.frame(data, { fin: true, rsv1: false, mask: false, opcode }) in
// ws/lib/sender.js, which engine.io's websocket transport and socket.io-adapter's
// wsPreEncodedFrame use, so a client cannot tell which path wrote a frame:
//   - payload <= 125 bytes: 7-bit length in byte 1;
//   - payload <= 65535 bytes: 126, then a 16-bit big-endian length;
//   - larger: 127, then a 64-bit big-endian length.
class WebSocketFrame {
 public:
  enum class Opcode : std::uint8_t { Text = 0x1, Binary = 0x2 };

  static constexpr std::size_t kMaxHeaderSize = 10;

  static std::size_t headerSize(std::uint64_t payloadLength) noexcept;

  // Writes the header for a payload of `payloadLength` bytes into `out`
  // (which must hold kMaxHeaderSize bytes) and returns its size.
  static std::size_t writeHeader(std::uint8_t* out, Opcode opcode,
                                 std::uint64_t payloadLength) noexcept;

  // Allocates a frame for a payload of `payloadLength` bytes with the header
  // already written; the caller fills the payload at data() + headerSize().
  // `slack` extra bytes of capacity are allocated but not counted in the size
  // (the binding copies strings with a terminator it then drops). Returns an
  // empty ref when memory is exhausted.
  static FrameRef allocate(Opcode opcode, std::uint64_t payloadLength, std::size_t slack = 0) noexcept;

  // Builds a complete frame whose payload is `prefix` followed by `payload`:
  // the engine.io "message" type `4` before a socket.io packet is the prefix.
  static FrameRef build(Opcode opcode, std::span<const std::uint8_t> prefix,
                        std::span<const std::uint8_t> payload) noexcept;
};

}  // namespace sio
