#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "PlaceholderList.h"
#include "Status.h"

namespace sio {

// Validates socket.io JSON payloads and finds binary placeholders with
// simdjson, without building any JS value (V8's JSON.parse materializes
// faster than any binding could). It is the only file that includes
// simdjson.h.
//
// Results follow what socket.io-parser does with JSON.parse's output:
//  - Status::Ok / Status::InvalidPayload when the answer is certain;
//  - Status::CannotDecide wherever simdjson and V8 disagree or a limit is
//    hit: nesting beyond maxDepth (V8 has no limit), numbers beyond double
//    range (V8 gives Infinity), integers beyond 64 bits, "\uD800"-style lone
//    surrogate escapes (V8 accepts them), input beyond maxBytes. The caller
//    then does the work with JSON.parse.
// The input must be UTF-8; invalid UTF-8 (which a JS string can never turn
// into) is reported as InvalidPayload.
class JsonScanner {
 public:
  // simdjson's document takes about 14 bytes per input byte (tape, string
  // buffer, structural indexes) and the binding's UTF-8 buffer up to 3 more,
  // so maxBytes bounds a call's memory to roughly 17 x maxBytes; buffers above
  // 1 MiB are released after the call that needed them. socket.io's default
  // maxHttpBufferSize is 1 MB, so larger payloads are rare: JS handles them.
  struct Limits {
    std::size_t maxBytes = std::size_t{4} << 20;
    std::size_t maxDepth = 1024;
    std::size_t maxPlaceholders = 1024;  // more candidates: CannotDecide
    std::size_t maxPathSteps = 65536;    // summed over all candidates
  };

  // Bytes the scanner reads past the end of the input (simdjson's padding);
  // inputBuffer() provides them.
  static constexpr std::size_t kPadding = 64;

  JsonScanner();
  explicit JsonScanner(const Limits& limits);
  ~JsonScanner();
  JsonScanner(const JsonScanner&) = delete;
  JsonScanner& operator=(const JsonScanner&) = delete;

  const Limits& limits() const { return limits_; }

  // A buffer of at least `capacity` + kPadding bytes, kept between calls, that
  // the caller may fill and then hand to the *Input methods as the payload's
  // [begin, begin + length) range: the binding has V8 write a whole packet
  // string into it as UTF-8 and points past the header.
  char* inputBuffer(std::size_t capacity);

  // socket.io-parser's Decoder.isPayloadValid(type, JSON.parse(payload)),
  // where a JSON syntax error makes the payload invalid.
  Status validateInput(std::size_t begin, std::size_t length, double packetType);
  Status validate(std::string_view json, double packetType);

  // Every object whose "_placeholder" key is `true` (any occurrence, so the
  // list may hold an object whose last duplicate key overrides it: callers
  // verify each path on the parsed value), in document order, with its last
  // "num" when that is a number. The scan does not descend into an object
  // whose effective (last) "_placeholder" is true, as reconstructPacket does
  // not, and descends into everything else, overridden duplicates included,
  // so no placeholder JSON.parse would keep is ever missed.
  Status findPlaceholdersInInput(std::size_t begin, std::size_t length, PlaceholderList& out);
  Status findPlaceholders(std::string_view json, PlaceholderList& out);

 private:
  struct Impl;
  Status parse(std::size_t begin, std::size_t length);
  void releaseLargeBuffers();

  Limits limits_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sio
