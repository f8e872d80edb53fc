#include "JsNumber.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

namespace sio {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

bool isDigit(char16_t c) { return c >= u'0' && c <= u'9'; }

int radixDigit(char16_t c, int radix) {
  int value = -1;
  if (c >= u'0' && c <= u'9') value = c - u'0';
  else if (c >= u'a' && c <= u'f') value = c - u'a' + 10;
  else if (c >= u'A' && c <= u'F') value = c - u'A' + 10;
  return value >= 0 && value < radix ? value : -1;
}

// 0x/0o/0b literals have power-of-two radixes, so the exact value is a bit
// string: keep the first 64 significant bits plus a sticky bit for the rest
// and round half to even, as V8 does, instead of accumulating in a double
// (which would round twice).
double parseBinaryRadix(std::u16string_view digits, int radix, int bitsPerDigit) {
  if (digits.empty()) return kNaN;
  std::uint64_t mantissa = 0;
  int usedBits = 0;
  long long droppedBits = 0;
  bool sticky = false;
  for (char16_t c : digits) {
    const int digit = radixDigit(c, radix);
    if (digit < 0) return kNaN;
    for (int b = bitsPerDigit - 1; b >= 0; --b) {
      const unsigned bit = (static_cast<unsigned>(digit) >> b) & 1U;
      if (usedBits == 0 && bit == 0) continue;
      if (usedBits < 64) {
        mantissa = (mantissa << 1) | bit;
        ++usedBits;
      } else {
        ++droppedBits;
        sticky = sticky || bit != 0;
      }
    }
  }
  if (usedBits <= 53) return static_cast<double>(mantissa);
  const int shift = usedBits - 53;
  std::uint64_t top = mantissa >> shift;
  const std::uint64_t rest = mantissa & ((std::uint64_t{1} << shift) - 1);
  const std::uint64_t half = std::uint64_t{1} << (shift - 1);
  if (rest > half || (rest == half && (sticky || (top & 1U) != 0))) ++top;
  const long long exponent = shift + droppedBits;
  if (exponent > 2000) return kInfinity;
  return std::ldexp(static_cast<double>(top), static_cast<int>(exponent));
}

// Validates the StrUnsignedDecimalLiteral grammar (digits, optional '.',
// optional exponent; at least one mantissa digit) and returns the decimal
// exponent of the leading significant digit, saturated, so that an
// out-of-range result can be told apart as overflow or underflow.
bool scanDecimal(std::u16string_view s, long long& magnitude) {
  std::size_t i = 0;
  std::size_t mantissaDigits = 0;
  long long firstSignificant = 0;  // position relative to the decimal point
  bool seenSignificant = false;
  long long intDigits = 0;
  while (i < s.size() && isDigit(s[i])) {
    if (!seenSignificant && s[i] != u'0') {
      seenSignificant = true;
      firstSignificant = intDigits;
    }
    ++intDigits;
    ++mantissaDigits;
    ++i;
  }
  long long fracIndex = 0;
  if (i < s.size() && s[i] == u'.') {
    ++i;
    while (i < s.size() && isDigit(s[i])) {
      if (!seenSignificant && s[i] != u'0') {
        seenSignificant = true;
        firstSignificant = intDigits + fracIndex;
      }
      ++fracIndex;
      ++mantissaDigits;
      ++i;
    }
  }
  if (mantissaDigits == 0) return false;
  long long exponent = 0;
  if (i < s.size() && (s[i] == u'e' || s[i] == u'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == u'+' || s[i] == u'-')) {
      negative = s[i] == u'-';
      ++i;
    }
    if (i == s.size()) return false;
    while (i < s.size() && isDigit(s[i])) {
      if (exponent < 1000000000) exponent = exponent * 10 + (s[i] - u'0');
      ++i;
    }
    if (negative) exponent = -exponent;
  }
  if (i != s.size()) return false;
  magnitude = seenSignificant ? intDigits - firstSignificant + exponent : 0;
  return true;
}

}  // namespace

bool JsNumber::isWhiteSpace(char16_t c) {
  switch (c) {
    case 0x0009: case 0x000A: case 0x000B: case 0x000C: case 0x000D:
    case 0x0020: case 0x00A0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

double JsNumber::fromString(std::u16string_view text) {
  // Fast path for what real headers hold (attachment counts, ack ids): up to
  // 15 ASCII digits, which a double represents exactly.
  if (!text.empty() && text.size() <= 15) {
    std::uint64_t value = 0;
    std::size_t i = 0;
    while (i < text.size() && isDigit(text[i])) value = value * 10 + (text[i++] - u'0');
    if (i == text.size()) return static_cast<double>(value);
  }
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && isWhiteSpace(text[begin])) ++begin;
  while (end > begin && isWhiteSpace(text[end - 1])) --end;
  std::u16string_view s = text.substr(begin, end - begin);
  if (s.empty()) return 0;

  if (s.size() >= 2 && s[0] == u'0') {
    switch (s[1]) {
      case u'x': case u'X': return parseBinaryRadix(s.substr(2), 16, 4);
      case u'o': case u'O': return parseBinaryRadix(s.substr(2), 8, 3);
      case u'b': case u'B': return parseBinaryRadix(s.substr(2), 2, 1);
      default: break;
    }
  }

  bool negative = false;
  if (s[0] == u'+' || s[0] == u'-') {
    negative = s[0] == u'-';
    s.remove_prefix(1);
  }
  if (s == u"Infinity") return negative ? -kInfinity : kInfinity;

  long long magnitude = 0;
  if (!scanDecimal(s, magnitude)) return kNaN;

  // The grammar is checked, so the text is ASCII: narrow it for from_chars,
  // which rounds correctly. Short inputs (every realistic header field) stay
  // on the stack.
  char small[128];
  std::string large;
  char* ascii = small;
  if (s.size() > sizeof small) {
    large.resize(s.size());
    ascii = large.data();
  }
  for (std::size_t i = 0; i < s.size(); ++i) ascii[i] = static_cast<char>(s[i]);
  double value = 0;
  const auto result = std::from_chars(ascii, ascii + s.size(), value, std::chars_format::general);
  if (result.ec == std::errc::result_out_of_range) {
    value = magnitude > 0 ? kInfinity : 0.0;
  } else if (result.ec != std::errc() || result.ptr != ascii + s.size()) {
    return kNaN;
  }
  return negative ? -value : value;
}

std::size_t JsNumber::toString(double value, char* out) {
  if (std::isnan(value)) {
    std::memcpy(out, "NaN", 3);
    return 3;
  }
  std::size_t n = 0;
  if (value < 0) {
    out[n++] = '-';
    value = -value;
  }
  if (std::isinf(value)) {
    std::memcpy(out + n, "Infinity", 8);
    return n + 8;
  }
  if (value == 0) {  // also -0, which JS prints as "0"
    out[0] = '0';
    return 1;
  }
  // Shortest round-trip digits in scientific form "d[.ddd]e±x", then laid out
  // by ECMA-262 Number::toString's rules.
  char sci[40];
  const auto result = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific);
  const char* end = result.ptr;
  char digits[24];
  int k = 0;
  const char* p = sci;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + (p[1] == '+' ? 2 : 1), end, exponent);
  const int point = exponent + 1;  // ECMA-262's n
  if (k <= point && point <= 21) {
    std::memcpy(out + n, digits, k);
    n += k;
    for (int i = k; i < point; ++i) out[n++] = '0';
  } else if (0 < point && point <= 21) {
    std::memcpy(out + n, digits, point);
    n += point;
    out[n++] = '.';
    std::memcpy(out + n, digits + point, k - point);
    n += k - point;
  } else if (-6 < point && point <= 0) {
    out[n++] = '0';
    out[n++] = '.';
    for (int i = point; i < 0; ++i) out[n++] = '0';
    std::memcpy(out + n, digits, k);
    n += k;
  } else {
    out[n++] = digits[0];
    if (k > 1) {
      out[n++] = '.';
      std::memcpy(out + n, digits + 1, k - 1);
      n += k - 1;
    }
    out[n++] = 'e';
    out[n++] = exponent < 0 ? '-' : '+';
    const auto r = std::to_chars(out + n, out + kMaxStringLength, exponent < 0 ? -exponent : exponent);
    n = static_cast<std::size_t>(r.ptr - out);
  }
  return n;
}

}  // namespace sio
