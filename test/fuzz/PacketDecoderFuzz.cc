// Fuzz target: the packet decoder over one string part, driven the way the
// binding drives it (parseHeader, then validatePayload and findPlaceholders
// on the UTF-8 form of the payload), with the result checked, not just run:
//  - the header: status and fields are consistent with the text, a parse of
//    any prefix either asks for more input or agrees with the full parse, and
//    encoding the parsed header reproduces it;
//  - JS Number <-> string conversions round-trip;
//  - UTF-16 to UTF-8 matches a plain per-code-point conversion;
//  - the JSON scanner agrees with ReferenceJson (an independent reader) on
//    validity, on socket.io's payload rules and on the exact placeholder
//    list, except where the two legitimately differ (CannotDecide);
//  - the scanner also gets the payload's raw bytes, so invalid UTF-8 (which
//    a JS string cannot produce, but which a future Buffer path could) is
//    covered too.
//
// Input: byte 0 picks how the rest becomes a JS string (bit 0: each byte is
// one code unit, so ASCII seeds stay readable and mutable; else pairs of
// bytes are little-endian UTF-16 code units, reaching lone surrogates and
// non-Latin text) and which scanner limits apply (bit 1: defaults, as the
// binding uses; else tiny ones, to reach the limit paths); byte 1 picks
// maxAttachments; the rest is the packet.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "FuzzCheck.h"
#include "JsNumber.h"
#include "JsonScanner.h"
#include "PacketHeader.h"
#include "PlaceholderList.h"
#include "ReferenceJson.h"
#include "Status.h"
#include "Utf16ToUtf8.h"

namespace {

using sio::JsonScanner;
using sio::PacketHeader;
using sio::PlaceholderList;
using sio::Status;
using sio::fuzz::ReferenceJson;

// The binding's parseHeader tries a prefix of this many code units first.
constexpr std::size_t kBindingPrefixUnits = 128;
// Deep enough for every realistic payload, shallow enough that the
// reference reader's recursion stays far from the stack limit under ASan.
constexpr std::size_t kReferenceDepth = 200;

double maxAttachmentsFrom(std::uint8_t selector) {
  switch (selector % 6) {
    case 0: return 10;  // socket.io-parser's default
    case 1: return 0;
    case 2: return 1;
    case 3: return std::numeric_limits<double>::quiet_NaN();
    case 4: return std::numeric_limits<double>::infinity();
    default: return 1e300;
  }
}

bool sameNumber(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

bool sameHeader(const PacketHeader& a, const PacketHeader& b) {
  return sameNumber(a.type, b.type) && sameNumber(a.attachments, b.attachments) &&
         a.hasNamespace == b.hasNamespace && a.namespaceBegin == b.namespaceBegin &&
         a.namespaceEnd == b.namespaceEnd && a.hasId == b.hasId && sameNumber(a.id, b.id) &&
         a.payloadBegin == b.payloadBegin;
}

bool isInteger(double n) { return std::isfinite(n) && std::floor(n) == n; }

void checkHeader(std::u16string_view text, double maxAttachments, Status status,
                 const PacketHeader& h) {
  SIO_FUZZ_CHECK(status == Status::Ok || status == Status::UnknownPacketType ||
                 status == Status::IllegalAttachments || status == Status::TooManyAttachments);
  if (status == Status::UnknownPacketType) {
    SIO_FUZZ_CHECK(std::isnan(h.type) || (h.type >= 7 && h.type <= 9));
    return;
  }
  SIO_FUZZ_CHECK(isInteger(h.type) && h.type >= 0 && h.type <= 6);
  const bool binary = h.type == 5 || h.type == 6;
  if (status == Status::IllegalAttachments || status == Status::TooManyAttachments) {
    SIO_FUZZ_CHECK(binary);
    return;
  }
  if (binary) {
    SIO_FUZZ_CHECK(isInteger(h.attachments) && h.attachments >= 1);
    SIO_FUZZ_CHECK(std::isnan(maxAttachments) || h.attachments <= maxAttachments);
  } else {
    SIO_FUZZ_CHECK(h.attachments == -1);
  }
  const std::size_t length = text.size();
  SIO_FUZZ_CHECK(h.payloadBegin <= length);
  if (h.hasNamespace) {
    SIO_FUZZ_CHECK(h.namespaceBegin < h.namespaceEnd && h.namespaceEnd <= length);
    SIO_FUZZ_CHECK(text[h.namespaceBegin] == u'/');
    SIO_FUZZ_CHECK(text.substr(h.namespaceBegin, h.namespaceEnd - h.namespaceBegin).find(u',') ==
                   std::u16string_view::npos);
    SIO_FUZZ_CHECK(h.namespaceEnd == length || text[h.namespaceEnd] == u',');
    SIO_FUZZ_CHECK(h.payloadBegin >= h.namespaceEnd);
  } else {
    SIO_FUZZ_CHECK(h.namespaceBegin == 0 && h.namespaceEnd == 0);
  }
  if (h.hasId) {
    // Number() of digits and white space: NaN, or a non-negative integer
    // (Infinity for a very long run of digits).
    SIO_FUZZ_CHECK(std::isnan(h.id) || (h.id >= 0 && std::floor(h.id) == h.id));
  }
}

// A parse of any prefix must either ask for more input or give exactly the
// full parse's answer: the binding trusts a prefix answer without looking at
// the rest of the string.
void checkPrefixes(std::u16string_view text, double maxAttachments, Status fullStatus,
                   const PacketHeader& full, std::uint8_t pick) {
  const std::size_t length = text.size();
  std::size_t cuts[] = {0, 1, 2, 3, full.payloadBegin, full.payloadBegin + 1,
                        full.payloadBegin ? full.payloadBegin - 1 : 0, kBindingPrefixUnits,
                        length ? length - 1 : 0, length, static_cast<std::size_t>(pick)};
  for (std::size_t cut : cuts) {
    if (cut > length) continue;
    PacketHeader prefix;
    const Status status = PacketHeader::parse(text.substr(0, cut), false, maxAttachments, prefix);
    if (status == Status::NeedMoreInput) continue;
    SIO_FUZZ_CHECK(status == fullStatus);
    if (status == Status::Ok) SIO_FUZZ_CHECK(sameHeader(prefix, full));
  }
}

// Encoding what was parsed and parsing it again must give the same packet
// (socket.io-parser's encoder and decoder agree). Only checked where the
// encoder can say it: an ASCII namespace (encode takes UTF-8 and this target
// has no UTF-8 to UTF-16 decoder) and an id JS writes as plain digits.
void checkRoundTrip(std::u16string_view text, double maxAttachments, const PacketHeader& h) {
  std::string nsp;
  if (h.hasNamespace) {
    for (std::size_t i = h.namespaceBegin; i < h.namespaceEnd; ++i) {
      if (text[i] >= 0x80) return;
      nsp.push_back(static_cast<char>(text[i]));
    }
  }
  if (h.hasId && !(h.id >= 0 && h.id < 1e21)) return;
  std::string encoded;
  PacketHeader::encode(h.type, h.attachments, nsp, h.hasId, h.id, encoded);
  encoded += "[]";
  const std::u16string again(encoded.begin(), encoded.end());
  PacketHeader back;
  const Status status = PacketHeader::parse(again, true, maxAttachments, back);
  SIO_FUZZ_CHECK(status == Status::Ok);
  SIO_FUZZ_CHECK(back.type == h.type && sameNumber(back.attachments, h.attachments));
  SIO_FUZZ_CHECK(back.hasId == h.hasId && sameNumber(back.id, h.id));
  // "/" and no namespace are the same namespace; the encoder writes neither.
  const std::string backNsp = back.hasNamespace
      ? encoded.substr(back.namespaceBegin, back.namespaceEnd - back.namespaceBegin)
      : "/";
  SIO_FUZZ_CHECK(backNsp == (nsp.empty() ? "/" : nsp));
  SIO_FUZZ_CHECK(back.payloadBegin == encoded.size() - 2);
}

// The UTF-8 form JSON.parse would see, one code point at a time.
std::string referenceUtf8(std::u16string_view units, bool& lone) {
  std::string out;
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t cp = units[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
        units[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[++i] - 0xDC00);
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
      lone = true;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// Transcodes into the scanner's buffer and checks the result against
// referenceUtf8.
std::size_t transcode(JsonScanner& scanner, std::u16string_view units) {
  char* buffer = scanner.inputBuffer(sio::Utf16ToUtf8::maxBytes(units.size()));
  bool lone = false;
  const std::size_t length = sio::Utf16ToUtf8::convert(units.data(), units.size(), buffer, lone);
  SIO_FUZZ_CHECK(length <= sio::Utf16ToUtf8::maxBytes(units.size()));
  bool referenceLone = false;
  const std::string expected = referenceUtf8(units, referenceLone);
  SIO_FUZZ_CHECK(lone == referenceLone);
  SIO_FUZZ_CHECK(std::string_view(buffer, length) == expected);
  return length;
}

// Where the payload lies in the scanner's input buffer.
struct Loaded {
  std::size_t begin = 0;
  std::size_t length = 0;
};

// Fills the scanner's buffer as the binding's loadPayload does: the whole
// packet's UTF-8 (V8 writes it; Utf16ToUtf8 writes the same bytes) with the
// payload starting after the header's bytes, or the payload alone when
// payloadBegin follows a high surrogate (V8 would join a pair across it).
// Checks the binding's premise that the payload's bytes are then exactly the
// payload's own UTF-8.
Loaded loadPacket(JsonScanner& scanner, std::u16string_view text, std::size_t payloadBegin) {
  const std::u16string_view payload = text.substr(payloadBegin);
  const bool splitPair = payloadBegin > 0 && payloadBegin < text.size() &&
                         text[payloadBegin - 1] >= 0xD800 && text[payloadBegin - 1] <= 0xDBFF;
  if (splitPair) return Loaded{0, transcode(scanner, payload)};
  const std::size_t total = transcode(scanner, text);
  bool lone = false;
  Loaded loaded;
  loaded.begin = referenceUtf8(text.substr(0, payloadBegin), lone).size();
  SIO_FUZZ_CHECK(loaded.begin <= total);
  loaded.length = total - loaded.begin;
  const std::string expected = referenceUtf8(payload, lone);
  SIO_FUZZ_CHECK(std::string_view(scanner.inputBuffer(total) + loaded.begin, loaded.length) ==
                 expected);
  return loaded;
}

// socket.io-parser's isPayloadValid on the value JSON.parse would return.
bool referencePayloadValid(const ReferenceJson& json, double type) {
  const ReferenceJson::Node& root = json.root();
  if (type == 0) return root.kind == ReferenceJson::Kind::Object;
  if (type == 4) return root.kind == ReferenceJson::Kind::Object || root.kind == ReferenceJson::Kind::String;
  if (type == 3 || type == 6) return root.kind == ReferenceJson::Kind::Array;
  if (type == 2 || type == 5) {
    if (root.kind != ReferenceJson::Kind::Array || root.children.empty()) return false;
    const ReferenceJson::Node& name = json.node(root.children[0]);
    if (name.kind == ReferenceJson::Kind::Number) return true;
    if (name.kind != ReferenceJson::Kind::String) return false;
    for (const char* reserved : {"connect", "connect_error", "disconnect", "disconnecting",
                                 "newListener", "removeListener"}) {
      if (name.text == reserved) return false;
    }
    return true;
  }
  return false;  // DISCONNECT and unknown types take no payload
}

struct ExpectedPlaceholder {
  std::vector<PlaceholderList::Step> path;  // keys point into the reference tree
  bool hasNum = false;
  double num = 0;
};

// The placeholder list JsonScanner documents, computed on the reference tree:
// pre-order, every object with any "_placeholder": true member, its last
// "num" when that is a number, and no descent into an object whose last
// "_placeholder" is true.
void referencePlaceholders(const ReferenceJson& json, std::size_t index,
                           std::vector<PlaceholderList::Step>& path,
                           std::vector<ExpectedPlaceholder>& out) {
  const ReferenceJson::Node& node = json.node(index);
  if (node.kind == ReferenceJson::Kind::Array) {
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      path.push_back(PlaceholderList::Step{{}, i, true});
      referencePlaceholders(json, node.children[i], path, out);
      path.pop_back();
    }
    return;
  }
  if (node.kind != ReferenceJson::Kind::Object) return;
  bool anyTrue = false;
  bool lastTrue = false;
  ExpectedPlaceholder entry;
  for (std::size_t i = 0; i < node.keys.size(); ++i) {
    const ReferenceJson::Node& value = json.node(node.children[i]);
    if (node.keys[i] == "_placeholder") {
      lastTrue = value.kind == ReferenceJson::Kind::True;
      anyTrue = anyTrue || lastTrue;
    } else if (node.keys[i] == "num") {
      entry.hasNum = value.kind == ReferenceJson::Kind::Number;
      entry.num = entry.hasNum ? value.number : 0;
    }
  }
  if (anyTrue) {
    entry.path = path;
    out.push_back(entry);
  }
  if (lastTrue) return;
  for (std::size_t i = 0; i < node.keys.size(); ++i) {
    path.push_back(PlaceholderList::Step{node.keys[i], 0, false});
    referencePlaceholders(json, node.children[i], path, out);
    path.pop_back();
  }
}

// Runs validate and findPlaceholders on one payload (the scanner's input
// buffer is refilled before each call, as the binding does) and checks both
// against the reference reader.
// With `raw` empty the packet is `text` as a JS string; otherwise `raw` holds
// the packet's bytes as they came (header bytes included, so a scanner that
// looked before the payload would see them) and may be invalid UTF-8.
void checkPayload(JsonScanner& scanner, PlaceholderList& list, std::u16string_view text,
                  std::size_t payloadBegin, std::string_view raw, double type) {
  auto load = [&]() -> Loaded {
    if (raw.empty()) return loadPacket(scanner, text, payloadBegin);
    std::memcpy(scanner.inputBuffer(raw.size()), raw.data(), raw.size());
    return Loaded{payloadBegin, raw.size() - payloadBegin};
  };
  Loaded loaded = load();
  const std::string utf8(scanner.inputBuffer(loaded.begin + loaded.length) + loaded.begin,
                         loaded.length);
  const Status valid = scanner.validateInput(loaded.begin, loaded.length, type);
  SIO_FUZZ_CHECK(valid == Status::Ok || valid == Status::InvalidPayload ||
                 valid == Status::CannotDecide);
  // A type socket.io-parser never validates (it rejects the packet first)
  // has no valid payload.
  constexpr double kOddTypes[] = {7, -1, 2.5, std::numeric_limits<double>::quiet_NaN()};
  const double oddType = kOddTypes[loaded.length % 4];
  SIO_FUZZ_CHECK(scanner.validateInput(loaded.begin, loaded.length, oddType) ==
                 Status::InvalidPayload);
  loaded = load();
  const Status found = scanner.findPlaceholdersInInput(loaded.begin, loaded.length, list);
  SIO_FUZZ_CHECK(found == Status::Ok || found == Status::InvalidPayload ||
                 found == Status::CannotDecide);
  if (found != Status::Ok) SIO_FUZZ_CHECK(list.size() == 0 && list.totalSteps() == 0);

  // The two calls parse the same text: they cannot disagree about syntax
  // (only the placeholder scan has placeholder limits, checked below).
  if (valid == Status::Ok) SIO_FUZZ_CHECK(found == Status::Ok || found == Status::CannotDecide);
  if (found == Status::InvalidPayload) SIO_FUZZ_CHECK(valid == Status::InvalidPayload);
  if (valid == Status::CannotDecide) SIO_FUZZ_CHECK(found == Status::CannotDecide);

  ReferenceJson json(kReferenceDepth);
  const ReferenceJson::Result result = json.parse(utf8);
  if (result == ReferenceJson::Result::TooDeep) return;
  const bool referenceValid = result == ReferenceJson::Result::Valid;
  const JsonScanner::Limits& limits = scanner.limits();

  // Syntax: a certain answer from the scanner must be the right one, and
  // valid JSON without a known quirk must get a certain answer unless it is
  // beyond the scanner's limits.
  if (found == Status::Ok) SIO_FUZZ_CHECK(referenceValid);
  if (found == Status::InvalidPayload) SIO_FUZZ_CHECK(!referenceValid);
  std::vector<ExpectedPlaceholder> expected;
  std::size_t expectedSteps = 0;
  bool overLimits = false;
  if (referenceValid) {
    std::vector<PlaceholderList::Step> path;
    referencePlaceholders(json, 0, path, expected);
    for (const ExpectedPlaceholder& e : expected) expectedSteps += e.path.size();
    overLimits = json.depth() > limits.maxDepth || utf8.size() > limits.maxBytes ||
                 expected.size() > limits.maxPlaceholders || expectedSteps > limits.maxPathSteps;
    if (found == Status::CannotDecide) SIO_FUZZ_CHECK(json.quirks().any() || overLimits);
  }

  // socket.io's payload rules.
  if (valid == Status::Ok) SIO_FUZZ_CHECK(referenceValid && referencePayloadValid(json, type));
  if (valid == Status::InvalidPayload) {
    SIO_FUZZ_CHECK(!referenceValid || !referencePayloadValid(json, type));
  }
  if (valid == Status::CannotDecide && referenceValid) {
    SIO_FUZZ_CHECK(json.quirks().any() || json.depth() > limits.maxDepth ||
                   utf8.size() > limits.maxBytes);
  }

  // The exact placeholder list.
  if (found != Status::Ok) return;
  SIO_FUZZ_CHECK(list.size() == expected.size());
  SIO_FUZZ_CHECK(list.totalSteps() == expectedSteps);
  // The binding asks whether a key holds U+FFFD (a lone surrogate it could
  // not carry over) before it trusts the paths.
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  bool anyReplacement = false;
  for (const ExpectedPlaceholder& e : expected) {
    for (const PlaceholderList::Step& step : e.path) {
      if (!step.isIndex && step.key.find(kReplacement) != std::string_view::npos) anyReplacement = true;
    }
  }
  SIO_FUZZ_CHECK(list.anyKeyContains(kReplacement) == anyReplacement);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const PlaceholderList::Entry& entry = list.entry(i);
    SIO_FUZZ_CHECK(entry.stepCount == expected[i].path.size());
    SIO_FUZZ_CHECK(entry.hasNum == expected[i].hasNum);
    SIO_FUZZ_CHECK(entry.num == expected[i].num);
    for (std::size_t j = 0; j < entry.stepCount; ++j) {
      const PlaceholderList::Step got = list.step(entry, j);
      const PlaceholderList::Step& want = expected[i].path[j];
      SIO_FUZZ_CHECK(got.isIndex == want.isIndex);
      if (got.isIndex) {
        SIO_FUZZ_CHECK(got.index == want.index);
      } else {
        SIO_FUZZ_CHECK(got.key == want.key);
      }
    }
  }
}

// Number <-> string as the header's numbers use them: String(x) is never
// longer than the buffer the encoder gives it, and Number(String(x)) === x
// for every finite double, as in JS. Number() of arbitrary text must only
// not crash (its values are checked against V8 by the unit tests).
void checkJsNumber(std::u16string_view text, const std::uint8_t* bytes, std::size_t size) {
  (void)sio::JsNumber::fromString(text);
  if (size < sizeof(double)) return;
  double value = 0;
  std::memcpy(&value, bytes, sizeof value);
  char buffer[sio::JsNumber::kMaxStringLength + 1];
  const std::size_t length = sio::JsNumber::toString(value, buffer);
  SIO_FUZZ_CHECK(length > 0 && length <= sio::JsNumber::kMaxStringLength);
  const std::u16string written(buffer, buffer + length);
  const double back = sio::JsNumber::fromString(written);
  if (std::isnan(value)) {
    SIO_FUZZ_CHECK(std::isnan(back));
  } else {
    SIO_FUZZ_CHECK(back == value);  // -0 prints "0", and 0 == -0
  }
}

JsonScanner& scannerFor(bool defaultLimits) {
  // Kept across inputs, like the binding's per-instance scanner, so that
  // reuse of warm buffers is exercised too.
  static JsonScanner standard;
  static JsonScanner tiny([] {
    JsonScanner::Limits limits;
    limits.maxBytes = 512;
    limits.maxDepth = 6;
    limits.maxPlaceholders = 3;
    limits.maxPathSteps = 8;
    return limits;
  }());
  return defaultLimits ? standard : tiny;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const double maxAttachments = maxAttachmentsFrom(data[1]);
  const std::uint8_t* packet = data + 2;
  const std::size_t packetSize = size - 2;
  const bool widened = (mode & 1) == 0;

  std::u16string text;
  if (widened) {
    text.assign(packet, packet + packetSize);
  } else {
    for (std::size_t i = 0; i + 1 < packetSize; i += 2) {
      text.push_back(static_cast<char16_t>(packet[i] | (packet[i + 1] << 8)));
    }
  }

  checkJsNumber(text, packet, packetSize);

  PacketHeader header;
  const Status status = PacketHeader::parse(text, true, maxAttachments, header);
  checkHeader(text, maxAttachments, status, header);
  checkPrefixes(text, maxAttachments, status, header, mode);
  if (status != Status::Ok) return 0;
  checkRoundTrip(text, maxAttachments, header);

  // socket.io-parser only parses a payload when there is one.
  if (header.payloadBegin == text.size()) return 0;
  JsonScanner& scanner = scannerFor((mode & 2) == 0);
  static PlaceholderList list;
  checkPayload(scanner, list, text, header.payloadBegin, {}, header.type);
  if (widened) {
    // The same bytes as they came, not as a JS string would carry them.
    const std::string_view raw(reinterpret_cast<const char*>(packet), packetSize);
    checkPayload(scanner, list, text, header.payloadBegin, raw, header.type);
  }
  return 0;
}
