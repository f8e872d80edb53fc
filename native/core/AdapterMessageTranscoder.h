#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "Status.h"

namespace sio {

// Turns a broadcast message of @socket.io/redis-adapter's classic adapter,
// `msgpack.encode([uid, packet, opts])` as notepack.io writes it, into what
// the receiving node's adapter derives from it in JS: the sender's uid, the
// packet's type, namespace and ack id, the socket.io packet text exactly as
// socket.io-parser's Encoder writes it for `notepack.decode(message)[1]`
// (binary values replaced by placeholders, as its deconstruct does), the
// byte ranges of the binary attachments, and the rooms, except rooms and
// flags of opts. No JS value is built on the way.
//
// Exactness is the point, so everything whose JS outcome is not certain is
// refused with CannotDecide ("take the JS path"): msgpack ext types (notepack
// turns some into Date or undefined), map keys that are not strings, that
// repeat, or that are "__proto__" (an assignment that changes the
// prototype), array-index keys ("7") that V8 would enumerate before an
// entry holding binary values written earlier (the text follows V8's order,
// index keys first in numeric order, but the placeholders' numbers would
// change),
// strings that are not well-formed UTF-8 (Buffer#toString would put U+FFFD
// in), ack ids and types beyond 2^53 in magnitude, nesting deeper than the
// limit, and
// message shapes the adapter does not publish (other packet or opts keys,
// packet types other than EVENT and ACK, non-string rooms, flags that are
// not booleans). Input that notepack itself cannot decode (truncated,
// trailing bytes, the never-used 0xc1 byte) is MalformedMessage. Nothing is
// ever read outside [data, data + size).
//
// NaN and the infinities become `null`, as JSON.stringify writes them; -0
// becomes `0`. Doubles are written as ECMAScript's Number::toString does.
class AdapterMessageTranscoder {
 public:
  // A byte range of the input.
  struct Range {
    std::uint32_t begin = 0;
    std::uint32_t length = 0;
  };

  // The broadcast flags socket.io's BroadcastOperator sets, by their index in
  // kFlagNames.
  static constexpr std::size_t kFlagCount = 6;
  static constexpr const char* kFlagNames[kFlagCount] = {
      "volatile", "compress", "local", "broadcast", "binary", "expectSingleResponse"};

  struct Flag {
    std::uint8_t name = 0;  // index in kFlagNames
    bool value = false;
  };

  struct Limits {
    // Payloads whose containers nest deeper than this are left to JS (the
    // outermost array or object of `data` is depth 1).
    std::uint32_t maxDepth = 64;
    // Attachments, rooms, except rooms: more than this is left to JS (what
    // the binding can hand back in one fixed array).
    std::uint32_t maxRanges = 1024;
  };

  struct Result {
    Range uid;
    int type = 0;             // the packet's type: 2 (EVENT) or 3 (ACK)
    bool hasNamespace = false;  // false: the adapter takes "/"
    Range nsp;
    bool hasId = false;
    double id = 0;
    // The Encoder's first output, UTF-8; valid until the next transcode().
    std::string_view text;
    bool textIsAscii = true;  // text has no byte >= 0x80
    std::vector<Range> attachments;
    bool hasRooms = false;
    std::vector<Range> rooms;
    bool hasExcept = false;
    std::vector<Range> except;
    bool hasFlags = false;
    std::vector<Flag> flags;  // in message order
  };

  AdapterMessageTranscoder() = default;
  explicit AdapterMessageTranscoder(Limits limits) : limits_(limits) {}

  // Ok, CannotDecide (take the JS path) or MalformedMessage. `out` is
  // complete only on Ok.
  Status transcode(const std::uint8_t* data, std::size_t size, Result& out);

  const Limits& limits() const { return limits_; }

  // Frees the text buffer when it grew beyond `keep` bytes (one huge message
  // should not pin its memory); the last result's text is invalid after it.
  void trim(std::size_t keep);

 private:
  // A header gap at the front of the text buffer: the payload is written
  // after it, and the header (known only once the whole packet map is read,
  // since the adapter publishes `nsp` after `data`) right-aligned before it.
  static constexpr std::size_t kHeaderGap = 64;

  Status readPacket(Result& out);
  Status readOpts(Result& out);
  Status readRoomList(std::vector<Range>& rooms);
  Status writeValue(std::uint32_t depth);
  Status writeString(std::size_t length, bool isKey);
  Status writeMap(std::size_t count, std::uint32_t depth);
  Status writeArray(std::size_t count, std::uint32_t depth);
  void writeNumber(double value);
  void writeInteger(std::int64_t value);
  Status readInteger(std::uint8_t prefix, std::int64_t& value);
  Status readStringHeader(std::size_t& length);
  Status readStringRange(Range& range);
  Status readKey(std::string_view& key);
  Status readContainer(std::uint8_t prefix, bool& isMap, std::size_t& count);
  bool need(std::size_t n) const { return n <= size_ - at_; }
  std::uint32_t be(std::size_t bytes);
  bool checkKeys(std::size_t base);
  bool reorderEntries(std::size_t entryBase, std::size_t body, bool withAttachments);

  // One written map entry, for the reordering of array-index keys.
  struct Entry {
    std::size_t begin = 0;  // in text_, from the key's opening quote
    std::size_t end = 0;    // after the value
    bool isIndex = false;
    std::uint32_t index = 0;
    std::size_t firstAttachment = 0;  // attachments before the entry
    std::size_t endAttachment = 0;    // attachments after it
  };

  void reserve(std::size_t n);
  void put(char c) { text_[pos_++] = c; }
  void put(const char* s, std::size_t n);

  Limits limits_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t at_ = 0;
  std::string text_;
  std::size_t pos_ = 0;
  bool ascii_ = true;
  std::vector<Range>* attachments_ = nullptr;
  // The keys of the maps being written, innermost last, for the duplicate check.
  std::vector<std::string_view> keys_;
  std::vector<std::string_view> sorted_;
  // The entries of the maps being written, innermost last.
  std::vector<Entry> entries_;
  std::string scratch_;
};

}  // namespace sio
