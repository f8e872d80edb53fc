// addon.codec: the packet codec core exposed to lib/parser.js.
//
//   parseHeader(str, maxAttachments, out: Float64Array(>= 7)) -> status
//     ok: out = [type, attachments | -1, nspBegin | -1, nspEnd | -1,
//                hasId (0/1), id (may be NaN), payloadBegin (== str.length
//                when there is no payload)]
//     unknownPacketType: out[0] holds the type for the message (NaN, 7-9)
//   validatePayload(str, payloadBegin, type) -> status
//     ok, invalidPayload, or cannotDecide (JSON.parse must decide)
//   findPlaceholders(str, payloadBegin) -> Array<Array<string | number>> | null
//     candidate placeholder paths in document order; null means "walk in JS"
//     (invalid or undecidable JSON, limits, lone surrogates in keys)
//   encodeHeader(type, attachments, nsp, id) -> encodeAsString's prefix
//   transcodeAdapterMessage(buffer, out: Float64Array(>= 15)) -> string | status
//     a classic Redis adapter message ([uid, packet, opts] in msgpack) to the
//     Encoder's packet text (a string), with out = [type, hasNsp, nspBegin,
//     nspLength, hasId, id, uidBegin, uidLength, attachments, hasRooms,
//     rooms, hasExcept, excepts, hasFlags, flags, then (begin, length) per
//     attachment, room and except room, then (name index, 0/1) per flag];
//     byte offsets are into `buffer`. A number instead of the string is
//     status.cannotDecide (take the JS path: also when `out` is too short)
//     or status.malformedMessage. flagNames holds the flag names by index.
//   errorMessage(code, type?) -> socket.io-parser's message
//   status: { ok, unknownPacketType, illegalAttachments, tooManyAttachments,
//             invalidPayload, illegalPlaceholder, cannotDecide }
//   errors: { [code]: message }, limits: { maxPayloadBytes, maxDepth,
//             maxPlaceholders }
// Compare codes through `status` by name: their values follow the core's
// Status enum, which other parts of the addon extend.
//
// The calls are designed around what crossing into native costs: arguments
// are plain strings and numbers, results are a status number plus a
// caller-owned Float64Array (no JS object is created per parseHeader call),
// and every buffer is kept per addon instance so warm calls do not allocate.
// Protocol errors are returned as status codes, not thrown: lib/parser.js
// builds the Error itself (messages from codec.errorMessage), so the stack
// trace and the control flow stay socket.io-parser's.

#include <napi.h>

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>

#include "AdapterMessageTranscoder.h"
#include "Errors.h"
#include "JsNumber.h"
#include "JsonScanner.h"
#include "Module.h"
#include "PacketHeader.h"
#include "PlaceholderList.h"
#include "Status.h"
#include "Utf16ToUtf8.h"

namespace sio::binding {
namespace {

// parseHeader first copies this many code units: enough for any realistic
// header, and the copy of a 15 kB packet then costs the same as a short one.
constexpr std::size_t kPrefixUnits = 128;
// Larger text buffers are released after use, so one huge packet does not
// pin its memory.
constexpr std::size_t kRetainUnits = std::size_t{1} << 19;
constexpr std::size_t kHeaderSlots = 7;

// Per addon instance (main thread or worker): reached through the functions'
// data pointer, freed by an environment cleanup hook.
struct CodecState {
  char16_t prefix[kPrefixUnits + 1];
  std::unique_ptr<char16_t[]> text;
  std::size_t textCapacity = 0;
  JsonScanner scanner;
  PlaceholderList placeholders;
  std::string nsp;
  std::string encoded;
  AdapterMessageTranscoder transcoder;
  AdapterMessageTranscoder::Result transcoded;
};

CodecState* stateOf(napi_env env, napi_callback_info info, std::size_t* argc, napi_value* argv) {
  void* data = nullptr;
  if (napi_get_cb_info(env, info, argc, argv, nullptr, &data) != napi_ok) return nullptr;
  return static_cast<CodecState*>(data);
}

napi_value typeError(napi_env env, const char* message) {
  throwTypeError(Napi::Env(env), message);
  return nullptr;
}

napi_value statusValue(napi_env env, Status status) {
  napi_value result = nullptr;
  napi_create_uint32(env, static_cast<std::uint32_t>(status), &result);
  return result;
}

// Copies the whole string into the instance's text buffer. Returns false when
// `value` is not a string.
bool readWholeString(napi_env env, napi_value value, CodecState& state, std::size_t& length) {
  if (napi_get_value_string_utf16(env, value, nullptr, 0, &length) != napi_ok) return false;
  if (state.textCapacity < length + 1) {
    state.text.reset(new char16_t[length + 1]);
    state.textCapacity = length + 1;
  }
  std::size_t copied = 0;
  napi_get_value_string_utf16(env, value, state.text.get(), length + 1, &copied);
  length = copied;
  return true;
}

void releaseLargeText(CodecState& state) {
  if (state.textCapacity > kRetainUnits) {
    state.text.reset();
    state.textCapacity = 0;
  }
}

bool isHighSurrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }

// UTF-8 length of UTF-16 text as V8 writes it (lone surrogates as U+FFFD).
std::size_t utf8Length(const char16_t* text, std::size_t units) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < units; ++i) {
    const char16_t c = text[i];
    if (c < 0x80) {
      bytes += 1;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (isHighSurrogate(c) && i + 1 < units && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF) {
      bytes += 4;
      ++i;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

// The payload of a packet as UTF-8 in the scanner's input buffer.
struct Payload {
  std::size_t begin = 0;
  std::size_t length = 0;
  bool tooLarge = false;
};

// Reads (str, payloadBegin) and puts str's UTF-8 form in the scanner's input
// buffer. V8 writes the UTF-8 itself (one pass, its fast path for one-byte
// strings; lone surrogates become U+FFFD); only the header before
// payloadBegin is copied as UTF-16, to find where the payload starts in
// bytes. Returns false on misuse (a TypeError is then pending).
bool loadPayload(napi_env env, napi_value str, napi_value begin, CodecState& state, Payload& payload) {
  std::size_t length = 0;
  if (napi_get_value_string_utf16(env, str, nullptr, 0, &length) != napi_ok) {
    typeError(env, "str must be a string");
    return false;
  }
  double beginValue = 0;
  if (napi_get_value_double(env, begin, &beginValue) != napi_ok || !(beginValue >= 0) ||
      beginValue > static_cast<double>(length) || std::floor(beginValue) != beginValue) {
    typeError(env, "payloadBegin must be an integer index into str");
    return false;
  }
  const std::size_t payloadBegin = static_cast<std::size_t>(beginValue);
  // Every code unit is at least one UTF-8 byte.
  payload.tooLarge = length - payloadBegin > state.scanner.limits().maxBytes;
  if (payload.tooLarge) return true;

  // The header and the first payload unit: a surrogate pair split by
  // payloadBegin would be written by V8 as one 4-byte sequence.
  const std::size_t headUnits = payloadBegin < length ? payloadBegin + 1 : payloadBegin;
  const char16_t* head = state.prefix;
  std::size_t copied = 0;
  if (headUnits <= kPrefixUnits) {
    napi_get_value_string_utf16(env, str, state.prefix, headUnits + 1, &copied);
  } else {
    readWholeString(env, str, state, copied);
    head = state.text.get();
  }
  const bool splitPair = payloadBegin > 0 && payloadBegin < length && isHighSurrogate(head[payloadBegin - 1]);

  if (splitPair) {
    // Rare enough for the two-pass path: the payload alone, converted here.
    std::size_t whole = 0;
    readWholeString(env, str, state, whole);
    const std::size_t units = length - payloadBegin;
    char* utf8 = state.scanner.inputBuffer(Utf16ToUtf8::maxBytes(units));
    bool lone = false;
    payload.begin = 0;
    payload.length = Utf16ToUtf8::convert(state.text.get() + payloadBegin, units, utf8, lone);
  } else {
    payload.begin = utf8Length(head, payloadBegin);
    const std::size_t capacity = Utf16ToUtf8::maxBytes(length) + 1;
    char* utf8 = state.scanner.inputBuffer(capacity);
    std::size_t written = 0;
    napi_get_value_string_utf8(env, str, utf8, capacity, &written);
    payload.length = written - payload.begin;
  }
  releaseLargeText(state);
  return true;
}

// parseHeader(str, maxAttachments, out: Float64Array(7)) -> status
napi_value parseHeader(napi_env env, napi_callback_info info) {
  std::size_t argc = 3;
  napi_value argv[3] = {nullptr, nullptr, nullptr};
  CodecState* state = stateOf(env, info, &argc, argv);
  if (state == nullptr) return nullptr;
  constexpr const char* kUsage =
      "parseHeader(str: string, maxAttachments: number, out: Float64Array(7))";

  // One copy of at most kPrefixUnits units; the whole string only when the
  // header runs past the prefix (a long namespace without a comma, a long id).
  std::size_t copied = 0;
  if (napi_get_value_string_utf16(env, argv[0], state->prefix, kPrefixUnits + 1, &copied) != napi_ok) {
    return typeError(env, kUsage);
  }
  double maxAttachments = 0;
  if (napi_get_value_double(env, argv[1], &maxAttachments) != napi_ok) return typeError(env, kUsage);
  napi_typedarray_type arrayType;
  std::size_t slots = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, argv[2], &arrayType, &slots, &data, nullptr, nullptr) != napi_ok ||
      arrayType != napi_float64_array || slots < kHeaderSlots) {
    return typeError(env, kUsage);
  }

  PacketHeader header;
  Status status = PacketHeader::parse(std::u16string_view(state->prefix, copied),
                                      copied < kPrefixUnits, maxAttachments, header);
  if (status == Status::NeedMoreInput) {
    std::size_t length = 0;
    readWholeString(env, argv[0], *state, length);
    status = PacketHeader::parse(std::u16string_view(state->text.get(), length), true,
                                 maxAttachments, header);
    releaseLargeText(*state);
  }

  double* out = static_cast<double*>(data);
  out[0] = header.type;
  if (status == Status::Ok) {
    out[1] = header.attachments;
    out[2] = header.hasNamespace ? static_cast<double>(header.namespaceBegin) : -1;
    out[3] = header.hasNamespace ? static_cast<double>(header.namespaceEnd) : -1;
    out[4] = header.hasId ? 1 : 0;
    out[5] = header.id;
    out[6] = static_cast<double>(header.payloadBegin);
  }
  return statusValue(env, status);
}

// findPlaceholders(str, payloadBegin) -> Array<Array<string|number>> | null
napi_value findPlaceholders(napi_env env, napi_callback_info info) {
  std::size_t argc = 2;
  napi_value argv[2] = {nullptr, nullptr};
  CodecState* state = stateOf(env, info, &argc, argv);
  if (state == nullptr) return nullptr;
  Payload payload;
  if (!loadPayload(env, argv[0], argv[1], *state, payload)) return nullptr;
  Napi::Env napiEnv(env);
  if (payload.tooLarge) return napiEnv.Null();
  PlaceholderList& list = state->placeholders;
  const Status status = state->scanner.findPlaceholdersInInput(payload.begin, payload.length, list);
  // A lone surrogate in a key became U+FFFD on the way to UTF-8, and such a
  // path would not match the JS key: when a key on a path holds U+FFFD
  // (rarely a real one), let JS walk the object instead.
  if (status != Status::Ok || list.anyKeyContains("\xEF\xBF\xBD")) return napiEnv.Null();
  Napi::Array result = Napi::Array::New(napiEnv, list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const PlaceholderList::Entry& entry = list.entry(i);
    Napi::Array path = Napi::Array::New(napiEnv, entry.stepCount);
    for (std::size_t j = 0; j < entry.stepCount; ++j) {
      const PlaceholderList::Step step = list.step(entry, j);
      if (step.isIndex) {
        path.Set(static_cast<std::uint32_t>(j), Napi::Number::New(napiEnv, static_cast<double>(step.index)));
      } else {
        path.Set(static_cast<std::uint32_t>(j), Napi::String::New(napiEnv, step.key.data(), step.key.size()));
      }
    }
    result.Set(static_cast<std::uint32_t>(i), path);
  }
  return result;
}

// validatePayload(str, payloadBegin, type) -> status (ok, invalid payload or
// cannot decide)
napi_value validatePayload(napi_env env, napi_callback_info info) {
  std::size_t argc = 3;
  napi_value argv[3] = {nullptr, nullptr, nullptr};
  CodecState* state = stateOf(env, info, &argc, argv);
  if (state == nullptr) return nullptr;
  double type = 0;
  if (napi_get_value_double(env, argv[2], &type) != napi_ok) {
    return typeError(env, "validatePayload(str: string, payloadBegin: number, type: number)");
  }
  Payload payload;
  if (!loadPayload(env, argv[0], argv[1], *state, payload)) return nullptr;
  if (payload.tooLarge) return statusValue(env, Status::CannotDecide);
  return statusValue(env, state->scanner.validateInput(payload.begin, payload.length, type));
}

bool isNullish(napi_env env, napi_value value) {
  napi_valuetype type = napi_undefined;
  napi_typeof(env, value, &type);
  return type == napi_undefined || type == napi_null;
}

// encodeHeader(type, attachments, nsp, id) -> string, the prefix
// socket.io-parser's encodeAsString writes before the JSON payload.
napi_value encodeHeader(napi_env env, napi_callback_info info) {
  std::size_t argc = 4;
  napi_value argv[4] = {nullptr, nullptr, nullptr, nullptr};
  CodecState* state = stateOf(env, info, &argc, argv);
  if (state == nullptr) return nullptr;
  constexpr const char* kUsage =
      "encodeHeader(type: number, attachments: number | undefined, nsp: string | undefined, "
      "id: number | undefined)";
  double type = 0;
  if (napi_get_value_double(env, argv[0], &type) != napi_ok) return typeError(env, kUsage);
  double attachments = 0;
  if (type == 5 || type == 6) {
    if (napi_get_value_double(env, argv[1], &attachments) != napi_ok) return typeError(env, kUsage);
  }
  std::string& nsp = state->nsp;
  nsp.clear();
  if (!isNullish(env, argv[2])) {
    std::size_t length = 0;
    if (napi_get_value_string_utf8(env, argv[2], nullptr, 0, &length) != napi_ok) {
      return typeError(env, kUsage);
    }
    nsp.resize(length + 1);
    napi_get_value_string_utf8(env, argv[2], nsp.data(), length + 1, &length);
    nsp.resize(length);
  }
  const bool hasId = !isNullish(env, argv[3]);
  double id = 0;
  if (hasId && napi_get_value_double(env, argv[3], &id) != napi_ok) return typeError(env, kUsage);
  state->encoded.clear();
  PacketHeader::encode(type, attachments, nsp, hasId, id, state->encoded);
  napi_value result = nullptr;
  napi_create_string_utf8(env, state->encoded.data(), state->encoded.size(), &result);
  return result;
}

// The fixed part of transcodeAdapterMessage's out array.
constexpr std::size_t kTranscodeSlots = 15;

// transcodeAdapterMessage(buffer, out: Float64Array) -> string | status
napi_value transcodeAdapterMessage(napi_env env, napi_callback_info info) {
  std::size_t argc = 2;
  napi_value argv[2] = {nullptr, nullptr};
  CodecState* state = stateOf(env, info, &argc, argv);
  if (state == nullptr) return nullptr;
  constexpr const char* kUsage = "transcodeAdapterMessage(message: Buffer, out: Float64Array(>= 15))";
  bool isBuffer = false;
  if (napi_is_buffer(env, argv[0], &isBuffer) != napi_ok || !isBuffer) return typeError(env, kUsage);
  void* bytes = nullptr;
  std::size_t size = 0;
  if (napi_get_buffer_info(env, argv[0], &bytes, &size) != napi_ok) return typeError(env, kUsage);
  napi_typedarray_type arrayType;
  std::size_t slots = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, argv[1], &arrayType, &slots, &data, nullptr, nullptr) != napi_ok ||
      arrayType != napi_float64_array || slots < kTranscodeSlots) {
    return typeError(env, kUsage);
  }
  AdapterMessageTranscoder::Result& r = state->transcoded;
  // An empty Buffer may have no storage: its pointer is never read then.
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* input = size == 0 ? &kEmpty : static_cast<const std::uint8_t*>(bytes);
  const Status status = state->transcoder.transcode(input, size, r);
  if (status != Status::Ok) return statusValue(env, status);
  const std::size_t needed = kTranscodeSlots +
      2 * (r.attachments.size() + r.rooms.size() + r.except.size() + r.flags.size());
  if (needed > slots) return statusValue(env, Status::CannotDecide);

  double* out = static_cast<double*>(data);
  out[0] = r.type;
  out[1] = r.hasNamespace ? 1 : 0;
  out[2] = r.nsp.begin;
  out[3] = r.nsp.length;
  out[4] = r.hasId ? 1 : 0;
  out[5] = r.id;
  out[6] = r.uid.begin;
  out[7] = r.uid.length;
  out[8] = static_cast<double>(r.attachments.size());
  out[9] = r.hasRooms ? 1 : 0;
  out[10] = static_cast<double>(r.rooms.size());
  out[11] = r.hasExcept ? 1 : 0;
  out[12] = static_cast<double>(r.except.size());
  out[13] = r.hasFlags ? 1 : 0;
  out[14] = static_cast<double>(r.flags.size());
  std::size_t k = kTranscodeSlots;
  for (const auto* list : {&r.attachments, &r.rooms, &r.except}) {
    for (const AdapterMessageTranscoder::Range& range : *list) {
      out[k++] = range.begin;
      out[k++] = range.length;
    }
  }
  for (const AdapterMessageTranscoder::Flag& flag : r.flags) {
    out[k++] = flag.name;
    out[k++] = flag.value ? 1 : 0;
  }
  // Text without a byte >= 0x80 is Latin-1 too, which V8 copies as it is
  // instead of decoding it.
  napi_value result = nullptr;
  if (r.textIsAscii) {
    napi_create_string_latin1(env, r.text.data(), r.text.size(), &result);
  } else {
    napi_create_string_utf8(env, r.text.data(), r.text.size(), &result);
  }
  state->transcoder.trim(kRetainUnits);
  return result;
}

std::string messageFor(Status status, double type) {
  std::string message = statusMessage(status);
  if (status == Status::UnknownPacketType) {
    char digits[JsNumber::kMaxStringLength];
    message.append(digits, JsNumber::toString(type, digits));
  }
  return message;
}

bool isCodecStatus(double code) {
  return code == static_cast<double>(Status::Ok) ||
         code == static_cast<double>(Status::UnknownPacketType) ||
         code == static_cast<double>(Status::IllegalAttachments) ||
         code == static_cast<double>(Status::TooManyAttachments) ||
         code == static_cast<double>(Status::InvalidPayload) ||
         code == static_cast<double>(Status::IllegalPlaceholder) ||
         code == static_cast<double>(Status::CannotDecide);
}

// errorMessage(code, type) -> socket.io-parser's message for a status code
// ("unknown packet type NaN" needs the type).
napi_value errorMessage(napi_env env, napi_callback_info info) {
  std::size_t argc = 2;
  napi_value argv[2] = {nullptr, nullptr};
  if (stateOf(env, info, &argc, argv) == nullptr) return nullptr;
  double code = 0;
  if (napi_get_value_double(env, argv[0], &code) != napi_ok || !isCodecStatus(code)) {
    return typeError(env, "errorMessage(code: codec status, type?: number)");
  }
  double type = std::nan("");
  if (!isNullish(env, argv[1]) && napi_get_value_double(env, argv[1], &type) != napi_ok) {
    return typeError(env, "errorMessage(code: codec status, type?: number)");
  }
  const std::string message = messageFor(static_cast<Status>(code), type);
  napi_value result = nullptr;
  napi_create_string_utf8(env, message.data(), message.size(), &result);
  return result;
}

void defineFunction(Napi::Env env, Napi::Object exports, const char* name, napi_callback callback,
                    CodecState* state) {
  napi_value fn = nullptr;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, state, &fn) == napi_ok) {
    exports.Set(name, Napi::Value(env, fn));
  }
}

void InitCodec(Napi::Env env, Napi::Object exports) {
  CodecState* state = new CodecState();
  env.AddCleanupHook([state]() { delete state; });

  defineFunction(env, exports, "parseHeader", parseHeader, state);
  defineFunction(env, exports, "findPlaceholders", findPlaceholders, state);
  defineFunction(env, exports, "validatePayload", validatePayload, state);
  defineFunction(env, exports, "encodeHeader", encodeHeader, state);
  defineFunction(env, exports, "errorMessage", errorMessage, state);
  defineFunction(env, exports, "transcodeAdapterMessage", transcodeAdapterMessage, state);

  Napi::Array flagNames = Napi::Array::New(env, AdapterMessageTranscoder::kFlagCount);
  for (std::size_t i = 0; i < AdapterMessageTranscoder::kFlagCount; ++i) {
    flagNames.Set(static_cast<std::uint32_t>(i), Napi::String::New(env, AdapterMessageTranscoder::kFlagNames[i]));
  }
  flagNames.Freeze();
  exports.Set("flagNames", flagNames);

  // Status codes by name, and socket.io-parser's message for each code.
  struct Named {
    const char* name;
    Status status;
  };
  const Named codes[] = {
      {"ok", Status::Ok},
      {"unknownPacketType", Status::UnknownPacketType},
      {"illegalAttachments", Status::IllegalAttachments},
      {"tooManyAttachments", Status::TooManyAttachments},
      {"invalidPayload", Status::InvalidPayload},
      {"illegalPlaceholder", Status::IllegalPlaceholder},
      {"cannotDecide", Status::CannotDecide},
      {"malformedMessage", Status::MalformedMessage},
  };
  Napi::Object status = Napi::Object::New(env);
  Napi::Object errors = Napi::Object::New(env);
  for (const Named& named : codes) {
    const auto code = static_cast<std::uint32_t>(named.status);
    status.Set(named.name, Napi::Number::New(env, code));
    if (named.status != Status::Ok && named.status != Status::CannotDecide &&
        named.status != Status::MalformedMessage) {
      errors.Set(code, Napi::String::New(env, statusMessage(named.status)));
    }
  }
  status.Freeze();
  errors.Freeze();
  exports.Set("status", status);
  exports.Set("errors", errors);

  const JsonScanner::Limits& limits = state->scanner.limits();
  Napi::Object limitsObject = Napi::Object::New(env);
  limitsObject.Set("maxPayloadBytes", Napi::Number::New(env, static_cast<double>(limits.maxBytes)));
  limitsObject.Set("maxDepth", Napi::Number::New(env, static_cast<double>(limits.maxDepth)));
  limitsObject.Set("maxPlaceholders", Napi::Number::New(env, static_cast<double>(limits.maxPlaceholders)));
  limitsObject.Freeze();
  exports.Set("limits", limitsObject);
}

}  // namespace

SIO_BINDING(codec, InitCodec);

}  // namespace sio::binding
