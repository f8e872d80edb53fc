// The JS face of the broadcast fan-out engine (native/core/FanOut.h), and the
// libuv handles that flush its corked frames once per event-loop iteration.
//
// Everything that crosses per recipient is an integer: ids go in and the ids
// that need the standard path come out through Uint32Arrays the caller owns
// and reuses. Byte buffers cross only for remainders, which exist only for
// connections whose socket buffer was full, and they cross in bulk: one call
// per flush with all of them.

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "Errors.h"
#include "FanOut.h"
#include "Module.h"
#include "WebSocketFrame.h"

namespace sio::binding {
namespace {

// State of one addon instance (the main thread or one worker): the engine,
// the loop handles and the remainder callback. Exported functions carry a
// pointer to it as their data, so no state is shared between instances.
class FanoutInstance {
 public:
  explicit FanoutInstance(napi_env env) : env_(env) {}

  Napi::Env env() const { return Napi::Env(env_); }

  bool start() {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok || loop == nullptr) return false;
    // A check handle runs right after the poll phase, where I/O callbacks
    // (and so most broadcasts) run: frames queued in this iteration are
    // written before the loop sleeps again. Unref'd so it never keeps a
    // process alive on its own.
    uv_check_init(loop, &check_);
    check_.data = this;
    uv_check_start(&check_, onCheck);
    uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
    // libuv runs check handles newest first, so ours runs before Node's
    // setImmediate handle: frames queued by an immediate callback wait for
    // the next iteration. While anything is queued an idle handle is active,
    // which makes the poll phase return at once instead of sleeping; being
    // unref'd it still does that (libuv looks at the active idle handles).
    uv_idle_init(loop, &idle_);
    idle_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&idle_));

    napi_value resource;
    napi_value name;
    napi_create_object(env_, &resource);
    napi_create_string_utf8(env_, "socket.io-native:fanout", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env_, resource, name, &asyncContext_);

    // An async cleanup hook, because closing libuv handles finishes in a
    // callback: the instance is freed only once both handles are closed.
    napi_add_async_cleanup_hook(env_, onCleanup, this, &cleanupHandle_);
    return true;
  }

  FanOut& fanout() { return fanout_; }
  std::vector<FrameRef>& frames() { return frames_; }
  Napi::FunctionReference& onRemainder() { return onRemainder_; }

  // Starts the idle handle if frames are waiting for the check handle.
  void armFlush() {
    if (fanout_.hasPending() && !uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) {
      uv_idle_start(&idle_, [](uv_idle_t*) {});
    }
  }

  // Flushes everything and delivers the remainders. From JS (flush()) the
  // callback is called directly; from the loop it goes through
  // napi_make_callback, which runs the nextTick and microtask queues after it
  // as any other callback from native code does.
  //
  // From the loop at most `budget_` connections are written per iteration
  // (0: all); the idle handle then stays active, so the loop polls for I/O
  // and runs timers and immediates before the next share is written.
  std::size_t flushAll(bool fromLoop) {
    uv_idle_stop(&idle_);
    if (!fanout_.hasPending()) return 0;
    remainders_.clear();
    fanout_.flush(remainders_, fromLoop ? budget_ : 0);
    const std::size_t count = remainders_.size();
    if (count != 0) deliver(fromLoop);
    armFlush();
    return count;
  }

  void setBudget(std::size_t connections) { budget_ = connections; }
  std::size_t budget() const { return budget_; }

 private:
  static void onCheck(uv_check_t* handle) {
    auto* self = static_cast<FanoutInstance*>(handle->data);
    if (!self->fanout_.hasPending()) {
      uv_idle_stop(&self->idle_);
      return;
    }
    // Node keeps the main context entered while the loop runs, so a handle
    // scope is all that is needed to create the arguments here.
    Napi::HandleScope scope(self->env());
    self->flushAll(true);
  }

  void deliver(bool fromLoop) {
    Napi::Env env = this->env();
    const std::size_t count = remainders_.size();
    Napi::Uint32Array ids = Napi::Uint32Array::New(env, count);
    Napi::Array buffers = Napi::Array::New(env, count);
    for (std::size_t i = 0; i < count; ++i) {
      const FanOut::Remainder& remainder = remainders_[i];
      Napi::Buffer<std::uint8_t> bytes = Napi::Buffer<std::uint8_t>::New(env, remainder.bytes());
      remainder.copyTo(bytes.Data());
      ids[i] = remainder.id;
      buffers.Set(static_cast<std::uint32_t>(i), bytes);
    }
    // The frames can go now: the bytes were copied into the Buffers.
    remainders_.clear();
    if (onRemainder_.IsEmpty()) return;  // broadcast() refuses to run without a callback
    napi_value argv[] = {ids, buffers};
    if (!fromLoop) {
      onRemainder_.Call(env.Undefined(), {argv[0], argv[1]});
      return;
    }
    napi_value result;
    // napi_make_callback needs an object as the receiver (it converts it
    // with ToObject, which throws for undefined).
    const napi_status status = napi_make_callback(env, asyncContext_, env.Global(),
                                                  onRemainder_.Value(), 2, argv, &result);
    if (status == napi_pending_exception) {
      // Nothing on the JS stack can catch it: report it as uncaught, like an
      // exception thrown from any other I/O callback.
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }

  static void onCleanup(napi_async_cleanup_hook_handle handle, void* data) {
    auto* self = static_cast<FanoutInstance*>(data);
    self->cleanupHandle_ = handle;
    if (self->asyncContext_ != nullptr) napi_async_destroy(self->env_, self->asyncContext_);
    self->asyncContext_ = nullptr;
    self->onRemainder_.Reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&self->check_), onClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->idle_), onClosed);
  }

  static void onClosed(uv_handle_t* handle) {
    auto* self = static_cast<FanoutInstance*>(handle->data);
    if (++self->closed_ < 2) return;
    napi_remove_async_cleanup_hook(self->cleanupHandle_);
    // The table closes every descriptor it still holds.
    delete self;
  }

  napi_env env_;
  FanOut fanout_;
  uv_check_t check_{};
  uv_idle_t idle_{};
  int closed_ = 0;
  std::size_t budget_ = 0;
  napi_async_context asyncContext_ = nullptr;
  napi_async_cleanup_hook_handle cleanupHandle_ = nullptr;
  Napi::FunctionReference onRemainder_;
  std::vector<FanOut::Remainder> remainders_;
  std::vector<FrameRef> frames_;
};

FanoutInstance* instanceOf(const Napi::CallbackInfo& info) {
  return static_cast<FanoutInstance*>(info.Data());
}

bool isId(const Napi::Value& value) { return value.IsNumber(); }

std::uint32_t idOf(const Napi::Value& value) { return value.As<Napi::Number>().Uint32Value(); }

Napi::Value remainderOrUndefined(Napi::Env env, bool has, const FanOut::Remainder& remainder) {
  if (!has) return env.Undefined();
  Napi::Buffer<std::uint8_t> bytes = Napi::Buffer<std::uint8_t>::New(env, remainder.bytes());
  remainder.copyTo(bytes.Data());
  return bytes;
}

// register(fd) -> id. Holds a duplicate of `fd` until unregister(id).
Napi::Value Register(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) {
    throwTypeError(env, "fd must be a number");
    return env.Undefined();
  }
  std::uint32_t id = 0;
  const Status status = instanceOf(info)->fanout().add(info[0].As<Napi::Number>().Int32Value(), id);
  if (status != Status::Ok) {
    toJsError(env, status).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, id);
}

// unregister(id) -> whether it was registered. Closes the duplicate and drops
// whatever was corked for the connection.
Napi::Value Unregister(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, instanceOf(info)->fanout().remove(idOf(info[0])) == Status::Ok);
}

// setBusy(id, busy) -> Buffer | undefined. Going busy writes the corked
// frames first and returns what the socket did not take, which the caller
// must write before anything else.
Napi::Value SetBusy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  FanOut::Remainder remainder;
  bool has = false;
  instanceOf(info)->fanout().setBusy(idOf(info[0]), info[1].ToBoolean().Value(), remainder, has);
  return remainderOrUndefined(env, has, remainder);
}

// flushNow(id) -> Buffer | undefined: "something else is about to be written
// to this connection". Writes its corked frames; a remainder comes back here
// (not through the callback) and the connection is then busy.
Napi::Value FlushNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  FanOut::Remainder remainder;
  const bool has = instanceOf(info)->fanout().flushOne(idOf(info[0]), remainder);
  return remainderOrUndefined(env, has, remainder);
}

// handBack(id) -> Buffer | undefined: JS may have bytes of its own in flight
// on this connection that it did not announce (ws's automatic pong). Returns
// the corked frames unwritten for JS to write behind them; the connection is
// busy until setBusy(id, false).
Napi::Value HandBack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  FanOut::Remainder remainder;
  const bool has = instanceOf(info)->fanout().handBack(idOf(info[0]), remainder);
  return remainderOrUndefined(env, has, remainder);
}

// What a broadcast's message turned out to be (see messageBytes).
enum class Message { Text, Binary, Unframeable, Invalid };

// The byte size of one element of a typed array, or 0 for a kind this
// build does not know (a newer Node may add some).
std::size_t elementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 0;
  }
}

// Classifies one engine.io message the way engine.io-parser's encodePacket
// does (a string, or an ArrayBuffer / ArrayBufferView sent as binary) and,
// for binary, finds the bytes that go on the wire: a view's own bytes
// (byteOffset and byteLength into its buffer, whether a Buffer, any typed
// array, a DataView, or a view of a SharedArrayBuffer), an ArrayBuffer whole.
//
// Unframeable: binary whose bytes cannot be read here, a view of a detached
// ArrayBuffer (ws throws a TypeError when it sends one) or a typed array of a
// kind this build does not know; the standard path then writes it, with
// whatever outcome stock has. Invalid: neither a string nor binary.
Message messageBytes(napi_env env, napi_value value, std::span<const std::uint8_t>& bytes) {
  napi_valuetype type = napi_undefined;
  if (napi_typeof(env, value, &type) != napi_ok) return Message::Invalid;
  if (type == napi_string) return Message::Text;
  if (type != napi_object) return Message::Invalid;
  void* data = nullptr;
  std::size_t length = 0;
  napi_value buffer = nullptr;
  bool is = false;
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type kind;
    std::size_t elements = 0;
    std::size_t offset = 0;
    if (napi_get_typedarray_info(env, value, &kind, &elements, &data, &buffer, &offset) != napi_ok) {
      return Message::Unframeable;
    }
    const std::size_t size = elementSize(kind);
    if (size == 0) return Message::Unframeable;
    length = elements * size;
  } else if (napi_is_dataview(env, value, &is) == napi_ok && is) {
    std::size_t offset = 0;
    if (napi_get_dataview_info(env, value, &length, &data, &buffer, &offset) != napi_ok) {
      return Message::Unframeable;
    }
  } else if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) {
    buffer = value;
    if (napi_get_arraybuffer_info(env, value, &data, &length) != napi_ok) return Message::Unframeable;
  } else {
    return Message::Invalid;
  }
  // A view's buffer may be a SharedArrayBuffer, which is never detached.
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok || detached) {
    return Message::Unframeable;
  }
  if (length != 0 && data == nullptr) return Message::Unframeable;
  bytes = {static_cast<const std::uint8_t*>(data), length};
  return Message::Binary;
}

// Appends the websocket frame engine.io's websocket transport sends for one
// message: a string as a text frame of "4" (the engine.io "message" type)
// followed by the string; binary as a binary frame of exactly its bytes, no
// type prefix (the client supports binary: base64 clients are never
// registered with the fan-out).
Status addFrame(Napi::Env env, std::vector<FrameRef>& frames, napi_value value, Message kind,
                std::span<const std::uint8_t> bytes) {
  if (kind == Message::Binary) {
    FrameRef frame = WebSocketFrame::build(WebSocketFrame::Opcode::Binary, {}, bytes);
    if (!frame) return Status::OutOfMemory;
    frames.push_back(std::move(frame));
    return Status::Ok;
  }
  std::size_t length = 0;
  napi_get_value_string_utf8(env, value, nullptr, 0, &length);
  // One byte of slack for the terminator napi writes and we do not keep.
  FrameRef frame = WebSocketFrame::allocate(WebSocketFrame::Opcode::Text, length + 1, 1);
  if (!frame) return Status::OutOfMemory;
  std::uint8_t* payload = frame.get()->data() + WebSocketFrame::headerSize(length + 1);
  payload[0] = '4';
  std::size_t copied = 0;
  napi_get_value_string_utf8(env, value, reinterpret_cast<char*>(payload + 1), length + 1, &copied);
  frames.push_back(std::move(frame));
  return Status::Ok;
}

bool isUint32Array(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array;
}

// Builds the frames of one broadcast into `frames`: `first`, then each
// element of `rest` (undefined or null: none). Returns false with a pending
// TypeError or status error when an element is neither a string nor binary
// or memory ran out; sets `unframeable` when an element is binary this
// binding cannot read (see messageBytes).
bool buildFrames(Napi::Env env, std::vector<FrameRef>& frames, const Napi::Value& first,
                 const Napi::Value& rest, bool& unframeable) {
  auto add = [&](napi_value value) {
    std::span<const std::uint8_t> bytes;
    const Message kind = messageBytes(env, value, bytes);
    if (kind == Message::Invalid) {
      throwTypeError(env, "packets must be strings, ArrayBuffers or ArrayBufferViews");
      return false;
    }
    if (kind == Message::Unframeable) {
      unframeable = true;
      return true;
    }
    const Status status = addFrame(env, frames, value, kind, bytes);
    if (status != Status::Ok) {
      toJsError(env, status).ThrowAsJavaScriptException();
      return false;
    }
    return true;
  };
  if (!add(first)) return false;
  if (rest.IsUndefined() || rest.IsNull()) return true;
  if (!rest.IsArray()) {
    throwTypeError(env, "attachments must be an array");
    return false;
  }
  Napi::Array attachments = rest.As<Napi::Array>();
  const std::uint32_t count = attachments.Length();
  for (std::uint32_t i = 0; i < count && !unframeable; ++i) {
    Napi::Value item = attachments.Get(i);
    if (item.IsEmpty() || !add(item)) return false;  // empty: a getter threw
  }
  return true;
}

// broadcast(packet, ids, n, out[, attachments[, volatile]]) -> count.
// packet and attachments: the engine.io messages of the broadcast, in order,
// each a string (sent as a text frame "4" + string) or an ArrayBuffer /
// ArrayBufferView (sent as a binary frame of its bytes), exactly as
// engine.io's websocket transport sends them. ids[0..n): recipients. out
// receives, in order, the ids that need the standard path (busy or not
// registered); the return value is how many. When a message is binary that
// cannot be read here (see messageBytes) nothing is queued and every id is
// handed back. volatile: drop it for recipients that already have frames
// corked (see FanOut::enqueue).
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FanoutInstance* self = instanceOf(info);
  if (!isUint32Array(info[1]) || !info[2].IsNumber() || !isUint32Array(info[3])) {
    throwTypeError(env, "ids and out must be Uint32Arrays and n a number");
    return env.Undefined();
  }
  Napi::Uint32Array ids = info[1].As<Napi::Uint32Array>();
  Napi::Uint32Array out = info[3].As<Napi::Uint32Array>();
  const std::size_t n = info[2].As<Napi::Number>().Uint32Value();
  if (n > ids.ElementLength() || n > out.ElementLength()) {
    throwTypeError(env, "n exceeds the length of ids or out");
    return env.Undefined();
  }
  if (self->onRemainder().IsEmpty()) {
    throwTypeError(env, "onRemainder(callback) must be set before broadcast");
    return env.Undefined();
  }
  // Taken out of the instance while in use: reading an attachments array
  // can run a getter, which could broadcast again (it then starts from an
  // empty vector instead of clearing this one).
  std::vector<FrameRef> frames = std::move(self->frames());
  frames.clear();
  bool unframeable = false;
  const bool built = buildFrames(env, frames, info[0], info[4], unframeable);
  if (!built || unframeable) {
    // No frame of a broadcast that is not sent whole stays behind.
    frames.clear();
    self->frames() = std::move(frames);
    if (!built) return env.Undefined();
    // Every recipient the standard way, which sends the unframeable message
    // (or fails on it) as stock does. ids and out may share memory.
    std::memmove(out.Data(), ids.Data(), n * sizeof(std::uint32_t));
    return Napi::Number::New(env, static_cast<double>(n));
  }
  const bool isVolatile = info.Length() > 5 && info[5].ToBoolean().Value();
  const std::size_t handed = self->fanout().enqueue(frames, {ids.Data(), n}, out.Data(), isVolatile);
  // Queues hold their own references; drop ours so the last recipient's
  // flush frees the buffer.
  frames.clear();
  self->frames() = std::move(frames);
  self->armFlush();
  return Napi::Number::New(env, static_cast<double>(handed));
}

// flush() -> number of remainders delivered. Flushes now instead of at the
// end of the iteration (tests, shutdown); remainders go to the callback
// before this returns.
Napi::Value Flush(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(instanceOf(info)->flushAll(false)));
}

// onRemainder(callback): callback(ids: Uint32Array, buffers: Buffer[]) is
// called once per flush that left bytes unwritten, with all of them. The
// caller writes buffers[i] to connection ids[i] through its own stream, ahead
// of anything else, and the connection stays busy until setBusy(id, false).
// flushBudget([connections]) -> connections. Sets (when given) and returns
// how many connections the per-iteration flush writes at most (0: all).
Napi::Value FlushBudget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FanoutInstance* self = instanceOf(info);
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() < 0) {
      throwTypeError(env, "flushBudget(connections): connections must be a number >= 0");
      return env.Undefined();
    }
    self->setBudget(info[0].As<Napi::Number>().Uint32Value());
  }
  return Napi::Number::New(env, static_cast<double>(self->budget()));
}

Napi::Value OnRemainder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) {
    throwTypeError(env, "callback must be a function");
    return env.Undefined();
  }
  instanceOf(info)->onRemainder() = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const FanOut& fanout = instanceOf(info)->fanout();
  const FanOut::Stats& s = fanout.stats();
  Napi::Object out = Napi::Object::New(env);
  auto set = [&](const char* name, std::uint64_t value) {
    out.Set(name, Napi::Number::New(env, static_cast<double>(value)));
  };
  set("connections", fanout.size());
  set("broadcasts", s.broadcasts);
  set("recipients", s.recipients);
  set("framesQueued", s.framesQueued);
  set("framesWritten", s.framesWritten);
  set("bytesWritten", s.bytesWritten);
  set("writes", s.writes);
  set("coalescedWrites", s.coalescedWrites);
  set("handedBusy", s.handedBusy);
  set("handedUnknown", s.handedUnknown);
  set("handedPartial", s.handedPartial);
  set("handedError", s.handedError);
  set("handedBack", s.handedBack);
  set("framesHanded", s.framesHanded);
  set("bytesHanded", s.bytesHanded);
  set("droppedVolatile", s.droppedVolatile);
  set("deferredFlushes", s.deferredFlushes);
  return out;
}

void InitFanout(Napi::Env env, Napi::Object exports) {
  auto* self = new FanoutInstance(env);
  if (!self->start()) {
    delete self;
    return;  // no loop to flush on: the fan-out stays unavailable
  }
  auto add = [&](const char* name, Napi::Function::Callback fn) {
    exports.Set(name, Napi::Function::New(env, fn, name, self));
  };
  add("register", Register);
  add("unregister", Unregister);
  add("setBusy", SetBusy);
  add("flushNow", FlushNow);
  add("handBack", HandBack);
  add("broadcast", Broadcast);
  add("flush", Flush);
  add("onRemainder", OnRemainder);
  add("flushBudget", FlushBudget);
  add("stats", Stats);
}

}  // namespace

SIO_BINDING(fanout, InitFanout);

}  // namespace sio::binding
