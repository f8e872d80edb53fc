#include "WebSocketFrame.h"

#include <cstring>

namespace sio {

std::size_t WebSocketFrame::headerSize(std::uint64_t payloadLength) noexcept {
  // Same thresholds as ws's Sender.frame: >= 65536 takes the 64-bit form,
  // > 125 the 16-bit form; the shortest form is mandatory (RFC 6455 5.2).
  if (payloadLength >= 65536) return 10;
  if (payloadLength > 125) return 4;
  return 2;
}

std::size_t WebSocketFrame::writeHeader(std::uint8_t* out, Opcode opcode,
                                        std::uint64_t payloadLength) noexcept {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));
  if (payloadLength >= 65536) {
    out[1] = 127;
    for (int i = 0; i < 8; ++i) {
      out[2 + i] = static_cast<std::uint8_t>(payloadLength >> (56 - 8 * i));
    }
    return 10;
  }
  if (payloadLength > 125) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payloadLength >> 8);
    out[3] = static_cast<std::uint8_t>(payloadLength);
    return 4;
  }
  out[1] = static_cast<std::uint8_t>(payloadLength);
  return 2;
}

FrameRef WebSocketFrame::allocate(Opcode opcode, std::uint64_t payloadLength,
                                  std::size_t slack) noexcept {
  const std::size_t header = headerSize(payloadLength);
  if (payloadLength > static_cast<std::size_t>(-1) - header - slack) return {};
  const std::size_t size = header + static_cast<std::size_t>(payloadLength);
  FrameBuffer* buffer = FrameBuffer::create(size + slack);
  if (buffer == nullptr) return {};
  writeHeader(buffer->data(), opcode, payloadLength);
  buffer->setSize(size);
  return FrameRef::adopt(buffer);
}

FrameRef WebSocketFrame::build(Opcode opcode, std::span<const std::uint8_t> prefix,
                               std::span<const std::uint8_t> payload) noexcept {
  const std::uint64_t length = prefix.size() + payload.size();
  FrameRef frame = allocate(opcode, length);
  if (!frame) return frame;
  std::uint8_t* out = frame.get()->data() + headerSize(length);
  if (!prefix.empty()) std::memcpy(out, prefix.data(), prefix.size());
  if (!payload.empty()) std::memcpy(out + prefix.size(), payload.data(), payload.size());
  return frame;
}

}  // namespace sio
