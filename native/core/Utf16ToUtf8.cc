#include "Utf16ToUtf8.h"

#include <cstdint>
#include <cstring>

namespace sio {

std::size_t Utf16ToUtf8::convert(const char16_t* src, std::size_t units, char* dst,
                                 bool& sawLoneSurrogate) {
  char* out = dst;
  std::size_t i = 0;
  while (i < units) {
    // JSON payloads are mostly ASCII: copy runs of four ASCII units at once.
    if (i + 4 <= units) {
      std::uint64_t block;
      std::memcpy(&block, src + i, sizeof block);
      if ((block & 0xFF80FF80FF80FF80ULL) == 0) {
        out[0] = static_cast<char>(src[i]);
        out[1] = static_cast<char>(src[i + 1]);
        out[2] = static_cast<char>(src[i + 2]);
        out[3] = static_cast<char>(src[i + 3]);
        out += 4;
        i += 4;
        continue;
      }
    }
    const std::uint32_t c = src[i++];
    if (c < 0x80) {
      *out++ = static_cast<char>(c);
    } else if (c < 0x800) {
      *out++ = static_cast<char>(0xC0 | (c >> 6));
      *out++ = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c >= 0xD800 && c <= 0xDBFF && i < units && src[i] >= 0xDC00 && src[i] <= 0xDFFF) {
      const std::uint32_t cp = 0x10000 + ((c - 0xD800) << 10) + (src[i++] - 0xDC00);
      *out++ = static_cast<char>(0xF0 | (cp >> 18));
      *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      std::uint32_t cp = c;
      if (c >= 0xD800 && c <= 0xDFFF) {
        cp = 0xFFFD;
        sawLoneSurrogate = true;
      }
      *out++ = static_cast<char>(0xE0 | (cp >> 12));
      *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return static_cast<std::size_t>(out - dst);
}

}  // namespace sio
