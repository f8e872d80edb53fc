#pragma once

#include <cstddef>
#include <string_view>

namespace sio {

// JavaScript's Number <-> string conversions, reproduced exactly, because the
// socket.io wire format is defined by what socket.io-parser does with
// `Number(str)` and `"" + n`, including their odd corners.
class JsNumber {
 public:
  // Large enough for any output of toString.
  static constexpr std::size_t kMaxStringLength = 32;

  // Number(string) over UTF-16 code units (ECMA-262 StringToNumber): trims
  // JS white space and line terminators, accepts "" (0), signed decimals with
  // optional fraction and exponent ("1.", ".5e1", "-0"), "Infinity" with an
  // optional sign, and unsigned 0x/0o/0b integers; anything else is NaN.
  // Results are correctly rounded like V8's.
  static double fromString(std::u16string_view text);

  // Number.prototype.toString() with radix 10 (shortest round-trip digits,
  // exponent form outside [1e-7, 1e21)). Writes at most kMaxStringLength
  // bytes to `out` and returns the length.
  static std::size_t toString(double value, char* out);

  // The characters JS's StrWhiteSpaceChar production trims (WhiteSpace and
  // LineTerminator): a one-character string of one of them converts to 0.
  static bool isWhiteSpace(char16_t c);
};

}  // namespace sio
