#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>

#include "Errors.h"
#include "Module.h"
#include "RoomRegistry.h"

namespace sio::binding {
namespace {

// `addon.registry.Registry`: one RoomRegistry per instance (per namespace).
// Only integers and Uint32Arrays cross the boundary, with a constant number
// of N-API calls per method; listings go into a caller-provided Uint32Array
// and return the count, or -(count needed) when it is too small, so that JS
// grows one reusable array instead of receiving a new one per call.
//
// The API (ids are integers in [0, 2^31), dense: at most 2^20 past the
// largest id in use; `out` arguments are Uint32Arrays):
//   new Registry()
//   addSocket(s) -> true if created (exists with no rooms until removed)
//   add(s, r) -> flags: 1 room created, 2 socket joined (0: already in);
//                creates the socket if needed, like Adapter.addAll
//   del(s, r) -> flags: 1 left, 2 room now empty (the socket stays)
//   delAll(s, out) -> n: removes the socket; its rooms in join order, bit 31
//                set on each that became empty; -(needed) changes nothing
//   removeSocket(s) -> true if it existed (delAll without the listing)
//   hasSocket(s), has(r, s) -> boolean
//   roomSize(r), socketRoomCount(s), socketCount(), roomCount() -> number
//   members(r, out), socketRooms(s, out), sockets(out) -> n or -(needed):
//                insertion, join and creation order respectively
//   recipients(rooms, nRooms, except, nExcept, out) -> n or -(needed): the
//                union of rooms[0..nRooms) in that order, each socket once,
//                minus the members of except[0..nExcept); nRooms == 0 means
//                every socket in creation order; `out` must not overlap them
//   memoryUsage() -> bytes held natively
// and, on `addon.registry` itself:
//   totals() -> { registries, bytes }: the registries of this addon instance
//                (this thread) not yet finalized, and the bytes they hold
// Misuse throws a TypeError (ERR_INVALID_ARG_TYPE) for a wrong type and a
// RangeError (ERR_OUT_OF_RANGE) for a negative, fractional or too large id.
//
// Registry is a small JS class (kClassSource) whose instances keep their
// native state in a private field holding an External, and whose methods pass
// it to the native functions below. An ObjectWrap would be simpler, but
// finding the native object behind `this` (napi_unwrap) costs about 100 ns,
// two thirds of a whole add() or del() call, measured on Node 20; reading an
// External argument costs almost nothing. The native functions are handed to
// the class's factory only, so no other code can call them with a foreign
// External.
class RegistryBinding {
 public:
  static void init(Napi::Env env, Napi::Object exports);

 private:
  static Napi::Value create(const Napi::CallbackInfo& info);
  static Napi::Value argError(const Napi::CallbackInfo& info);
  static void finalize(napi_env env, void* data, void* hint);
  static RegistryBinding* from(const Napi::CallbackInfo& info);

  static Napi::Value addSocket(const Napi::CallbackInfo& info);
  static Napi::Value add(const Napi::CallbackInfo& info);
  static Napi::Value del(const Napi::CallbackInfo& info);
  static Napi::Value delAll(const Napi::CallbackInfo& info);
  static Napi::Value removeSocket(const Napi::CallbackInfo& info);
  static Napi::Value hasSocket(const Napi::CallbackInfo& info);
  static Napi::Value has(const Napi::CallbackInfo& info);
  static Napi::Value roomSize(const Napi::CallbackInfo& info);
  static Napi::Value socketRoomCount(const Napi::CallbackInfo& info);
  static Napi::Value members(const Napi::CallbackInfo& info);
  static Napi::Value socketRooms(const Napi::CallbackInfo& info);
  static Napi::Value sockets(const Napi::CallbackInfo& info);
  static Napi::Value recipients(const Napi::CallbackInfo& info);
  static Napi::Value memoryUsage(const Napi::CallbackInfo& info);
  static Napi::Value socketCount(const Napi::CallbackInfo& info);
  static Napi::Value roomCount(const Napi::CallbackInfo& info);
  static Napi::Value totals(const Napi::CallbackInfo& info);

  // The live registries of this thread, for totals(). Each addon instance
  // (main thread or worker) runs on its own thread, and creation and
  // finalization both happen on it, so a thread-local list needs no lock.
  void link();
  void unlink();
  static thread_local RegistryBinding* live_;
  RegistryBinding* prev_ = nullptr;
  RegistryBinding* next_ = nullptr;

  // Tells V8 about the native memory held, so that a registry weighs on
  // garbage collection decisions as much as the JS Maps it replaces. Only
  // changes of a megabyte or more are reported, which keeps the call out of
  // the per-operation cost.
  void reportMemory(napi_env env);
  static constexpr std::int64_t kReportStep = 1 << 20;

  // The two id arguments of the current call, written by the JS class.
  std::uint32_t id(std::size_t i) const { return args_[i]; }

  RoomRegistry registry_;
  std::int64_t reported_ = 0;
  // The class's Uint32Array(2). The class holds the array for as long as it
  // can call in, so no reference is kept here.
  const std::uint32_t* args_ = nullptr;
};

// Argument 0 of every native function is the instance's External. Ids do not
// travel as arguments: the class checks them (the check is as strict as the
// native one, and anything it refuses goes to argError() for the exact
// TypeError or RangeError) and writes them to a small Uint32Array the native
// side reads directly, which saves converting two napi_values per call, about
// a fifth of an add() or del().
constexpr char kClassSource[] = R"JS(
(function (native) {
  'use strict';
  function check(value, name) {
    if (typeof value === 'number' && (value >>> 0) === value && value <= 0x7fffffff) return;
    native.argError(value, name);
  }
  class Registry {
    #h;
    #a;
    constructor() {
      // Backed by its own ArrayBuffer, so its memory never moves.
      this.#a = new Uint32Array(new ArrayBuffer(8));
      this.#h = native.create(this.#a);
    }
    #id(a, aName) {
      check(a, aName);
      this.#a[0] = a;
      return this.#h;
    }
    #ids(a, aName, b, bName) {
      check(a, aName);
      check(b, bName);
      this.#a[0] = a;
      this.#a[1] = b;
      return this.#h;
    }
    addSocket(s) { return native.addSocket(this.#id(s, 'socket')); }
    add(s, r) { return native.add(this.#ids(s, 'socket', r, 'room')); }
    del(s, r) { return native.del(this.#ids(s, 'socket', r, 'room')); }
    delAll(s, out) { return native.delAll(this.#id(s, 'socket'), out); }
    removeSocket(s) { return native.removeSocket(this.#id(s, 'socket')); }
    hasSocket(s) { return native.hasSocket(this.#id(s, 'socket')); }
    has(r, s) { return native.has(this.#ids(r, 'room', s, 'socket')); }
    roomSize(r) { return native.roomSize(this.#id(r, 'room')); }
    socketRoomCount(s) { return native.socketRoomCount(this.#id(s, 'socket')); }
    members(r, out) { return native.members(this.#id(r, 'room'), out); }
    socketRooms(s, out) { return native.socketRooms(this.#id(s, 'socket'), out); }
    sockets(out) { return native.sockets(this.#h, out); }
    recipients(rooms, nRooms, except, nExcept, out) {
      return native.recipients(this.#h, rooms, nRooms, except, nExcept, out);
    }
    memoryUsage() { return native.memoryUsage(this.#h); }
    socketCount() { return native.socketCount(this.#h); }
    roomCount() { return native.roomCount(this.#h); }
  }
  return Registry;
})
)JS";

// Reads a non-negative integer argument no larger than `max`. On failure a
// TypeError or RangeError is pending and false is returned.
bool readInt(const Napi::CallbackInfo& info, std::size_t i, const char* name, double max,
             std::uint32_t* out) {
  double value = 0;
  if (napi_get_value_double(info.Env(), info[i], &value) != napi_ok) {
    const std::string message = std::string("The \"") + name + "\" argument must be of type number";
    throwTypeError(info.Env(), message.c_str());
    return false;
  }
  if (!(value >= 0 && value <= max) || value != std::trunc(value)) {
    const std::string message = std::string("The value of \"") + name +
                                "\" is out of range. It must be an integer >= 0 and <= " +
                                std::to_string(static_cast<std::uint64_t>(max));
    throwRangeError(info.Env(), message.c_str());
    return false;
  }
  *out = static_cast<std::uint32_t>(value);
  return true;
}

bool readId(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::uint32_t* out) {
  return readInt(info, i, name, RoomRegistry::kMaxId, out);
}

// Reads a Uint32Array argument without copying it.
bool readIds(const Napi::CallbackInfo& info, std::size_t i, const char* name,
             std::span<std::uint32_t>* out) {
  napi_typedarray_type type = napi_int8_array;
  std::size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), info[i], &type, &length, &data, nullptr, nullptr) !=
          napi_ok ||
      type != napi_uint32_array) {
    const std::string message = std::string("The \"") + name + "\" argument must be a Uint32Array";
    throwTypeError(info.Env(), message.c_str());
    return false;
  }
  // A detached buffer reports no data and no length, which is an empty span.
  *out = data == nullptr ? std::span<std::uint32_t>{}
                         : std::span<std::uint32_t>(static_cast<std::uint32_t*>(data), length);
  return true;
}

bool overlaps(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b) {
  if (a.empty() || b.empty()) return false;
  const auto aStart = reinterpret_cast<std::uintptr_t>(a.data());
  const auto bStart = reinterpret_cast<std::uintptr_t>(b.data());
  return aStart < bStart + b.size_bytes() && bStart < aStart + a.size_bytes();
}

// The growth protocol: the count when `out` held it, else -(count needed).
Napi::Value listed(Napi::Env env, std::size_t needed, std::size_t capacity) {
  const auto n = static_cast<double>(needed);
  return Napi::Number::New(env, needed <= capacity ? n : -n);
}

thread_local RegistryBinding* RegistryBinding::live_ = nullptr;

void RegistryBinding::link() {
  next_ = live_;
  if (live_ != nullptr) live_->prev_ = this;
  live_ = this;
}

void RegistryBinding::unlink() {
  if (prev_ != nullptr) prev_->next_ = next_;
  else if (live_ == this) live_ = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
  prev_ = next_ = nullptr;
}

Napi::Value RegistryBinding::totals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double count = 0;
  double bytes = 0;
  // Bounded by the number of live registries, one per namespace.
  for (const RegistryBinding* r = live_; r != nullptr; r = r->next_) {
    count += 1;
    bytes += static_cast<double>(r->registry_.memoryUsage());
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("registries", Napi::Number::New(env, count));
  out.Set("bytes", Napi::Number::New(env, bytes));
  return out;
}

Napi::Value RegistryBinding::create(const Napi::CallbackInfo& info) {
  std::span<std::uint32_t> args;
  if (!readIds(info, 0, "args", &args)) return info.Env().Undefined();
  if (args.size() < 2) {
    throwRangeError(info.Env(), "The \"args\" array must hold 2 ids");
    return info.Env().Undefined();
  }
  auto* binding = new RegistryBinding();
  binding->args_ = args.data();
  napi_value external = nullptr;
  if (napi_create_external(info.Env(), binding, finalize, nullptr, &external) != napi_ok) {
    delete binding;
    return info.Env().Undefined();
  }
  binding->link();
  return Napi::Value(info.Env(), external);
}

Napi::Value RegistryBinding::argError(const Napi::CallbackInfo& info) {
  // Only called with values the class refused: readId() throws for them.
  const std::string name = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "id";
  std::uint32_t ignored = 0;
  if (readId(info, 0, name.c_str(), &ignored)) throwTypeError(info.Env(), "invalid id");
  return info.Env().Undefined();
}

void RegistryBinding::finalize(napi_env env, void* data, void* /*hint*/) {
  auto* binding = static_cast<RegistryBinding*>(data);
  if (binding->reported_ != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -binding->reported_);
  }
  binding->unlink();
  delete binding;
}

RegistryBinding* RegistryBinding::from(const Napi::CallbackInfo& info) {
  void* data = nullptr;
  if (napi_get_value_external(info.Env(), info[0], &data) != napi_ok || data == nullptr) {
    throwTypeError(info.Env(), "Illegal invocation");
    return nullptr;
  }
  return static_cast<RegistryBinding*>(data);
}

void RegistryBinding::reportMemory(napi_env env) {
  const auto now = static_cast<std::int64_t>(registry_.memoryUsage());
  const std::int64_t change = now - reported_;
  if (change >= kReportStep || change <= -kReportStep) {
    Napi::MemoryManagement::AdjustExternalMemory(env, change);
    reported_ = now;
  }
}

Napi::Value RegistryBinding::addSocket(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  bool created = false;
  const Status status = self->registry_.addSocket(socket, &created);
  if (status != Status::Ok) {
    toJsError(info.Env(), status).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  self->reportMemory(info.Env());
  return Napi::Boolean::New(info.Env(), created);
}

Napi::Value RegistryBinding::add(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  const std::uint32_t room = self->id(1);
  std::uint32_t flags = 0;
  const Status status = self->registry_.add(socket, room, &flags);
  if (status != Status::Ok) {
    toJsError(info.Env(), status).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  self->reportMemory(info.Env());
  return Napi::Number::New(info.Env(), flags);
}

Napi::Value RegistryBinding::del(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  const std::uint32_t room = self->id(1);
  const std::uint32_t flags = self->registry_.del(socket, room);
  self->reportMemory(info.Env());
  return Napi::Number::New(info.Env(), flags);
}

Napi::Value RegistryBinding::delAll(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  std::span<std::uint32_t> out;
  if (self == nullptr || !readIds(info, 1, "out", &out)) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  const std::size_t needed = self->registry_.delAll(socket, out);
  self->reportMemory(info.Env());
  return listed(info.Env(), needed, out.size());
}

Napi::Value RegistryBinding::removeSocket(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  const bool existed = self->registry_.removeSocket(socket);
  self->reportMemory(info.Env());
  return Napi::Boolean::New(info.Env(), existed);
}

Napi::Value RegistryBinding::hasSocket(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  return Napi::Boolean::New(info.Env(), self->registry_.hasSocket(socket));
}

Napi::Value RegistryBinding::has(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t room = self->id(0);
  const std::uint32_t socket = self->id(1);
  return Napi::Boolean::New(info.Env(), self->registry_.has(room, socket));
}

Napi::Value RegistryBinding::roomSize(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t room = self->id(0);
  return Napi::Number::New(info.Env(), self->registry_.roomSize(room));
}

Napi::Value RegistryBinding::socketRoomCount(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  return Napi::Number::New(info.Env(), self->registry_.socketRoomCount(socket));
}

Napi::Value RegistryBinding::members(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  std::span<std::uint32_t> out;
  if (self == nullptr || !readIds(info, 1, "out", &out)) return info.Env().Undefined();
  const std::uint32_t room = self->id(0);
  return listed(info.Env(), self->registry_.members(room, out), out.size());
}

Napi::Value RegistryBinding::socketRooms(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  std::span<std::uint32_t> out;
  if (self == nullptr || !readIds(info, 1, "out", &out)) return info.Env().Undefined();
  const std::uint32_t socket = self->id(0);
  return listed(info.Env(), self->registry_.socketRooms(socket, out), out.size());
}

Napi::Value RegistryBinding::sockets(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  std::span<std::uint32_t> out;
  if (self == nullptr || !readIds(info, 1, "out", &out)) return info.Env().Undefined();
  return listed(info.Env(), self->registry_.sockets(out), out.size());
}

Napi::Value RegistryBinding::recipients(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  std::span<std::uint32_t> rooms;
  std::span<std::uint32_t> except;
  std::span<std::uint32_t> out;
  std::uint32_t nRooms = 0;
  std::uint32_t nExcept = 0;
  // Counts are capped like ids, so that they always fit in 32 bits.
  auto countLimit = [](std::span<std::uint32_t> ids) {
    return static_cast<double>(std::min<std::size_t>(ids.size(), RoomRegistry::kMaxId));
  };
  if (self == nullptr || !readIds(info, 1, "rooms", &rooms) ||
      !readInt(info, 2, "nRooms", countLimit(rooms), &nRooms) ||
      !readIds(info, 3, "except", &except) ||
      !readInt(info, 4, "nExcept", countLimit(except), &nExcept) ||
      !readIds(info, 5, "out", &out)) {
    return info.Env().Undefined();
  }
  rooms = rooms.first(nRooms);
  except = except.first(nExcept);
  // The registry reads the room lists while it writes `out`.
  if (overlaps(out, rooms) || overlaps(out, except)) {
    throwTypeError(info.Env(),
                   "The \"out\" argument must not share memory with \"rooms\" or \"except\"");
    return info.Env().Undefined();
  }
  return listed(info.Env(), self->registry_.recipients(rooms, except, out), out.size());
}

Napi::Value RegistryBinding::memoryUsage(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(self->registry_.memoryUsage()));
}

Napi::Value RegistryBinding::socketCount(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(self->registry_.socketCount()));
}

Napi::Value RegistryBinding::roomCount(const Napi::CallbackInfo& info) {
  RegistryBinding* self = from(info);
  if (self == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(self->registry_.roomCount()));
}

void RegistryBinding::init(Napi::Env env, Napi::Object exports) {
  Napi::Object native = Napi::Object::New(env);
  native.Set("create", Napi::Function::New<create>(env, "create"));
  native.Set("argError", Napi::Function::New<argError>(env, "argError"));
  native.Set("addSocket", Napi::Function::New<addSocket>(env, "addSocket"));
  native.Set("add", Napi::Function::New<add>(env, "add"));
  native.Set("del", Napi::Function::New<del>(env, "del"));
  native.Set("delAll", Napi::Function::New<delAll>(env, "delAll"));
  native.Set("removeSocket", Napi::Function::New<removeSocket>(env, "removeSocket"));
  native.Set("hasSocket", Napi::Function::New<hasSocket>(env, "hasSocket"));
  native.Set("has", Napi::Function::New<has>(env, "has"));
  native.Set("roomSize", Napi::Function::New<roomSize>(env, "roomSize"));
  native.Set("socketRoomCount", Napi::Function::New<socketRoomCount>(env, "socketRoomCount"));
  native.Set("members", Napi::Function::New<members>(env, "members"));
  native.Set("socketRooms", Napi::Function::New<socketRooms>(env, "socketRooms"));
  native.Set("sockets", Napi::Function::New<sockets>(env, "sockets"));
  native.Set("recipients", Napi::Function::New<recipients>(env, "recipients"));
  native.Set("memoryUsage", Napi::Function::New<memoryUsage>(env, "memoryUsage"));
  native.Set("socketCount", Napi::Function::New<socketCount>(env, "socketCount"));
  native.Set("roomCount", Napi::Function::New<roomCount>(env, "roomCount"));

  // Compiled once per addon instance, so every worker gets its own class.
  napi_value factory = nullptr;
  napi_value source = Napi::String::New(env, kClassSource);
  if (napi_run_script(env, source, &factory) != napi_ok) return;
  Napi::Value registry = Napi::Function(env, factory).Call({native});
  if (env.IsExceptionPending() || registry.IsEmpty()) return;
  exports.Set("Registry", registry);
  exports.Set("totals", Napi::Function::New<totals>(env, "totals"));
}

void InitRegistry(Napi::Env env, Napi::Object exports) { RegistryBinding::init(env, exports); }

}  // namespace

SIO_BINDING(registry, InitRegistry);

}  // namespace sio::binding
