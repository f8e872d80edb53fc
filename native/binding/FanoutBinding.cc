// The JS face of the broadcast fan-out engine (native/core/FanOut.h), and the
// libuv handles that flush its corked frames once per event-loop iteration.
//
// Everything that crosses per recipient is an integer: ids go in and the ids
// that need the standard path come out through Uint32Arrays the caller owns
// and reuses. Byte buffers cross only for remainders, which exist only for
// connections whose socket buffer was full, and they cross in bulk: one call
// per flush with all of them. A remainder crosses as views of the frames'
// own storage (see FrameViews), never as a copy: a slow client's backlog
// costs a reference to frames every other recipient shares.

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <unordered_map>
#include <vector>

#include "Errors.h"
#include "ConnectionTable.h"
#include "FanOut.h"
#include "Module.h"
#include "WebSocketFrame.h"

namespace sio::binding {
namespace {

// Turns remainders into arrays of Buffers that view the frames' storage in
// place. Each view holds a reference to its frame until V8 collects it, so a
// frame lives exactly as long as some connection still owes its bytes, and a
// frame owed by many connections is one block of memory, as the standard
// path's shared pre-encoded frame is. Within one hand-off a frame gets one
// view however many connections owe it whole.
class FrameViews {
 public:
  explicit FrameViews(Napi::Env env) : env_(env) {}

  // The bytes of `remainder` in order: frames[0] from its offset, then the
  // other frames whole.
  Napi::Array of(const FanOut::Remainder& remainder) {
    Napi::Array parts = Napi::Array::New(env_, remainder.frames.size());
    for (std::size_t i = 0; i < remainder.frames.size(); ++i) {
      const FrameRef& frame = remainder.frames[i];
      const std::size_t offset = i == 0 ? remainder.offset : 0;
      parts.Set(static_cast<std::uint32_t>(i), offset == 0 ? whole(frame) : view(frame, offset));
    }
    return parts;
  }

 private:
  // What a view keeps alive.
  struct Hold {
    FrameRef frame;
  };

  Napi::Value whole(const FrameRef& frame) {
    auto found = wholes_.find(frame.get());
    if (found != wholes_.end()) return Napi::Value(env_, found->second);
    Napi::Value value = view(frame, 0);
    wholes_.emplace(frame.get(), value);
    return value;
  }

  Napi::Value view(const FrameRef& frame, std::size_t offset) {
    auto* hold = new (std::nothrow) Hold{frame};
    if (hold == nullptr) {
      // No memory for the small holder: a copy needs no holder at all.
      return Napi::Buffer<std::uint8_t>::Copy(env_, frame.data() + offset, frame.size() - offset);
    }
    // The frame's storage is malloc'd, not V8's: report it while views keep
    // it alive, so that garbage collection runs when unwritten backlogs are
    // what holds memory. Once per frame, however many connections owe it: a
    // report per view would tell V8 of a hundred copies that do not exist
    // and make it collect for nothing (measured: a 10 MB frame owed by 100
    // paused clients reported 1 GB).
    if (hold->frame.get()->takeView()) {
      Napi::MemoryManagement::AdjustExternalMemory(env_, static_cast<std::int64_t>(frame.size()));
    }
    // NewOrCopy copies (and finalizes at once) where a runtime forbids
    // buffers over external memory.
    return Napi::Buffer<std::uint8_t>::NewOrCopy(
        env_, const_cast<std::uint8_t*>(frame.data() + offset), frame.size() - offset,
        [](Napi::Env env, std::uint8_t*, Hold* held) {
          if (held->frame.get()->dropView()) {
            Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<std::int64_t>(held->frame.size()));
          }
          delete held;
        },
        hold);
  }

  Napi::Env env_;
  std::unordered_map<const FrameBuffer*, napi_value> wholes_;
};

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

  // Publishes how many connections have frames corked (FanOut::corked) to
  // the word JS reads through corkedView(). Every call that can change it
  // ends with this, so JS always reads the current value: its hooks on a
  // connection's writes, end and destroy look at it before each call and
  // only cross into native code when something is corked.
  void syncCorked() {
    const std::size_t corked = fanout_.corked();
    corkedWord_ = corked > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(corked);
  }

  // A Uint32Array whose element 0 is that word (created once: two external
  // ArrayBuffers over the same memory are not allowed), or undefined when
  // the runtime refuses external buffers (JS then asks every time).
  Napi::Value corkedView() {
    Napi::Env env = this->env();
    if (!corkedView_.IsEmpty()) return corkedView_.Value();
    napi_value buffer;
    if (napi_create_external_arraybuffer(env_, &corkedWord_, sizeof corkedWord_, nullptr, nullptr,
                                         &buffer) != napi_ok) {
      // A pending exception would be thrown on return: this is not an error.
      napi_value ignored;
      bool pending = false;
      if (napi_is_exception_pending(env_, &pending) == napi_ok && pending) {
        napi_get_and_clear_last_exception(env_, &ignored);
      }
      return env.Undefined();
    }
    Napi::Uint32Array view = Napi::Uint32Array::New(env, 1, Napi::ArrayBuffer(env, buffer), 0);
    corkedView_ = Napi::Persistent(view);
    return view;
  }
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
  // (0: all), and none after `byteBudget_` bytes (0: no limit); the idle
  // handle then stays active, so the loop polls for I/O and runs timers and
  // immediates before the next share is written.
  std::size_t flushAll(bool fromLoop) {
    uv_idle_stop(&idle_);
    if (!fanout_.hasPending()) return 0;
    remainders_.clear();
    fanout_.flush(remainders_, fromLoop ? budget_ : 0, fromLoop ? byteBudget_ : 0);
    syncCorked();
    const std::size_t count = remainders_.size();
    if (count != 0) deliver(fromLoop);
    armFlush();
    return count;
  }

  void setBudget(std::size_t connections) { budget_ = connections; }
  void setByteBudget(std::size_t bytes) { byteBudget_ = bytes; }
  std::size_t byteBudget() const { return byteBudget_; }

  // Whether JS can run in this environment. Calls that may run JS (a
  // property lookup) fail once Node stopped it (a terminated worker); the
  // lookup itself runs no JS on the global object.
  bool canRunJs() {
    napi_value global;
    bool has = false;
    if (napi_get_global(env_, &global) != napi_ok) return false;
    return napi_has_named_property(env_, global, "undefined", &has) == napi_ok;
  }
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
    if (!self->canRunJs()) {
      // The environment is being torn down (a worker terminated: Node runs
      // the loop once more to close its handles). Remainders could not reach
      // JS, and the current turn never ended: the cleanup hook writes what
      // stock would have written.
      uv_idle_stop(&self->idle_);
      return;
    }
    self->flushAll(true);
  }

  void deliver(bool fromLoop) {
    Napi::Env env = this->env();
    const std::size_t count = remainders_.size();
    Napi::Uint32Array ids = Napi::Uint32Array::New(env, count);
    Napi::Array buffers = Napi::Array::New(env, count);
    FrameViews views(env);
    for (std::size_t i = 0; i < count; ++i) {
      const FanOut::Remainder& remainder = remainders_[i];
      ids[i] = remainder.id;
      buffers.Set(static_cast<std::uint32_t>(i), views.of(remainder));
    }
    // The views hold their own references to the frames.
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
    // The environment is going away (a worker terminated, or the end of the
    // process after its "exit" event). Frames still corked were broadcast
    // before that, when stock would have written them at once: write what
    // the kernel takes now. JS cannot run any more, so what it refuses is
    // lost, as stock's unfinished writes are when a stream is torn down.
    // Frames of the current turn after its first one would still have been
    // in engine.io's write buffer with stock, which is never written now.
    self->fanout_.truncateTurns();
    self->remainders_.clear();
    self->fanout_.flush(self->remainders_, 0);
    self->remainders_.clear();
    self->syncCorked();
    self->corkedView_.Reset();
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
  // Copying one large frame into many socket buffers is what a flush costs
  // when payloads are large (a 10 MB broadcast to 100 slow clients: about
  // 250 MB into loopback socket buffers). 16 MiB is a few milliseconds of
  // that here, the same order as the connection budget's share.
  std::size_t byteBudget_ = std::size_t{16} << 20;
  napi_async_context asyncContext_ = nullptr;
  napi_async_cleanup_hook_handle cleanupHandle_ = nullptr;
  Napi::FunctionReference onRemainder_;
  Napi::Reference<Napi::Uint32Array> corkedView_;
  std::uint32_t corkedWord_ = 0;
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
  return FrameViews(env).of(remainder);
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

// unregister(id) -> whether it was registered. Writes what is still corked for
// the connection (as much as the kernel takes now: call flushNow(id) first to
// get the rest as a remainder), then closes the duplicate.
Napi::Value Unregister(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  FanoutInstance* self = instanceOf(info);
  const bool removed = self->fanout().remove(idOf(info[0])) == Status::Ok;
  self->syncCorked();
  return Napi::Boolean::New(env, removed);
}

// setBusy(id, busy) -> Buffer[] | undefined. Going busy writes the corked
// frames first and returns what the socket did not take, which the caller
// must write before anything else.
Napi::Value SetBusy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  FanoutInstance* self = instanceOf(info);
  FanOut::Remainder remainder;
  bool has = false;
  self->fanout().setBusy(idOf(info[0]), info[1].ToBoolean().Value(), remainder, has);
  self->syncCorked();
  return remainderOrUndefined(env, has, remainder);
}

// flushNow(id) -> Buffer[] | undefined: "something else is about to be written
// to this connection". Writes its corked frames; a remainder comes back here
// (not through the callback) and the connection is then busy.
Napi::Value FlushNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  FanoutInstance* self = instanceOf(info);
  FanOut::Remainder remainder;
  const bool has = self->fanout().flushOne(idOf(info[0]), remainder);
  self->syncCorked();
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
  // Two passes, both V8's: the UTF-8 length, then the bytes, written
  // straight into the frame allocated at its final size. The first pass
  // flattens a string the encoder concatenated (V8's Utf8Length does, in
  // place), which is most of the cost: for 10 MB about 45 ms, then about
  // 1.5 ms per pass over the flat string, the same work Buffer.from does
  // (Node's Buffer.byteLength and StringBytes::Write make these same V8
  // calls) without its intermediate Buffer.
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
// handed back. volatile: drop it for recipients that got frames in this JS
// turn (see FanOut::enqueue and nextTurn()). A string of any size is
// encoded straight into its frame (see addFrame), never through a copy.
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
  self->syncCorked();
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

// onRemainder(callback): callback(ids: Uint32Array, buffers: Buffer[][]) is
// called once per flush that left bytes unwritten, with all of them. The
// caller writes the Buffers of buffers[i], in order, to connection ids[i]
// through its own stream, ahead of anything else, and the connection stays
// busy until setBusy(id, false). The Buffers view shared frame storage: they
// must not be written to.
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

// flushByteBudget([bytes]) -> bytes. Sets (when given) and returns how many
// bytes the per-iteration flush writes before it leaves the remaining
// connections for the next iteration (0: no limit; default 16 MiB).
Napi::Value FlushByteBudget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FanoutInstance* self = instanceOf(info);
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsNumber() || !(info[0].As<Napi::Number>().DoubleValue() >= 0)) {
      throwTypeError(env, "flushByteBudget(bytes): bytes must be a number >= 0");
      return env.Undefined();
    }
    self->setByteBudget(static_cast<std::size_t>(info[0].As<Napi::Number>().DoubleValue()));
  }
  return Napi::Number::New(env, static_cast<double>(self->byteBudget()));
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

// nextTurn(): a new JS turn starts (called from the nextTick queue after a
// turn that corked frames; see FanOut::nextTurn).
Napi::Value NextTurn(const Napi::CallbackInfo& info) {
  instanceOf(info)->fanout().nextTurn();
  return info.Env().Undefined();
}

// truncateTurn(id) -> number: the connection ends in this turn without
// engine.io writing its buffer first; drops the frames of this turn stock
// would still have held there (see FanOut::truncateTurn).
Napi::Value TruncateTurn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isId(info[0])) {
    throwTypeError(env, "id must be a number");
    return env.Undefined();
  }
  FanoutInstance* self = instanceOf(info);
  const std::size_t dropped = self->fanout().truncateTurn(idOf(info[0]));
  self->syncCorked();
  return Napi::Number::New(env, static_cast<double>(dropped));
}

// corkedView() -> Uint32Array | undefined. Element 0 is how many connections
// have frames corked right now, kept current by every call of this object and
// by the per-iteration flush; undefined when the runtime has no external
// buffers (then nothing tells JS that no frame is corked).
Napi::Value CorkedView(const Napi::CallbackInfo& info) { return instanceOf(info)->corkedView(); }

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
  set("framesHanded", s.framesHanded);
  set("bytesHanded", s.bytesHanded);
  set("droppedVolatile", s.droppedVolatile);
  set("deferredFlushes", s.deferredFlushes);
  set("droppedOnRemove", s.droppedOnRemove);
  set("droppedAtEnd", s.droppedAtEnd);
  // Frame blocks of this thread not yet freed: queued, owed as remainders,
  // or held by views JS has not collected yet.
  const FrameBuffer::Live live = FrameBuffer::live();
  set("framesLive", live.blocks);
  set("frameBytesLive", live.bytes);
  return out;
}

// descriptorReserve([count | { share }]) -> { softLimit, reserve }. Sets (when
// given) how many descriptors registrations keep free for the application: a
// count, or a share of the soft limit in hundredths of a percent; null
// restores the default (10%, at least 64). Returns the soft limit read just
// now (-1: unlimited) and the reserve under it.
Napi::Value DescriptorReserveOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DescriptorReserve& reserve = instanceOf(info)->fanout().reserve();
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (info[0].IsNull()) {
      reserve.useDefault();
    } else if (info[0].IsNumber() && info[0].As<Napi::Number>().DoubleValue() >= 0) {
      reserve.useCount(static_cast<std::uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
    } else if (info[0].IsObject() && info[0].As<Napi::Object>().Get("share").IsNumber() &&
               info[0].As<Napi::Object>().Get("share").As<Napi::Number>().DoubleValue() >= 0) {
      reserve.useShare(info[0].As<Napi::Object>().Get("share").As<Napi::Number>().Uint32Value());
    } else {
      throwTypeError(env, "descriptorReserve(reserve): a count >= 0, { share } or null");
      return env.Undefined();
    }
  } else {
    reserve.refresh();
  }
  Napi::Object out = Napi::Object::New(env);
  const std::uint64_t limit = reserve.softLimit();
  out.Set("softLimit", Napi::Number::New(env, limit == UINT64_MAX ? -1.0 : static_cast<double>(limit)));
  out.Set("reserve", Napi::Number::New(env, static_cast<double>(reserve.reserve())));
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
  add("broadcast", Broadcast);
  add("flush", Flush);
  add("onRemainder", OnRemainder);
  add("flushBudget", FlushBudget);
  add("flushByteBudget", FlushByteBudget);
  add("corkedView", CorkedView);
  add("nextTurn", NextTurn);
  add("truncateTurn", TruncateTurn);
  add("stats", Stats);
  add("descriptorReserve", DescriptorReserveOf);
  // An id's slot is its low slotBits bits (ConnectionTable): JS keeps
  // per-connection state in arrays indexed by slot.
  exports.Set("slotBits", Napi::Number::New(env, ConnectionTable::kSlotBits));
}

}  // namespace

SIO_BINDING(fanout, InitFanout);

}  // namespace sio::binding
