#include "FrameHeader.h"

namespace sio::wsbench {

HeaderResult parseFrameHeader(const std::uint8_t* data, std::size_t size, FrameHeader& out) {
  if (size < 2) return HeaderResult::NeedMore;
  const std::uint8_t b0 = data[0];
  const std::uint8_t b1 = data[1];
  out.fin = (b0 & 0x80) != 0;
  out.rsv = static_cast<std::uint8_t>((b0 >> 4) & 0x07);
  out.opcode = static_cast<std::uint8_t>(b0 & 0x0F);
  out.masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  std::size_t pos = 2;
  if (len7 < 126) {
    out.payloadSize = len7;
  } else if (len7 == 126) {
    if (size < pos + 2) return HeaderResult::NeedMore;
    out.payloadSize = (std::uint64_t{data[2]} << 8) | data[3];
    pos += 2;
    // RFC 6455 requires the shortest length encoding.
    if (out.payloadSize < 126) return HeaderResult::Malformed;
  } else {
    if (size < pos + 8) return HeaderResult::NeedMore;
    std::uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | data[2 + i];
    pos += 8;
    if ((len >> 63) != 0 || len < 65536) return HeaderResult::Malformed;
    out.payloadSize = len;
  }
  if (out.masked) {
    if (size < pos + 4) return HeaderResult::NeedMore;
    for (int i = 0; i < 4; ++i) out.maskKey[i] = data[pos + i];
    pos += 4;
  }
  out.headerSize = pos;
  return HeaderResult::Complete;
}

std::size_t writeFrameHeader(std::uint8_t* out, Opcode opcode, std::uint64_t payloadSize,
                             const std::uint8_t* maskKey) {
  // Every frame the benchmark writes is a complete message (FIN set).
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));
  const std::uint8_t maskBit = maskKey != nullptr ? 0x80 : 0x00;
  std::size_t pos = 2;
  if (payloadSize < 126) {
    out[1] = static_cast<std::uint8_t>(maskBit | payloadSize);
  } else if (payloadSize <= 0xFFFF) {
    out[1] = static_cast<std::uint8_t>(maskBit | 126);
    out[2] = static_cast<std::uint8_t>(payloadSize >> 8);
    out[3] = static_cast<std::uint8_t>(payloadSize);
    pos = 4;
  } else {
    out[1] = static_cast<std::uint8_t>(maskBit | 127);
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(payloadSize >> (56 - 8 * i));
    pos = 10;
  }
  if (maskKey != nullptr) {
    for (int i = 0; i < 4; ++i) out[pos + i] = maskKey[i];
    pos += 4;
  }
  return pos;
}

void applyMask(std::uint8_t* data, std::size_t size, const std::uint8_t* maskKey) {
  for (std::size_t i = 0; i < size; ++i) data[i] ^= maskKey[i & 3];
}

}  // namespace sio::wsbench
