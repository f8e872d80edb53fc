// Fuzz target: AdapterMessageTranscoder on arbitrary bytes (a classic Redis
// adapter message is msgpack, so the input is the message itself). Beyond
// "never crashes, never reads outside the input" (ASan), whatever it accepts
// is checked:
//  - every range (uid, namespace, attachments, rooms, except rooms) lies in
//    the input;
//  - the text starts with the header socket.io-parser's encodeAsString
//    writes for the reported type, attachment count, namespace and id, and
//    the rest is valid JSON (ReferenceJson, which also checks the UTF-8; the
//    simdjson-based scanner answers socket.io's payload rules, not "is this
//    JSON", and simdjson used directly from this RTTI-enabled file trips
//    UBSan's vptr check against the -fno-rtti core);
//  - no object in it has a key the transcoder must refuse (repeated,
//    "__proto__"), and array-index keys come first in ascending order;
//  - each attachment number 0..n-1 appears as a placeholder object;
//  - textIsAscii is true exactly when no byte of the text is >= 0x80;
//  - with smaller limits the answer is the same or CannotDecide, never
//    another text, and a second transcode with the same object (reused
//    buffers) gives the same result.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "AdapterMessageTranscoder.h"
#include "FuzzCheck.h"
#include "ReferenceJson.h"
#include "Status.h"

namespace {

using sio::AdapterMessageTranscoder;
using sio::Status;
using Range = AdapterMessageTranscoder::Range;

bool inside(Range r, std::size_t size) {
  return static_cast<std::size_t>(r.begin) + r.length <= size;
}

std::string digits(std::size_t n) { return std::to_string(n); }

void checkAccepted(const std::uint8_t* data, std::size_t size, const AdapterMessageTranscoder::Result& r) {
  SIO_FUZZ_CHECK(r.type == 2 || r.type == 3);
  SIO_FUZZ_CHECK(inside(r.uid, size));
  SIO_FUZZ_CHECK(!r.hasNamespace || inside(r.nsp, size));
  for (const Range& a : r.attachments) SIO_FUZZ_CHECK(inside(a, size));
  for (const Range& a : r.rooms) SIO_FUZZ_CHECK(inside(a, size));
  for (const Range& a : r.except) SIO_FUZZ_CHECK(inside(a, size));
  SIO_FUZZ_CHECK(r.hasRooms || r.rooms.empty());
  SIO_FUZZ_CHECK(r.hasExcept || r.except.empty());
  for (const auto& f : r.flags) SIO_FUZZ_CHECK(f.name < AdapterMessageTranscoder::kFlagCount);

  // The header.
  std::string header;
  const std::size_t n = r.attachments.size();
  if (n > 0) {
    header += r.type == 2 ? '5' : '6';
    header += digits(n);
    header += '-';
  } else {
    header += static_cast<char>('0' + r.type);
  }
  const std::string_view nsp(reinterpret_cast<const char*>(data) + r.nsp.begin, r.hasNamespace ? r.nsp.length : 0);
  if (!nsp.empty() && nsp != "/") {
    header += nsp;
    header += ',';
  }
  if (r.hasId) header += std::to_string(static_cast<long long>(r.id));
  const std::string_view text = r.text;
  SIO_FUZZ_CHECK(text.substr(0, header.size()) == header);

  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  SIO_FUZZ_CHECK(ascii == r.textIsAscii);

  const std::string_view payload = text.substr(header.size());
  std::set<double> nums;
  if (!payload.empty()) {
    sio::fuzz::ReferenceJson json(AdapterMessageTranscoder::Limits{}.maxDepth + 2);
    SIO_FUZZ_CHECK(json.parse(payload) == sio::fuzz::ReferenceJson::Result::Valid);
    // Every node the reader made, objects checked.
    for (std::size_t i = 0; i < json.nodeCount(); ++i) {
      const auto& node = json.node(i);
      if (node.kind == sio::fuzz::ReferenceJson::Kind::Object) {
        const std::set<std::string> unique(node.keys.begin(), node.keys.end());
        SIO_FUZZ_CHECK(unique.size() == node.keys.size());
        // Array-index keys first, ascending, as V8 enumerates them.
        bool pastIndexes = false;
        double last = -1;
        for (const std::string& key : node.keys) {
          SIO_FUZZ_CHECK(key != "__proto__");
          const bool index = !key.empty() && key.size() <= 10 && (key.size() == 1 || key[0] != '0') &&
                             key.find_first_not_of("0123456789") == std::string::npos &&
                             std::stod(key) <= 4294967294.0;
          if (index) {
            SIO_FUZZ_CHECK(!pastIndexes && std::stod(key) > last);
            last = std::stod(key);
          } else {
            pastIndexes = true;
          }
        }
        if (node.keys.size() == 2 && node.keys[0] == "_placeholder" && node.keys[1] == "num" &&
            json.node(node.children[0]).kind == sio::fuzz::ReferenceJson::Kind::True &&
            json.node(node.children[1]).kind == sio::fuzz::ReferenceJson::Kind::Number) {
          nums.insert(json.node(node.children[1]).number);
        }
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) SIO_FUZZ_CHECK(nums.count(static_cast<double>(i)) == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static AdapterMessageTranscoder transcoder;
  AdapterMessageTranscoder::Result result;
  const Status status = transcoder.transcode(data, size, result);
  SIO_FUZZ_CHECK(status == Status::Ok || status == Status::CannotDecide || status == Status::MalformedMessage);
  if (status != Status::Ok) {
    AdapterMessageTranscoder::Result again;
    SIO_FUZZ_CHECK(transcoder.transcode(data, size, again) == status);
    return 0;
  }
  checkAccepted(data, size, result);
  const std::string text(result.text);

  AdapterMessageTranscoder::Result again;
  SIO_FUZZ_CHECK(transcoder.transcode(data, size, again) == Status::Ok);
  SIO_FUZZ_CHECK(again.text == text);
  SIO_FUZZ_CHECK(again.attachments.size() == result.attachments.size());

  AdapterMessageTranscoder::Limits small;
  small.maxDepth = 2;
  small.maxRanges = 1;
  AdapterMessageTranscoder limited(small);
  AdapterMessageTranscoder::Result bounded;
  const Status limitedStatus = limited.transcode(data, size, bounded);
  SIO_FUZZ_CHECK(limitedStatus == Status::Ok || limitedStatus == Status::CannotDecide);
  if (limitedStatus == Status::Ok) SIO_FUZZ_CHECK(bounded.text == text);
  return 0;
}
