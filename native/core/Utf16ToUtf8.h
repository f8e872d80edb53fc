#pragma once

#include <cstddef>

namespace sio {

// Converts JS string contents (UTF-16 code units) to UTF-8 for the JSON
// scanner. JS strings may hold lone surrogates; they become U+FFFD, which
// keeps the JSON structure intact (JSON.parse accepts a raw lone surrogate
// inside a string, and rejects it outside one, exactly as it treats U+FFFD).
class Utf16ToUtf8 {
 public:
  // The most bytes `convert` writes for `units` code units.
  static constexpr std::size_t maxBytes(std::size_t units) { return units * 3; }

  // Writes the UTF-8 form of src[0, units) to dst (at least maxBytes(units)
  // bytes) and returns its length. Sets `sawLoneSurrogate` when one was
  // replaced (and leaves it alone otherwise).
  static std::size_t convert(const char16_t* src, std::size_t units, char* dst,
                             bool& sawLoneSurrogate);
};

}  // namespace sio
