#include "PacketHeader.h"

#include <cmath>
#include <limits>

#include "JsNumber.h"

namespace sio {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kBinaryEvent = 5;
constexpr int kBinaryAck = 6;

bool isDigit(char16_t c) { return c >= u'0' && c <= u'9'; }

// socket.io-parser tests single characters with `Number(c) == c`, which holds
// for ASCII digits and for every character Number() trims as white space.
bool isNumericChar(char16_t c) { return isDigit(c) || JsNumber::isWhiteSpace(c); }

bool isInteger(double n) { return std::isfinite(n) && std::floor(n) == n; }

}  // namespace

Status PacketHeader::parse(std::u16string_view text, bool complete, double maxAttachments,
                           PacketHeader& out) {
  out = PacketHeader{};
  const std::size_t length = text.size();
  // Every read of str.charAt(k) or comparison with str.length in the JS code
  // goes through this check: on a prefix, reaching its end means the answer
  // depends on characters we do not have yet.
  auto beyondPrefix = [&](std::size_t k) { return !complete && k >= length; };

  // type = Number(str.charAt(0)); "" and white space give 0.
  if (beyondPrefix(0)) return Status::NeedMoreInput;
  if (length == 0 || JsNumber::isWhiteSpace(text[0])) {
    out.type = 0;
  } else if (isDigit(text[0])) {
    out.type = text[0] - u'0';
  } else {
    out.type = kNaN;
  }
  if (!(out.type >= 0 && out.type <= 6)) return Status::UnknownPacketType;

  std::size_t i = 0;
  if (out.type == kBinaryEvent || out.type == kBinaryAck) {
    // while (str.charAt(++i) !== "-" && i != str.length) {}
    i = 1;
    for (;;) {
      if (beyondPrefix(i)) return Status::NeedMoreInput;
      if (i >= length || text[i] == u'-') break;
      ++i;
    }
    if (i >= length) return Status::IllegalAttachments;  // no "-"
    const double n = JsNumber::fromString(text.substr(1, i - 1));
    if (!isInteger(n) || n < 1) return Status::IllegalAttachments;  // NaN included
    if (n > maxAttachments) return Status::TooManyAttachments;
    out.attachments = n;
  }

  // Namespace: from a "/" right after the current index up to the first ","
  // or the end of the string.
  if (beyondPrefix(i + 1)) return Status::NeedMoreInput;
  if (i + 1 < length && text[i + 1] == u'/') {
    const std::size_t start = i + 1;
    i = start + 1;
    for (;;) {
      if (beyondPrefix(i)) return Status::NeedMoreInput;
      if (i >= length || text[i] == u',') break;
      ++i;
    }
    out.hasNamespace = true;
    out.namespaceBegin = start;
    out.namespaceEnd = i;
  }

  // Ack id: a run of digits and white space, converted with Number() as a
  // whole, so "1 2" is NaN and "  " is 0.
  if (beyondPrefix(i + 1)) return Status::NeedMoreInput;
  if (i + 1 < length && isNumericChar(text[i + 1])) {
    const std::size_t start = i + 1;
    i = start + 1;
    for (;;) {
      if (beyondPrefix(i)) return Status::NeedMoreInput;
      if (i >= length) break;
      if (!isNumericChar(text[i])) {
        --i;
        break;
      }
      ++i;
    }
    // str.substring(start, i + 1) clamps to the length.
    const std::size_t end = i + 1 < length ? i + 1 : length;
    out.hasId = true;
    out.id = JsNumber::fromString(text.substr(start, end - start));
  }

  // if (str.charAt(++i)) the payload is str.substr(i).
  if (beyondPrefix(i + 1)) return Status::NeedMoreInput;
  out.payloadBegin = i + 1 < length ? i + 1 : length;
  return Status::Ok;
}

void PacketHeader::encode(double type, double attachments, std::string_view nsp, bool hasId,
                          double id, std::string& out) {
  char number[JsNumber::kMaxStringLength];
  out.append(number, JsNumber::toString(type, number));
  if (type == kBinaryEvent || type == kBinaryAck) {
    out.append(number, JsNumber::toString(attachments, number));
    out.push_back('-');
  }
  if (!nsp.empty() && nsp != "/") {
    out.append(nsp);
    out.push_back(',');
  }
  if (hasId) out.append(number, JsNumber::toString(id, number));
}

}  // namespace sio
