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
    case kDisconnect: return false;  // DISCONNECT takes no payload
    default: return false;           // unknown types take none either
  }
}

bool isNumber(simdjson::dom::element_type type) {
  return type == simdjson::dom::element_type::INT64 ||
         type == simdjson::dom::element_type::UINT64 ||
         type == simdjson::dom::element_type::DOUBLE;
}

double toDouble(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::INT64: return static_cast<double>(element.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64: return static_cast<double>(element.get_uint64().value_unsafe());
    default: return element.get_double().value_unsafe();
  }
}

}  // namespace

struct JsonScanner::Impl {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::unique_ptr<char[]> input;
  std::size_t inputCapacity = 0;

  // The walk is iterative so that no input can exhaust the native stack.
  struct Frame {
    bool isArray;
    simdjson::dom::array::iterator arrayAt, arrayEnd;
    simdjson::dom::object::iterator objectAt, objectEnd;
    std::uint64_t index;
  };
  std::vector<Frame> frames;
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
    // the padding is never interpreted, only read.
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
  }
}

Status JsonScanner::parse(std::size_t length) {
  if (length > limits_.maxBytes) return Status::CannotDecide;
  simdjson::dom::parser& parser = impl_->parser;
  if (parser.capacity() < length || parser.max_depth() != limits_.maxDepth) {
    const std::size_t capacity = length < 4096 ? 4096 : length;
    if (parser.allocate(capacity, limits_.maxDepth) != simdjson::SUCCESS) {
      return Status::CannotDecide;
    }
  }
  std::memset(impl_->input.get() + length, 0, kPadding);
  auto result = parser.parse(impl_->input.get(), length, false);
  if (result.error() != simdjson::SUCCESS) return statusOf(result.error());
  impl_->root = result.value_unsafe();
  return Status::Ok;
}

Status JsonScanner::validate(std::string_view json, double packetType) {
  std::memcpy(inputBuffer(json.size()), json.data(), json.size());
  return validateInput(json.size(), packetType);
}

Status JsonScanner::validateInput(std::size_t length, double packetType) {
  const char* text = impl_->input.get();
  std::size_t first = 0;
  while (first < length && isJsonSpace(text[first])) ++first;
  if (first == length || !canStartValue(text[first])) return Status::InvalidPayload;
  const int type = typeCode(packetType);
  if (!rootCanMatch(type, text[first])) return Status::InvalidPayload;

  Status status = parse(length);
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
  return findPlaceholdersInInput(json.size(), out);
}

Status JsonScanner::findPlaceholdersInInput(std::size_t length, PlaceholderList& out) {
  out.clear();
  const char* text = impl_->input.get();
  std::size_t first = 0;
  while (first < length && isJsonSpace(text[first])) ++first;
  if (first == length || !canStartValue(text[first])) return Status::InvalidPayload;
  Status status = parse(length);
  if (status != Status::Ok) {
    releaseLargeBuffers();
    return status;
  }

  using simdjson::dom::element;
  using simdjson::dom::element_type;
  auto& frames = impl_->frames;
  auto& path = impl_->path;
  frames.clear();
  path.clear();

  // Visits one value: records it when it is a placeholder candidate, and
  // pushes a frame when the walk must descend into it. `path` holds the steps
  // to the value. Returns false when a limit is hit.
  auto visit = [&](element value) -> bool {
    const element_type type = value.type();
    if (type == element_type::ARRAY) {
      simdjson::dom::array array = value.get_array().value_unsafe();
      frames.push_back(Impl::Frame{true, array.begin(), array.end(), {}, {}, 0});
      return true;
    }
    if (type != element_type::OBJECT) return true;
    simdjson::dom::object object = value.get_object().value_unsafe();
    bool anyTrue = false;
    bool lastTrue = false;
    bool hasNum = false;
    double num = 0;
    for (auto field : object) {
      if (field.key == "_placeholder") {
        lastTrue = field.value.type() == element_type::BOOL && field.value.get_bool().value_unsafe();
        anyTrue = anyTrue || lastTrue;
      } else if (field.key == "num") {
        hasNum = isNumber(field.value.type());
        num = hasNum ? toDouble(field.value) : 0;
      }
    }
    if (anyTrue) {
      if (out.size() >= limits_.maxPlaceholders ||
          out.totalSteps() + path.size() > limits_.maxPathSteps) {
        return false;
      }
      out.add(path.data(), path.size(), hasNum, num);
    }
    if (!lastTrue) frames.push_back(Impl::Frame{false, {}, {}, object.begin(), object.end(), 0});
    return true;
  };

  bool withinLimits = visit(impl_->root);
  while (withinLimits && !frames.empty()) {
    Impl::Frame& frame = frames.back();
    // The frame at depth d owns path step d (once it has a current child).
    const std::size_t depth = frames.size() - 1;
    element child;
    if (frame.isArray) {
      if (frame.arrayAt == frame.arrayEnd) {
        frames.pop_back();
        path.resize(depth);
        continue;
      }
      child = *frame.arrayAt;
      ++frame.arrayAt;
      path.resize(depth);
      path.push_back(PlaceholderList::Step{{}, frame.index++, true});
    } else {
      if (frame.objectAt == frame.objectEnd) {
        frames.pop_back();
        path.resize(depth);
        continue;
      }
      const simdjson::dom::key_value_pair field = *frame.objectAt;
      ++frame.objectAt;
      child = field.value;
      path.resize(depth);
      path.push_back(PlaceholderList::Step{field.key, 0, false});
    }
    // `frame` may dangle after visit() grows the vector: do not touch it.
    withinLimits = visit(child);
  }
  if (!withinLimits) {
    out.clear();
    status = Status::CannotDecide;
  }
  releaseLargeBuffers();
  return status;
}

}  // namespace sio
