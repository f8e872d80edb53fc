#include "JsonScanner.h"

#include <simdjson.h>

#include <cstring>
#include <vector>

namespace sio {
namespace {

static_assert(JsonScanner::kPadding >= simdjson::SIMDJSON_PADDING);

// Buffers above this size are released after the call that needed them, so
// one huge packet does not pin its memory for the life of the process.
constexpr std::size_t kRetainBytes = std::size_t{1} << 20;

constexpr int kConnect = 0;
constexpr int kDisconnect = 1;
constexpr int kEvent = 2;
constexpr int kAck = 3;
constexpr int kConnectError = 4;
constexpr int kBinaryEvent = 5;
constexpr int kBinaryAck = 6;

// socket.io-parser's RESERVED_EVENTS.
constexpr std::string_view kReservedEvents[] = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

bool isJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The first byte of any JSON value. Checking it up front also rejects a
// leading byte order mark, which simdjson skips but JSON.parse rejects.
bool canStartValue(char c) {
  return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' ||
         c == 'f' || c == 'n';
}

Status statusOf(simdjson::error_code error) {
  switch (error) {
    case simdjson::SUCCESS:
      return Status::Ok;
    // simdjson rejects these where V8 accepts (or, for malformed numbers and
    // escapes, rejects too): let JSON.parse decide.
    case simdjson::NUMBER_ERROR:
    case simdjson::BIGINT_ERROR:
    case simdjson::STRING_ERROR:
    case simdjson::DEPTH_ERROR:
    case simdjson::CAPACITY:
    case simdjson::MEMALLOC:
      return Status::CannotDecide;
    default:
      return Status::InvalidPayload;
  }
}

int typeCode(double packetType) {
  if (!(packetType >= 0 && packetType <= 6)) return -1;
  const int type = static_cast<int>(packetType);
  return type == packetType ? type : -1;
}

// Whether the first byte of the payload already settles that the payload is
// invalid for this packet type, whatever follows (a JSON syntax error would
// make it invalid as well). This keeps hostile deep nesting of the wrong kind
// from ever reaching "cannot decide".
bool rootCanMatch(int type, char first) {
  switch (type) {
    case kConnect: return first == '{';
    case kConnectError: return first == '{' || first == '"';
    case kEvent:
    case kAck:
    case kBinaryEvent:
    case kBinaryAck: return first == '[';
    case kDisconnect: return false;  // a DISCONNECT packet takes no payload
    default: return false;           // unknown types have no valid payload
  }
}

constexpr std::uint64_t kTapeValueMask = 0x00FFFFFFFFFFFFFFULL;

bool isNumber(simdjson::dom::element_type type) {
  return type == simdjson::dom::element_type::INT64 ||
         type == simdjson::dom::element_type::UINT64 ||
         type == simdjson::dom::element_type::DOUBLE;
}

}  // namespace

struct JsonScanner::Impl {
  simdjson::dom::parser parser;
  simdjson::dom::document doc;
  simdjson::dom::element root;
  std::unique_ptr<char[]> input;
  std::size_t inputCapacity = 0;

  // The placeholder walk reads the document's tape directly (its layout is
  // simdjson's documented tape format; the version is pinned in
  // package.json). The tape gives what the element API does not: positions,
  // so whole subtrees without a "_placeholder" string can be skipped in one
  // step. Frames make the walk iterative, so no input can exhaust the stack.
  struct Frame {
    bool isArray;
    std::size_t at;        // tape index of the next child (of the next key)
    std::size_t close;     // tape index of the closing bracket
    std::uint64_t index;   // current child of an array
    std::uint64_t next;    // next child of an array
    std::string_view key;  // current child of an object
  };
  std::vector<Frame> frames;
  std::vector<std::size_t> candidates;  // tape indexes of "_placeholder" strings
  std::vector<PlaceholderList::Step> path;

  explicit Impl(std::size_t maxBytes) : parser(maxBytes) {}
};

JsonScanner::JsonScanner() : JsonScanner(Limits{}) {}

JsonScanner::JsonScanner(const Limits& limits)
    : limits_(limits), impl_(std::make_unique<Impl>(limits.maxBytes)) {}

JsonScanner::~JsonScanner() = default;

char* JsonScanner::inputBuffer(std::size_t capacity) {
  if (impl_->inputCapacity < capacity || !impl_->input) {
    // Uninitialized on purpose: the caller overwrites what it uses, and
    // parse() zeroes the padding after the payload.
    impl_->input.reset(new char[capacity + kPadding]);
    impl_->inputCapacity = capacity;
  }
  return impl_->input.get();
}

void JsonScanner::releaseLargeBuffers() {
  if (impl_->inputCapacity > kRetainBytes) {
    impl_->input.reset();
    impl_->inputCapacity = 0;
  }
  if (impl_->parser.capacity() > kRetainBytes) {
    impl_->parser = simdjson::dom::parser(limits_.maxBytes);
    impl_->doc = simdjson::dom::document();
  }
}

Status JsonScanner::parse(std::size_t begin, std::size_t length) {
  if (length > limits_.maxBytes) return Status::CannotDecide;
  simdjson::dom::parser& parser = impl_->parser;
  // simdjson refuses a document whose nesting reaches its max_depth; ours
  // decides everything nested up to and including limits_.maxDepth.
  const std::size_t simdjsonDepth = limits_.maxDepth + 1;
  if (parser.capacity() < length || parser.max_depth() != simdjsonDepth) {
    const std::size_t capacity = length < 4096 ? 4096 : length;
    if (parser.allocate(capacity, simdjsonDepth) != simdjson::SUCCESS) {
      return Status::CannotDecide;
    }
  }
  char* text = impl_->input.get() + begin;
  std::memset(text + length, 0, kPadding);
  auto result = parser.parse_into_document(impl_->doc, text, length, false);
  if (result.error() != simdjson::SUCCESS) return statusOf(result.error());
  impl_->root = result.value_unsafe();
  return Status::Ok;
}

Status JsonScanner::validate(std::string_view json, double packetType) {
  std::memcpy(inputBuffer(json.size()), json.data(), json.size());
  return validateInput(0, json.size(), packetType);
}

Status JsonScanner::validateInput(std::size_t begin, std::size_t length, double packetType) {
  const char* text = impl_->input.get() + begin;
  std::size_t first = 0;
  while (first < length && isJsonSpace(text[first])) ++first;
  if (first == length || !canStartValue(text[first])) return Status::InvalidPayload;
  const int type = typeCode(packetType);
  if (!rootCanMatch(type, text[first])) return Status::InvalidPayload;

  Status status = parse(begin, length);
  if (status == Status::Ok && type != kConnect && type != kConnectError) {
    // EVENT and ACK kinds: the root is an array (checked above). Events also
    // need a first element that is a number or a non-reserved string.
    if (type == kEvent || type == kBinaryEvent) {
      simdjson::dom::array array = impl_->root.get_array().value_unsafe();
      auto it = array.begin();
      if (it == array.end()) {
        status = Status::InvalidPayload;
      } else {
        simdjson::dom::element name = *it;
        if (name.type() == simdjson::dom::element_type::STRING) {
          const std::string_view value = name.get_string().value_unsafe();
          for (std::string_view reserved : kReservedEvents) {
            if (value == reserved) status = Status::InvalidPayload;
          }
        } else if (!isNumber(name.type())) {
          status = Status::InvalidPayload;
        }
      }
    }
  }
  releaseLargeBuffers();
  return status;
}

Status JsonScanner::findPlaceholders(std::string_view json, PlaceholderList& out) {
  std::memcpy(inputBuffer(json.size()), json.data(), json.size());
  return findPlaceholdersInInput(0, json.size(), out);
}

Status JsonScanner::findPlaceholdersInInput(std::size_t begin, std::size_t length,
                                            PlaceholderList& out) {
  out.clear();
  const char* text = impl_->input.get() + begin;
  std::size_t first = 0;
  while (first < length && isJsonSpace(text[first])) ++first;
  if (first == length || !canStartValue(text[first])) return Status::InvalidPayload;
  Status status = parse(begin, length);
  if (status != Status::Ok) {
    releaseLargeBuffers();
    return status;
  }

  const std::uint64_t* tape = impl_->doc.tape.get();
  const std::uint8_t* strings = impl_->doc.string_buf.get();
  auto typeAt = [&](std::size_t i) { return static_cast<char>(tape[i] >> 56); };
  auto stringAt = [&](std::size_t i) {
    const std::size_t offset = static_cast<std::size_t>(tape[i] & kTapeValueMask);
    std::uint32_t length;
    std::memcpy(&length, strings + offset, sizeof length);
    return std::string_view(reinterpret_cast<const char*>(strings + offset + sizeof length), length);
  };
  // The tape index after the value at i: containers store it, numbers take
  // two entries.
  auto after = [&](std::size_t i) -> std::size_t {
    switch (typeAt(i)) {
      case '[':
      case '{': return static_cast<std::uint32_t>(tape[i]);
      case 'l':
      case 'u':
      case 'd': return i + 2;
      default: return i + 1;
    }
  };

  // Entry 0 is the root marker, whose value is the index of the final one;
  // the root value starts at 1.
  const std::size_t tapeEnd = static_cast<std::size_t>(tape[0] & kTapeValueMask);
  auto& candidates = impl_->candidates;
  candidates.clear();
  for (std::size_t i = 1; i < tapeEnd;) {
    const char type = typeAt(i);
    if (type == '"' && stringAt(i) == "_placeholder") candidates.push_back(i);
    i += (type == 'l' || type == 'u' || type == 'd') ? 2 : 1;
  }

  auto& frames = impl_->frames;
  auto& path = impl_->path;
  frames.clear();
  std::size_t nextCandidate = 0;

  // Visits the container at tape index i: skips it when no "_placeholder"
  // string lies inside, records it when it is a candidate, and pushes a frame
  // when the walk must descend. Returns false when a limit is hit.
  auto visit = [&](std::size_t i) -> bool {
    const std::size_t close = static_cast<std::uint32_t>(tape[i]) - 1;
    // The walk moves forward through the tape, so candidates before this
    // container are behind it for good.
    while (nextCandidate < candidates.size() && candidates[nextCandidate] < i) ++nextCandidate;
    if (nextCandidate == candidates.size() || candidates[nextCandidate] > close) return true;
    if (typeAt(i) == '[') {
      frames.push_back(Impl::Frame{true, i + 1, close, 0, 0, {}});
      return true;
    }
    bool anyTrue = false;
    bool lastTrue = false;
    bool hasNum = false;
    double num = 0;
    for (std::size_t k = i + 1; k < close;) {
      const std::string_view key = stringAt(k);
      const std::size_t value = k + 1;
      if (key == "_placeholder") {
        lastTrue = typeAt(value) == 't';
        anyTrue = anyTrue || lastTrue;
      } else if (key == "num") {
        const char type = typeAt(value);
        hasNum = type == 'l' || type == 'u' || type == 'd';
        if (type == 'l') {
          std::int64_t n;
          std::memcpy(&n, &tape[value + 1], sizeof n);
          num = static_cast<double>(n);
        } else if (type == 'u') {
          num = static_cast<double>(tape[value + 1]);
        } else if (type == 'd') {
          std::memcpy(&num, &tape[value + 1], sizeof num);
        }
      }
      k = after(value);
    }
    if (anyTrue) {
      if (out.size() >= limits_.maxPlaceholders ||
          out.totalSteps() + frames.size() > limits_.maxPathSteps) {
        return false;
      }
      path.clear();
      for (const Impl::Frame& frame : frames) {
        path.push_back(PlaceholderList::Step{frame.key, frame.index, frame.isArray});
      }
      out.add(path.data(), path.size(), hasNum, num);
    }
    if (!lastTrue) frames.push_back(Impl::Frame{false, i + 1, close, 0, 0, {}});
    return true;
  };

  bool withinLimits = true;
  if (typeAt(1) == '[' || typeAt(1) == '{') withinLimits = visit(1);
  while (withinLimits && !frames.empty()) {
    Impl::Frame& frame = frames.back();
    if (frame.at >= frame.close) {
      frames.pop_back();
      continue;
    }
    std::size_t child = frame.at;
    if (frame.isArray) {
      frame.index = frame.next++;
    } else {
      frame.key = stringAt(child);
      ++child;
    }
    frame.at = after(child);
    // `frame` may dangle once visit() grows the vector: not touched after.
    const char type = typeAt(child);
    if (type == '[' || type == '{') withinLimits = visit(child);
  }
  if (!withinLimits) {
    out.clear();
    status = Status::CannotDecide;
  }
  releaseLargeBuffers();
  return status;
}

}  // namespace sio
