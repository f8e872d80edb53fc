// Fuzz target: binary packets (BINARY_EVENT / BINARY_ACK) and their
// attachments. Random bytes rarely form a binary packet whose payload holds
// well-placed placeholders, so this target builds one from the fuzz input
// instead: a header ("<type><n>-[/nsp,][id]"), a JSON payload tree with
// placeholders, decoys (false, strings, overridden duplicate keys, escaped
// keys, placeholders nested inside placeholders) and ordinary values, and a
// set of attachments whose count is chosen independently of the header's.
// Because the target wrote the payload, it knows the answers: the header
// fields, the payload's validity, the exact placeholder list (paths, nums)
// and so socket.io-parser's reconstruction verdict for the attachments that
// arrived; the core must produce exactly those. Everything goes through the
// same calls as the binding (UTF-16 header parse, transcoding, scanner).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "FuzzCheck.h"
#include "FuzzInput.h"
#include "JsonScanner.h"
#include "PacketHeader.h"
#include "PlaceholderList.h"
#include "Status.h"
#include "Utf16ToUtf8.h"

namespace {

using sio::JsonScanner;
using sio::PacketHeader;
using sio::PlaceholderList;
using sio::Status;
using sio::fuzz::FuzzInput;

constexpr std::size_t kMaxDepth = 10;
constexpr std::size_t kMaxNodes = 300;

// A generated JSON value: its text is written as it is built, and the facts
// the scanner must report are recorded alongside.
struct Expected {
  struct Placeholder {
    std::vector<PlaceholderList::Step> path;
    std::vector<std::string> keys;  // storage for the path's key steps
    bool hasNum = false;
    double num = 0;
  };
  std::vector<Placeholder> placeholders;
};

// Keys as written in JSON and as the scanner reports them (unescaped).
struct Key {
  const char* json;
  const char* text;
};
constexpr Key kKeys[] = {
    {"\"a\"", "a"},
    {"\"_placeholder\"", "_placeholder"},
    {"\"num\"", "num"},
    {"\"__proto__\"", "__proto__"},
    {"\"_plac\\u0065holder\"", "_placeholder"},  // escaped: the same key to JSON.parse
    {"\"n\\u0075m\"", "num"},
    {"\"\"", ""},
    {"\"\\u00e9t\\u00e9\"", "\xC3\xA9t\xC3\xA9"},
    {"\"k\\\"q\\\\\"", "k\"q\\"},
    {"\"_placeholder \"", "_placeholder "},  // near miss
};

struct NumChoice {
  std::string json;
  bool isNumber;
  double value;
};

class PayloadBuilder {
 public:
  PayloadBuilder(FuzzInput& in, std::string& out, Expected& expected, std::uint32_t attachments)
      : in_(in), out_(out), expected_(expected), attachments_(attachments) {}

  void space() {
    switch (in_.smallBelow(8)) {
      case 0: out_ += ' '; break;
      case 1: out_ += "\n\t"; break;
      default: break;
    }
  }

  // The placeholder "num" values worth trying against `attachments_`.
  NumChoice num() {
    switch (in_.smallBelow(10)) {
      case 0: return {"\"0\"", false, 0};  // a string: not a number
      case 1: return {"-1", true, -1};
      case 2: return {"0.5", true, 0.5};
      case 3: return {"1e300", true, 1e300};
      case 4: return {"-0", true, -0.0};
      case 5:  // one past the last declared attachment
        return {std::to_string(attachments_), true, static_cast<double>(attachments_)};
      case 6: return {"null", false, 0};
      case 7: return {"10000000000000000000", true, 1e19};  // above int64: simdjson's uint64
      default: {
        const std::uint32_t k = attachments_ ? in_.below(attachments_) : 0;
        return {std::to_string(k), true, static_cast<double>(k)};
      }
    }
  }

  void value(std::size_t depth) {
    ++nodes_;
    const std::uint32_t op = (depth >= kMaxDepth || nodes_ >= kMaxNodes) ? in_.smallBelow(3)
                                                                          : in_.smallBelow(11);
    switch (op) {
      case 0: {
        constexpr const char* kNumbers[] = {"0", "-1", "1.5", "2e3", "123456789", "-0.0"};
        out_ += kNumbers[in_.smallBelow(6)];
        return;
      }
      case 1: {
        constexpr const char* kStrings[] = {"\"\"", "\"x\"", "\"\\u00e9\"", "\"\xC3\xA9\"",
                                            "\"\\\"\\\\\"", "\"\\ud83d\\ude00\"",
                                            "\"_placeholder\"", "\"\xF0\x9F\x98\x80\""};
        out_ += kStrings[in_.smallBelow(8)];
        return;
      }
      case 2: {
        constexpr const char* kLiterals[] = {"true", "false", "null"};
        out_ += kLiterals[in_.smallBelow(3)];
        return;
      }
      case 3:
      case 4:
        array(depth);
        return;
      case 5:
      case 6:
        object(depth, false);
        return;
      case 7:
      case 8:
        placeholder(depth);
        return;
      default:
        object(depth, true);
        return;
    }
  }

  void array(std::size_t depth) {
    out_ += '[';
    const std::uint32_t count = in_.smallBelow(5);
    for (std::uint32_t i = 0; i < count; ++i) {
      if (i) out_ += ',';
      space();
      path_.push_back(Step{true, i, {}});
      value(depth + 1);
      path_.pop_back();
      space();
    }
    out_ += ']';
  }

  // A placeholder, its members in any order, with extra members that are
  // never looked into (reconstructPacket replaces the whole object).
  void placeholder(std::size_t depth) {
    const NumChoice n = num();
    const bool numFirst = in_.flag();
    const bool withNum = in_.smallBelow(8) != 0;
    const bool extra = in_.smallBelow(4) == 0;
    record(withNum && n.isNumber, n.value);
    out_ += '{';
    bool first = true;
    auto member = [&](const char* key) {
      if (!first) out_ += ',';
      first = false;
      out_ += key;
      out_ += ':';
    };
    if (numFirst && withNum) {
      member("\"num\"");
      out_ += n.json;
    }
    member("\"_placeholder\"");
    out_ += "true";
    if (!numFirst && withNum) {
      member("\"num\"");
      out_ += n.json;
    }
    if (extra) {
      // Skipped by the scan: nothing in here may be reported.
      member("\"inner\"");
      const bool wasSuppressed = suppressed_;
      suppressed_ = true;
      value(depth + 1);
      suppressed_ = wasSuppressed;
    }
    out_ += '}';
  }

  // An ordinary object (decoys = false) or one built from keys that look
  // like a placeholder's (decoys = true). The effective placeholder state is
  // worked out from the members as JSON.parse would keep them.
  void object(std::size_t depth, bool decoys) {
    out_ += '{';
    const std::uint32_t count = in_.smallBelow(decoys ? 4 : 5);
    bool anyTrue = false;
    bool lastTrue = false;
    bool hasNum = false;
    double numValue = 0;
    // The record for this object, if any, goes before its children's
    // (pre-order), so children are generated into a side list first.
    std::vector<Expected::Placeholder> children;
    for (std::uint32_t i = 0; i < count; ++i) {
      if (i) out_ += ',';
      space();
      // Decoys use only the keys a placeholder has, plain or escaped.
      constexpr std::size_t kDecoyKeys[] = {1, 2, 4, 5};
      const Key& key = decoys ? kKeys[kDecoyKeys[in_.smallBelow(4)]]
                              : kKeys[in_.smallBelow(sizeof kKeys / sizeof kKeys[0])];
      out_ += key.json;
      out_ += ':';
      const std::string keyText = key.text;
      if (keyText == "_placeholder") {
        const std::uint32_t v = in_.smallBelow(4);
        const char* kValues[] = {"true", "false", "\"true\"", "1"};
        out_ += kValues[v];
        lastTrue = v == 0;
        anyTrue = anyTrue || lastTrue;
      } else if (keyText == "num") {
        const NumChoice n = num();
        out_ += n.json;
        hasNum = n.isNumber;
        numValue = hasNum ? n.value : 0;
      } else {
        path_.push_back(Step{false, 0, keyText});
        const std::size_t saved = expected_.placeholders.size();
        value(depth + 1);
        for (std::size_t k = saved; k < expected_.placeholders.size(); ++k) {
          children.push_back(std::move(expected_.placeholders[k]));
        }
        expected_.placeholders.resize(saved);
        path_.pop_back();
      }
      space();
    }
    out_ += '}';
    if (anyTrue) record(hasNum, numValue);
    // Children of an effective placeholder are never visited.
    if (!lastTrue && !suppressed_) {
      for (auto& child : children) expected_.placeholders.push_back(std::move(child));
    }
  }

  std::size_t nodes() const { return nodes_; }

 private:
  struct Step {
    bool isIndex;
    std::uint64_t index;
    std::string key;
  };

  void record(bool hasNum, double num) {
    if (suppressed_) return;
    Expected::Placeholder p;
    p.hasNum = hasNum;
    p.num = hasNum ? num : 0;
    p.keys.reserve(path_.size());
    for (const Step& s : path_) p.keys.push_back(s.key);
    for (std::size_t i = 0; i < path_.size(); ++i) {
      PlaceholderList::Step step;
      step.isIndex = path_[i].isIndex;
      step.index = path_[i].index;
      p.path.push_back(step);
    }
    expected_.placeholders.push_back(std::move(p));
  }

  FuzzInput& in_;
  std::string& out_;
  Expected& expected_;
  std::uint32_t attachments_;
  std::vector<Step> path_;
  std::size_t nodes_ = 0;
  bool suppressed_ = false;
};

bool isReserved(std::string_view name) {
  for (std::string_view reserved : {"connect", "connect_error", "disconnect", "disconnecting",
                                    "newListener", "removeListener"}) {
    if (name == reserved) return true;
  }
  return false;
}

JsonScanner& scannerFor(std::uint32_t pick) {
  // Kept across inputs like the binding's scanner; the small one reaches the
  // placeholder and path-step limits with small inputs.
  static JsonScanner standard;
  static JsonScanner small([] {
    JsonScanner::Limits limits;
    limits.maxPlaceholders = 4;
    limits.maxPathSteps = 12;
    return limits;
  }());
  return pick == 0 ? small : standard;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);

  // Header: type, declared attachment count, namespace, ack id.
  const bool ack = in.flag();
  const std::uint32_t declared = in.smallBelow(16);  // 0 is illegal, > 10 too many
  const double maxAttachments = in.flag() ? 10 : 1000;
  std::string packet(1, ack ? '6' : '5');
  packet += std::to_string(declared);
  packet += '-';
  if (in.flag()) packet += "/files,";
  const bool hasId = in.flag();
  const std::uint32_t id = in.smallBelow(200);
  if (hasId) packet += std::to_string(id);
  const std::size_t payloadBegin = packet.size();

  // Payload: an array whose first element is the event name for events.
  Expected expected;
  packet += '[';
  const std::uint32_t count = in.smallBelow(6);
  std::string eventName;
  bool nameOk = true;
  std::uint32_t index = 0;
  if (!ack && in.smallBelow(8) != 0) {
    constexpr const char* kNames[] = {"upload", "connect", "error", "disconnecting", ""};
    eventName = kNames[in.smallBelow(5)];
    packet += '"' + eventName + '"';
    nameOk = !isReserved(eventName);
    index = 1;
  } else if (!ack) {
    nameOk = false;  // the builder decides the first element; checked below
  }
  const bool nameFromBuilder = !ack && index == 0;
  const std::size_t firstElementAt = packet.size();
  for (std::uint32_t i = 0; i < count; ++i, ++index) {
    if (index) packet += ',';
    // Array elements of the root: the builder's paths start at this index.
    std::string element;
    Expected sub;
    PayloadBuilder elementBuilder(in, element, sub, declared);
    elementBuilder.value(1);
    for (auto& p : sub.placeholders) {
      PlaceholderList::Step step;
      step.isIndex = true;
      step.index = index;
      p.path.insert(p.path.begin(), step);
      p.keys.insert(p.keys.begin(), std::string());
      expected.placeholders.push_back(std::move(p));
    }
    packet += element;
  }
  packet += ']';
  if (nameFromBuilder) {
    // An event whose first element the builder made: valid when it is a
    // number (the builder's numbers all start with a digit or '-') or a
    // string that is not reserved (the builder's strings never are).
    const char first = packet.size() > firstElementAt ? packet[firstElementAt] : ']';
    nameOk = count > 0 && (first == '"' || first == '-' || (first >= '0' && first <= '9'));
  }
  const bool expectValid = ack || nameOk;

  // Attachments that arrived, independent of the declared count.
  const std::uint32_t arrived = in.smallBelow(16);
  std::vector<std::string_view> attachments;
  for (std::uint32_t i = 0; i < arrived; ++i) attachments.push_back(in.bytes(in.smallBelow(32)));

  // Reproducing a finding starts with seeing the packet.
  static const bool print = std::getenv("SIO_FUZZ_PRINT") != nullptr;
  if (print) {
    std::fprintf(stderr, "packet: %s\nexpected placeholders: %zu, attachments arrived: %u\n",
                 packet.c_str(), expected.placeholders.size(), arrived);
  }

  // Header, as the binding parses it (the whole packet is ASCII or UTF-8
  // from escapes written as \u, but raw UTF-8 bytes from the builder's
  // strings are widened byte by byte: only offsets matter to the header).
  const std::u16string text(packet.begin(), packet.end());
  PacketHeader header;
  const Status status = PacketHeader::parse(text, true, maxAttachments, header);
  if (declared == 0) {
    SIO_FUZZ_CHECK(status == Status::IllegalAttachments);
    return 0;
  }
  if (declared > maxAttachments) {
    SIO_FUZZ_CHECK(status == Status::TooManyAttachments);
    return 0;
  }
  SIO_FUZZ_CHECK(status == Status::Ok);
  SIO_FUZZ_CHECK(header.type == (ack ? 6 : 5));
  SIO_FUZZ_CHECK(header.attachments == declared);
  SIO_FUZZ_CHECK(header.hasId == hasId && (!hasId || header.id == id));
  SIO_FUZZ_CHECK(header.payloadBegin == payloadBegin);

  // Payload: the whole packet (already UTF-8) in the scanner's buffer with
  // the payload after the header, as the binding lays it out, or, for some
  // inputs, the payload alone through the string_view calls.
  JsonScanner& scanner = scannerFor(in.smallBelow(4));
  const bool inPlace = in.flag();
  const std::string_view payload = std::string_view(packet).substr(payloadBegin);
  auto load = [&] { std::memcpy(scanner.inputBuffer(packet.size()), packet.data(), packet.size()); };
  if (inPlace) load();
  const Status valid = inPlace ? scanner.validateInput(payloadBegin, payload.size(), header.type)
                               : scanner.validate(payload, header.type);
  SIO_FUZZ_CHECK(valid == (expectValid ? Status::Ok : Status::InvalidPayload));

  static PlaceholderList list;
  if (inPlace) load();
  const Status found = inPlace ? scanner.findPlaceholdersInInput(payloadBegin, payload.size(), list)
                               : scanner.findPlaceholders(payload, list);
  std::size_t steps = 0;
  for (const auto& p : expected.placeholders) steps += p.path.size();
  const JsonScanner::Limits& limits = scanner.limits();
  if (expected.placeholders.size() > limits.maxPlaceholders || steps > limits.maxPathSteps) {
    SIO_FUZZ_CHECK(found == Status::CannotDecide && list.size() == 0);
    return 0;
  }
  SIO_FUZZ_CHECK(found == Status::Ok);
  SIO_FUZZ_CHECK(list.size() == expected.placeholders.size());
  SIO_FUZZ_CHECK(list.totalSteps() == steps);

  // Reconstruction as socket.io-parser does it with the buffers that
  // arrived: legal only if every placeholder's num is a number in
  // [0, arrived). The verdict from the scanner's list must match the one
  // from what was generated, and every referenced attachment is read.
  bool legalExpected = true;
  bool legalFound = true;
  std::size_t bytesRead = 0;
  unsigned checksum = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const PlaceholderList::Entry& entry = list.entry(i);
    const Expected::Placeholder& want = expected.placeholders[i];
    SIO_FUZZ_CHECK(entry.stepCount == want.path.size());
    SIO_FUZZ_CHECK(entry.hasNum == want.hasNum);
    SIO_FUZZ_CHECK(entry.num == want.num);
    for (std::size_t j = 0; j < entry.stepCount; ++j) {
      const PlaceholderList::Step got = list.step(entry, j);
      SIO_FUZZ_CHECK(got.isIndex == want.path[j].isIndex);
      if (got.isIndex) {
        SIO_FUZZ_CHECK(got.index == want.path[j].index);
      } else {
        SIO_FUZZ_CHECK(got.key == want.keys[j]);
      }
    }
    auto inRange = [&](bool hasNum, double num) { return hasNum && num >= 0 && num < arrived; };
    legalExpected = legalExpected && inRange(want.hasNum, want.num);
    const bool ok = inRange(entry.hasNum, entry.num);
    legalFound = legalFound && ok;
    if (ok) {
      // JS indexes buffers[num]: a fractional num reads undefined there;
      // here the check only has to keep the index inside what arrived.
      const std::size_t at = static_cast<std::size_t>(entry.num);
      SIO_FUZZ_CHECK(at < attachments.size());
      for (char c : attachments[at]) checksum += static_cast<unsigned char>(c);
      bytesRead += attachments[at].size();
    }
  }
  SIO_FUZZ_CHECK(legalExpected == legalFound);
  SIO_FUZZ_CHECK(bytesRead <= 31 * list.size() && checksum <= 255 * bytesRead);
  return 0;
}
