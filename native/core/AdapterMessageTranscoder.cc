#include "AdapterMessageTranscoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "JsNumber.h"

namespace sio {
namespace {

// 2^53: integers up to this magnitude are exact doubles, so notepack's
// `hi * 2^32 + lo` gives the exact value and "" + value its plain digits.
constexpr std::int64_t kMaxSafe = std::int64_t{1} << 53;

// What JSON.stringify does with each byte of a string's UTF-8 form:
// 0 copy, 1 escape, 2 start of a multi-byte sequence (or invalid).
struct ByteClass {
  std::uint8_t table[256] = {};
  constexpr ByteClass() {
    for (int c = 0; c < 0x20; ++c) table[c] = 1;
    table[static_cast<unsigned char>('"')] = 1;
    table[static_cast<unsigned char>('\\')] = 1;
    for (int c = 0x80; c < 0x100; ++c) table[c] = 2;
  }
};
constexpr ByteClass kByteClass;

// The length of the well-formed UTF-8 sequence at p (at most `left` bytes,
// p[0] >= 0x80), or 0 when it is not one (Unicode's Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF). Node's Buffer#toString
// would replace what is not with U+FFFD.
std::size_t sequenceLength(const std::uint8_t* p, std::size_t left) {
  const std::uint8_t b0 = p[0];
  auto cont = [&](std::size_t i, std::uint8_t lo = 0x80, std::uint8_t hi = 0xBF) {
    return i < left && p[i] >= lo && p[i] <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (b0 == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xF1 && b0 <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Whether `key` is an ECMAScript array index ("0", or digits without a
// leading zero up to 2^32 - 2): V8 enumerates those keys first, in numeric
// order, and every other key after them in insertion order.
bool arrayIndex(std::string_view key, std::uint32_t& index) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  std::uint64_t value = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > 4294967294ULL) return false;
  index = static_cast<std::uint32_t>(value);
  return true;
}

std::size_t digitsOf(std::int64_t value, char* out) {
  return static_cast<std::size_t>(std::to_chars(out, out + 24, value).ptr - out);
}

}  // namespace

std::uint32_t AdapterMessageTranscoder::be(std::size_t bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | data_[at_ + i];
  at_ += bytes;
  return value;
}

void AdapterMessageTranscoder::reserve(std::size_t n) {
  if (text_.size() - pos_ >= n) return;
  std::size_t size = std::max<std::size_t>(text_.size() * 2, 256);
  while (size - pos_ < n) size *= 2;
  text_.resize(size);
}

void AdapterMessageTranscoder::trim(std::size_t keep) {
  if (text_.size() > keep) {
    text_ = std::string();
    pos_ = 0;
  }
}

void AdapterMessageTranscoder::put(const char* s, std::size_t n) {
  std::memcpy(text_.data() + pos_, s, n);
  pos_ += n;
}

void AdapterMessageTranscoder::writeInteger(std::int64_t value) {
  reserve(24);
  pos_ += digitsOf(value, text_.data() + pos_);
}

void AdapterMessageTranscoder::writeNumber(double value) {
  reserve(JsNumber::kMaxStringLength);
  // JSON.stringify writes the non-finite numbers as null.
  if (!std::isfinite(value)) {
    put("null", 4);
    return;
  }
  pos_ += JsNumber::toString(value, text_.data() + pos_);
}

Status AdapterMessageTranscoder::readInteger(std::uint8_t prefix, std::int64_t& value) {
  if (prefix < 0x80) {
    value = prefix;
    return Status::Ok;
  }
  if (prefix >= 0xE0) {
    value = static_cast<std::int64_t>(prefix) - 0x100;
    return Status::Ok;
  }
  std::size_t bytes = 0;
  bool isSigned = false;
  switch (prefix) {
    case 0xCC: bytes = 1; break;
    case 0xCD: bytes = 2; break;
    case 0xCE: bytes = 4; break;
    case 0xCF: bytes = 8; break;
    case 0xD0: bytes = 1; isSigned = true; break;
    case 0xD1: bytes = 2; isSigned = true; break;
    case 0xD2: bytes = 4; isSigned = true; break;
    case 0xD3: bytes = 8; isSigned = true; break;
    default: return Status::CannotDecide;
  }
  if (!need(bytes)) return Status::MalformedMessage;
  std::uint64_t raw = 0;
  for (std::size_t i = 0; i < bytes; ++i) raw = (raw << 8) | data_[at_ + i];
  at_ += bytes;
  if (!isSigned) {
    if (raw > static_cast<std::uint64_t>(kMaxSafe)) return Status::CannotDecide;
    value = static_cast<std::int64_t>(raw);
    return Status::Ok;
  }
  // Sign-extend from `bytes` bytes.
  const unsigned shift = static_cast<unsigned>(64 - 8 * bytes);
  value = static_cast<std::int64_t>(raw << shift) >> shift;
  if (value > kMaxSafe || value < -kMaxSafe) return Status::CannotDecide;
  return Status::Ok;
}

Status AdapterMessageTranscoder::readStringHeader(std::size_t& length) {
  if (!need(1)) return Status::MalformedMessage;
  const std::uint8_t prefix = data_[at_++];
  if (prefix >= 0xA0 && prefix <= 0xBF) {
    length = prefix & 0x1F;
  } else if (prefix >= 0xD9 && prefix <= 0xDB) {
    const std::size_t bytes = std::size_t{1} << (prefix - 0xD9);
    if (!need(bytes)) return Status::MalformedMessage;
    length = be(bytes);
  } else {
    // Not a string: notepack would make a string of a number, null, a
    // boolean... for a key or a room, which JS might then treat differently.
    return Status::CannotDecide;
  }
  return Status::Ok;
}

Status AdapterMessageTranscoder::readStringRange(Range& range) {
  std::size_t length = 0;
  if (const Status st = readStringHeader(length); st != Status::Ok) return st;
  if (!need(length)) return Status::MalformedMessage;
  const std::uint8_t* p = data_ + at_;
  for (std::size_t i = 0; i < length;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = sequenceLength(p + i, length - i);
    if (n == 0) return Status::CannotDecide;
    i += n;
  }
  range.begin = static_cast<std::uint32_t>(at_);
  range.length = static_cast<std::uint32_t>(length);
  at_ += length;
  return Status::Ok;
}

Status AdapterMessageTranscoder::readKey(std::string_view& key) {
  Range range;
  const Status status = readStringRange(range);
  if (status != Status::Ok) return status;
  key = std::string_view(reinterpret_cast<const char*>(data_) + range.begin, range.length);
  return Status::Ok;
}

Status AdapterMessageTranscoder::readContainer(std::uint8_t prefix, bool& isMap, std::size_t& count) {
  if (prefix >= 0x80 && prefix <= 0x8F) {
    isMap = true;
    count = prefix & 0x0F;
  } else if (prefix >= 0x90 && prefix <= 0x9F) {
    isMap = false;
    count = prefix & 0x0F;
  } else if (prefix >= 0xDC && prefix <= 0xDF) {
    isMap = prefix >= 0xDE;
    const std::size_t bytes = (prefix & 1) != 0 ? 4 : 2;
    if (!need(bytes)) return Status::MalformedMessage;
    count = be(bytes);
  } else {
    return Status::CannotDecide;
  }
  // Every element takes at least one byte (a map entry two): a count the
  // rest of the input cannot hold is a truncated message, found here rather
  // than after a long loop.
  if (count > size_ - at_ || (isMap && count > (size_ - at_) / 2)) return Status::MalformedMessage;
  return Status::Ok;
}

Status AdapterMessageTranscoder::writeString(std::size_t length, bool isKey) {
  if (!need(length)) return Status::MalformedMessage;
  const std::uint8_t* p = data_ + at_;
  if (isKey) {
    const std::string_view key(reinterpret_cast<const char*>(p), length);
    // Assigning "__proto__" sets the prototype instead of adding a key.
    if (key == "__proto__") return Status::CannotDecide;
    keys_.push_back(key);
  }
  // At most 6 bytes out per byte in (\u00XX): reserved a chunk at a time,
  // so that a long string does not reserve six times its size up front.
  constexpr std::size_t kChunk = 16 * 1024;
  reserve(1);
  put('"');
  std::size_t i = 0;
  while (i < length) {
    const std::size_t chunkEnd = std::min(length, i + kChunk);
    // A sequence that starts in the chunk may end up to 3 bytes after it.
    reserve(6 * (chunkEnd - i) + 4);
    char* out = text_.data();
    std::size_t o = pos_;
    while (i < chunkEnd) {
      const std::size_t start = i;
      while (i < chunkEnd && kByteClass.table[p[i]] == 0) ++i;
      std::memcpy(out + o, p + start, i - start);
      o += i - start;
      if (i == chunkEnd) break;
      const std::uint8_t c = p[i];
      if (c >= 0x80) {
        const std::size_t n = sequenceLength(p + i, length - i);
        if (n == 0) return Status::CannotDecide;
        std::memcpy(out + o, p + i, n);
        o += n;
        i += n;
        ascii_ = false;
        continue;
      }
      out[o++] = '\\';
      switch (c) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '\b': out[o++] = 'b'; break;
        case '\f': out[o++] = 'f'; break;
        case '\n': out[o++] = 'n'; break;
        case '\r': out[o++] = 'r'; break;
        case '\t': out[o++] = 't'; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          out[o++] = 'u';
          out[o++] = '0';
          out[o++] = '0';
          out[o++] = kHex[c >> 4];
          out[o++] = kHex[c & 0x0F];
        }
      }
      ++i;
    }
    pos_ = o;
  }
  reserve(1);
  put('"');
  at_ += length;
  return Status::Ok;
}

bool AdapterMessageTranscoder::checkKeys(std::size_t base) {
  const std::size_t n = keys_.size() - base;
  if (n <= 16) {
    for (std::size_t i = base; i < keys_.size(); ++i) {
      for (std::size_t j = i + 1; j < keys_.size(); ++j) {
        if (keys_[i] == keys_[j]) return false;
      }
    }
    return true;
  }
  sorted_.assign(keys_.begin() + static_cast<std::ptrdiff_t>(base), keys_.end());
  std::sort(sorted_.begin(), sorted_.end());
  return std::adjacent_find(sorted_.begin(), sorted_.end()) == sorted_.end();
}

Status AdapterMessageTranscoder::writeMap(std::size_t count, std::uint32_t depth) {
  const std::size_t base = keys_.size();
  const std::size_t entryBase = entries_.size();
  const std::size_t attachmentsBefore = attachments_->size();
  bool anyIndex = false;
  reserve(1);
  put('{');
  const std::size_t body = pos_;
  for (std::size_t k = 0; k < count; ++k) {
    if (k > 0) {
      reserve(1);
      put(',');
    }
    const std::size_t start = pos_;
    std::size_t length = 0;
    if (const Status st = readStringHeader(length); st != Status::Ok) return st;
    Entry entry;
    entry.firstAttachment = attachments_->size();
    if (need(length)) {
      entry.isIndex = arrayIndex(std::string_view(reinterpret_cast<const char*>(data_) + at_, length), entry.index);
    }
    Status status = writeString(length, true);
    if (status != Status::Ok) return status;
    reserve(1);
    put(':');
    status = writeValue(depth);
    if (status != Status::Ok) return status;
    entry.begin = start;
    entry.end = pos_;
    entry.endAttachment = attachments_->size();
    anyIndex = anyIndex || entry.isIndex;
    entries_.push_back(entry);
  }
  if (!checkKeys(base)) return Status::CannotDecide;
  keys_.resize(base);
  if (anyIndex && !reorderEntries(entryBase, body, attachments_->size() != attachmentsBefore)) {
    return Status::CannotDecide;
  }
  entries_.resize(entryBase);
  reserve(1);
  put('}');
  return Status::Ok;
}

bool AdapterMessageTranscoder::reorderEntries(std::size_t entryBase, std::size_t body, bool withAttachments) {
  // The entries as written, then written again over the same bytes (the
  // same total length): array-index keys first in numeric order, the others
  // after them in message order, as V8 enumerates the decoded object.
  const auto first = entries_.begin() + static_cast<std::ptrdiff_t>(entryBase);
  std::stable_sort(first, entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.isIndex != b.isIndex) return a.isIndex;
    return a.isIndex && a.index < b.index;
  });
  if (withAttachments) {
    // socket.io-parser numbers placeholders in enumeration order: the
    // entries holding attachments must keep their relative order, or the
    // numbers written would be wrong.
    std::size_t next = 0;
    for (auto it = first; it != entries_.end(); ++it) {
      if (it->endAttachment == it->firstAttachment) continue;
      if (it->firstAttachment < next) return false;
      next = it->endAttachment;
    }
  }
  scratch_.assign(text_.data() + body, pos_ - body);
  std::size_t o = body;
  for (auto it = first; it != entries_.end(); ++it) {
    if (it != first) text_[o++] = ',';
    std::memcpy(text_.data() + o, scratch_.data() + (it->begin - body), it->end - it->begin);
    o += it->end - it->begin;
  }
  return true;
}

Status AdapterMessageTranscoder::writeArray(std::size_t count, std::uint32_t depth) {
  reserve(1);
  put('[');
  for (std::size_t k = 0; k < count; ++k) {
    if (k > 0) {
      reserve(1);
      put(',');
    }
    const Status status = writeValue(depth);
    if (status != Status::Ok) return status;
  }
  reserve(1);
  put(']');
  return Status::Ok;
}

Status AdapterMessageTranscoder::writeValue(std::uint32_t depth) {
  if (!need(1)) return Status::MalformedMessage;
  const std::uint8_t prefix = data_[at_];
  if (prefix < 0x80 || prefix >= 0xE0) {
    ++at_;
    writeInteger(prefix < 0x80 ? prefix : static_cast<std::int64_t>(prefix) - 0x100);
    return Status::Ok;
  }
  if (prefix < 0xA0 || prefix == 0xDC || prefix == 0xDD || prefix == 0xDE || prefix == 0xDF) {
    ++at_;
    if (depth >= limits_.maxDepth) return Status::CannotDecide;
    bool isMap = false;
    std::size_t count = 0;
    const Status status = readContainer(prefix, isMap, count);
    if (status != Status::Ok) return status;
    return isMap ? writeMap(count, depth + 1) : writeArray(count, depth + 1);
  }
  if (prefix <= 0xBF) {
    ++at_;
    return writeString(prefix & 0x1F, false);
  }
  ++at_;
  switch (prefix) {
    case 0xC0:
      reserve(4);
      put("null", 4);
      return Status::Ok;
    case 0xC2:
      reserve(5);
      put("false", 5);
      return Status::Ok;
    case 0xC3:
      reserve(4);
      put("true", 4);
      return Status::Ok;
    case 0xC4: case 0xC5: case 0xC6: {
      // A Buffer: socket.io-parser's deconstruct puts a placeholder in its
      // place and the bytes in the attachment list, in traversal order.
      const std::size_t bytes = std::size_t{1} << (prefix - 0xC4);
      if (!need(bytes)) return Status::MalformedMessage;
      const std::size_t length = be(bytes);
      if (!need(length)) return Status::MalformedMessage;
      if (attachments_->size() >= limits_.maxRanges) return Status::CannotDecide;
      const std::int64_t num = static_cast<std::int64_t>(attachments_->size());
      attachments_->push_back(Range{static_cast<std::uint32_t>(at_), static_cast<std::uint32_t>(length)});
      at_ += length;
      static constexpr char kPlaceholder[] = "{\"_placeholder\":true,\"num\":";
      reserve(sizeof kPlaceholder);
      put(kPlaceholder, sizeof kPlaceholder - 1);
      writeInteger(num);
      reserve(1);
      put('}');
      return Status::Ok;
    }
    case 0xCA: {
      if (!need(4)) return Status::MalformedMessage;
      const std::uint32_t bits = be(4);
      float value = 0;
      std::memcpy(&value, &bits, sizeof value);
      writeNumber(static_cast<double>(value));
      return Status::Ok;
    }
    case 0xCB: {
      if (!need(8)) return Status::MalformedMessage;
      const std::uint64_t bits = (static_cast<std::uint64_t>(be(4)) << 32) | be(4);
      double value = 0;
      std::memcpy(&value, &bits, sizeof value);
      writeNumber(value);
      return Status::Ok;
    }
    case 0xCF: case 0xD3: {
      // notepack computes `hi * 2^32 + lo` in doubles (hi read as unsigned
      // for uint64, signed for int64). The product is exact, so the sum is
      // the exact 64-bit value rounded once; the same two operations here
      // give the same double, which then prints as JS prints it (a fused
      // multiply-add would round the same exact sum once too).
      if (!need(8)) return Status::MalformedMessage;
      const std::uint32_t hi = be(4);
      const std::uint32_t lo = be(4);
      const double high = prefix == 0xCF ? static_cast<double>(hi) : static_cast<double>(static_cast<std::int32_t>(hi));
      const double value = high * 4294967296.0 + static_cast<double>(lo);
      if (std::fabs(value) <= static_cast<double>(kMaxSafe)) {
        writeInteger(static_cast<std::int64_t>(value));
      } else {
        writeNumber(value);
      }
      return Status::Ok;
    }
    case 0xCC: case 0xCD: case 0xCE:
    case 0xD0: case 0xD1: case 0xD2: {
      std::int64_t value = 0;
      const Status status = readInteger(prefix, value);
      if (status != Status::Ok) return status;
      writeInteger(value);
      return Status::Ok;
    }
    case 0xD9: case 0xDA: case 0xDB: {
      const std::size_t bytes = std::size_t{1} << (prefix - 0xD9);
      if (!need(bytes)) return Status::MalformedMessage;
      return writeString(be(bytes), false);
    }
    case 0xC1:
      // Never used by msgpack: notepack throws "Could not parse".
      return Status::MalformedMessage;
    default:
      // Extension types (0xC7-0xC9, 0xD4-0xD8): notepack makes Dates,
      // undefined, ArrayBuffers or [type, Buffer] pairs of them.
      return Status::CannotDecide;
  }
}

Status AdapterMessageTranscoder::readRoomList(std::vector<Range>& rooms) {
  if (!need(1)) return Status::MalformedMessage;
  const std::uint8_t prefix = data_[at_++];
  bool isMap = false;
  std::size_t count = 0;
  const Status status = readContainer(prefix, isMap, count);
  if (status != Status::Ok) return status;
  if (isMap || count > limits_.maxRanges) return Status::CannotDecide;
  rooms.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    // A room that is not a string (socket.io allows numbers) is left to JS.
    const Status s = readStringRange(rooms[i]);
    if (s != Status::Ok) return s;
  }
  return Status::Ok;
}

Status AdapterMessageTranscoder::readOpts(Result& out) {
  if (!need(1)) return Status::MalformedMessage;
  const std::uint8_t prefix = data_[at_++];
  bool isMap = false;
  std::size_t count = 0;
  Status status = readContainer(prefix, isMap, count);
  if (status != Status::Ok) return status;
  if (!isMap) return Status::CannotDecide;
  for (std::size_t k = 0; k < count; ++k) {
    std::string_view key;
    status = readKey(key);
    if (status != Status::Ok) return status;
    if (key == "rooms" && !out.hasRooms) {
      out.hasRooms = true;
      status = readRoomList(out.rooms);
    } else if (key == "except" && !out.hasExcept) {
      out.hasExcept = true;
      status = readRoomList(out.except);
    } else if (key == "flags" && !out.hasFlags) {
      out.hasFlags = true;
      if (!need(1)) return Status::MalformedMessage;
      bool flagsIsMap = false;
      std::size_t flagCount = 0;
      status = readContainer(data_[at_++], flagsIsMap, flagCount);
      if (status != Status::Ok) return status;
      if (!flagsIsMap) return Status::CannotDecide;
      const std::size_t base = keys_.size();
      for (std::size_t f = 0; f < flagCount; ++f) {
        std::string_view name;
        status = readKey(name);
        if (status != Status::Ok) return status;
        std::size_t index = 0;
        while (index < kFlagCount && name != kFlagNames[index]) ++index;
        if (index == kFlagCount) return Status::CannotDecide;
        keys_.push_back(name);
        if (!need(1)) return Status::MalformedMessage;
        const std::uint8_t value = data_[at_++];
        // `timeout` (a number) only comes with acks, which never arrive here.
        if (value != 0xC2 && value != 0xC3) return Status::CannotDecide;
        out.flags.push_back(Flag{static_cast<std::uint8_t>(index), value == 0xC3});
      }
      if (!checkKeys(base)) return Status::CannotDecide;
      keys_.resize(base);
    } else {
      return Status::CannotDecide;
    }
    if (status != Status::Ok) return status;
  }
  return Status::Ok;
}

Status AdapterMessageTranscoder::readPacket(Result& out) {
  if (!need(1)) return Status::MalformedMessage;
  bool isMap = false;
  std::size_t count = 0;
  Status status = readContainer(data_[at_++], isMap, count);
  if (status != Status::Ok) return status;
  if (!isMap) return Status::CannotDecide;
  bool hasType = false;
  bool hasData = false;
  bool payload = false;
  for (std::size_t k = 0; k < count; ++k) {
    std::string_view key;
    status = readKey(key);
    if (status != Status::Ok) return status;
    if (key == "type" && !hasType) {
      hasType = true;
      if (!need(1)) return Status::MalformedMessage;
      std::int64_t type = 0;
      status = readInteger(data_[at_++], type);
      if (status != Status::Ok) return status;
      // socket.io broadcasts EVENTs (acks of remote broadcasts go through
      // requests); the other types have another encoding path.
      if (type != 2 && type != 3) return Status::CannotDecide;
      out.type = static_cast<int>(type);
    } else if (key == "data" && !hasData) {
      hasData = true;
      if (!need(1)) return Status::MalformedMessage;
      if (data_[at_] == 0xC0) {
        // null: the Encoder writes no payload (`data != null`).
        ++at_;
      } else {
        payload = true;
        status = writeValue(0);
      }
    } else if (key == "nsp" && !out.hasNamespace) {
      out.hasNamespace = true;
      status = readStringRange(out.nsp);
    } else if (key == "id" && !out.hasId) {
      // An ack id: JS writes "" + id, so only plain integers are exact.
      out.hasId = true;
      if (!need(1)) return Status::MalformedMessage;
      std::int64_t id = 0;
      status = readInteger(data_[at_++], id);
      out.id = static_cast<double>(id);
    } else {
      return Status::CannotDecide;
    }
    if (status != Status::Ok) return status;
  }
  if (!hasType) return Status::CannotDecide;

  // The header, as socket.io-parser's encodeAsString writes it.
  char header[kHeaderGap];
  std::size_t h = 0;
  const std::size_t attachments = out.attachments.size();
  if (attachments > 0) {
    header[h++] = out.type == 2 ? '5' : '6';
    h += digitsOf(static_cast<std::int64_t>(attachments), header + h);
    header[h++] = '-';
  } else {
    header[h++] = static_cast<char>('0' + out.type);
  }
  const std::string_view nsp(reinterpret_cast<const char*>(data_) + out.nsp.begin, out.nsp.length);
  const bool nspPrefix = out.hasNamespace && !nsp.empty() && nsp != "/";
  char idDigits[24];
  const std::size_t idLength = out.hasId ? digitsOf(static_cast<std::int64_t>(out.id), idDigits) : 0;
  const std::size_t headerLength = h + (nspPrefix ? nsp.size() + 1 : 0) + idLength;
  const std::size_t payloadLength = payload ? pos_ - kHeaderGap : 0;
  std::size_t start = 0;
  if (headerLength <= kHeaderGap) {
    start = kHeaderGap - headerLength;
  } else {
    // A long namespace: move the payload to make room.
    pos_ = kHeaderGap + payloadLength;
    reserve(headerLength - kHeaderGap);
    std::memmove(text_.data() + headerLength, text_.data() + kHeaderGap, payloadLength);
    pos_ = headerLength + payloadLength;
  }
  char* dst = text_.data() + start;
  std::memcpy(dst, header, h);
  dst += h;
  if (nspPrefix) {
    std::memcpy(dst, nsp.data(), nsp.size());
    dst += nsp.size();
    *dst++ = ',';
    for (unsigned char c : nsp) {
      if (c >= 0x80) ascii_ = false;
    }
  }
  std::memcpy(dst, idDigits, idLength);
  out.text = std::string_view(text_.data() + start, headerLength + payloadLength);
  return Status::Ok;
}

Status AdapterMessageTranscoder::transcode(const std::uint8_t* data, std::size_t size, Result& out) {
  // Field by field, so that the vectors keep their capacity between calls.
  out.uid = Range{};
  out.type = 0;
  out.hasNamespace = false;
  out.nsp = Range{};
  out.hasId = false;
  out.id = 0;
  out.text = std::string_view();
  out.textIsAscii = true;
  out.attachments.clear();
  out.hasRooms = false;
  out.rooms.clear();
  out.hasExcept = false;
  out.except.clear();
  out.hasFlags = false;
  out.flags.clear();
  data_ = data;
  size_ = size;
  at_ = 0;
  ascii_ = true;
  keys_.clear();
  entries_.clear();
  attachments_ = &out.attachments;
  // Ranges are 32-bit.
  if (size > std::numeric_limits<std::uint32_t>::max()) return Status::CannotDecide;
  reserve(kHeaderGap);
  pos_ = kHeaderGap;

  if (!need(1)) return Status::MalformedMessage;
  bool isMap = false;
  std::size_t count = 0;
  Status status = readContainer(data_[at_++], isMap, count);
  if (status != Status::Ok) return status;
  // [uid, packet, opts]: another shape is for the adapter's JS to judge.
  if (isMap || count != 3) return Status::CannotDecide;
  status = readStringRange(out.uid);
  if (status != Status::Ok) return status;
  status = readPacket(out);
  if (status != Status::Ok) return status;
  status = readOpts(out);
  if (status != Status::Ok) return status;
  // notepack throws on trailing bytes.
  if (at_ != size_) return Status::MalformedMessage;
  out.textIsAscii = ascii_;
  return Status::Ok;
}

}  // namespace sio
