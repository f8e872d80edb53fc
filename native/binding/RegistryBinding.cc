#include <napi.h>

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
class RegistryBinding : public Napi::ObjectWrap<RegistryBinding> {
 public:
  static void init(Napi::Env env, Napi::Object exports);

  explicit RegistryBinding(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<RegistryBinding>(info) {}

 private:
  Napi::Value addSocket(const Napi::CallbackInfo& info);
  Napi::Value add(const Napi::CallbackInfo& info);
  Napi::Value del(const Napi::CallbackInfo& info);
  Napi::Value delAll(const Napi::CallbackInfo& info);
  Napi::Value removeSocket(const Napi::CallbackInfo& info);
  Napi::Value hasSocket(const Napi::CallbackInfo& info);
  Napi::Value has(const Napi::CallbackInfo& info);
  Napi::Value roomSize(const Napi::CallbackInfo& info);
  Napi::Value socketRoomCount(const Napi::CallbackInfo& info);
  Napi::Value members(const Napi::CallbackInfo& info);
  Napi::Value socketRooms(const Napi::CallbackInfo& info);
  Napi::Value sockets(const Napi::CallbackInfo& info);
  Napi::Value recipients(const Napi::CallbackInfo& info);
  Napi::Value memoryUsage(const Napi::CallbackInfo& info);
  Napi::Value socketCount(const Napi::CallbackInfo& info);
  Napi::Value roomCount(const Napi::CallbackInfo& info);

  RoomRegistry registry_;
};

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

Napi::Value RegistryBinding::addSocket(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  if (!readId(info, 0, "socket", &socket)) return info.Env().Undefined();
  bool created = false;
  const Status status = registry_.addSocket(socket, &created);
  if (status != Status::Ok) {
    toJsError(info.Env(), status).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return Napi::Boolean::New(info.Env(), created);
}

Napi::Value RegistryBinding::add(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  std::uint32_t room = 0;
  if (!readId(info, 0, "socket", &socket) || !readId(info, 1, "room", &room)) {
    return info.Env().Undefined();
  }
  std::uint32_t flags = 0;
  const Status status = registry_.add(socket, room, &flags);
  if (status != Status::Ok) {
    toJsError(info.Env(), status).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), flags);
}

Napi::Value RegistryBinding::del(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  std::uint32_t room = 0;
  if (!readId(info, 0, "socket", &socket) || !readId(info, 1, "room", &room)) {
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), registry_.del(socket, room));
}

Napi::Value RegistryBinding::delAll(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  std::span<std::uint32_t> out;
  if (!readId(info, 0, "socket", &socket) || !readIds(info, 1, "out", &out)) {
    return info.Env().Undefined();
  }
  return listed(info.Env(), registry_.delAll(socket, out), out.size());
}

Napi::Value RegistryBinding::removeSocket(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  if (!readId(info, 0, "socket", &socket)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), registry_.removeSocket(socket));
}

Napi::Value RegistryBinding::hasSocket(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  if (!readId(info, 0, "socket", &socket)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), registry_.hasSocket(socket));
}

Napi::Value RegistryBinding::has(const Napi::CallbackInfo& info) {
  std::uint32_t room = 0;
  std::uint32_t socket = 0;
  if (!readId(info, 0, "room", &room) || !readId(info, 1, "socket", &socket)) {
    return info.Env().Undefined();
  }
  return Napi::Boolean::New(info.Env(), registry_.has(room, socket));
}

Napi::Value RegistryBinding::roomSize(const Napi::CallbackInfo& info) {
  std::uint32_t room = 0;
  if (!readId(info, 0, "room", &room)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), registry_.roomSize(room));
}

Napi::Value RegistryBinding::socketRoomCount(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  if (!readId(info, 0, "socket", &socket)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), registry_.socketRoomCount(socket));
}

Napi::Value RegistryBinding::members(const Napi::CallbackInfo& info) {
  std::uint32_t room = 0;
  std::span<std::uint32_t> out;
  if (!readId(info, 0, "room", &room) || !readIds(info, 1, "out", &out)) {
    return info.Env().Undefined();
  }
  return listed(info.Env(), registry_.members(room, out), out.size());
}

Napi::Value RegistryBinding::socketRooms(const Napi::CallbackInfo& info) {
  std::uint32_t socket = 0;
  std::span<std::uint32_t> out;
  if (!readId(info, 0, "socket", &socket) || !readIds(info, 1, "out", &out)) {
    return info.Env().Undefined();
  }
  return listed(info.Env(), registry_.socketRooms(socket, out), out.size());
}

Napi::Value RegistryBinding::sockets(const Napi::CallbackInfo& info) {
  std::span<std::uint32_t> out;
  if (!readIds(info, 0, "out", &out)) return info.Env().Undefined();
  return listed(info.Env(), registry_.sockets(out), out.size());
}

Napi::Value RegistryBinding::recipients(const Napi::CallbackInfo& info) {
  std::span<std::uint32_t> rooms;
  std::span<std::uint32_t> except;
  std::span<std::uint32_t> out;
  std::uint32_t nRooms = 0;
  std::uint32_t nExcept = 0;
  if (!readIds(info, 0, "rooms", &rooms) ||
      !readInt(info, 1, "nRooms", static_cast<double>(rooms.size()), &nRooms) ||
      !readIds(info, 2, "except", &except) ||
      !readInt(info, 3, "nExcept", static_cast<double>(except.size()), &nExcept) ||
      !readIds(info, 4, "out", &out)) {
    return info.Env().Undefined();
  }
  rooms = rooms.first(nRooms);
  except = except.first(nExcept);
  // The registry reads the room lists while it writes `out`.
  if (overlaps(out, rooms) || overlaps(out, except)) {
    throwTypeError(info.Env(), "The \"out\" argument must not share memory with \"rooms\" or \"except\"");
    return info.Env().Undefined();
  }
  return listed(info.Env(), registry_.recipients(rooms, except, out), out.size());
}

Napi::Value RegistryBinding::memoryUsage(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(registry_.memoryUsage()));
}

Napi::Value RegistryBinding::socketCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(registry_.socketCount()));
}

Napi::Value RegistryBinding::roomCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(registry_.roomCount()));
}

void RegistryBinding::init(Napi::Env env, Napi::Object exports) {
  Napi::Function constructor = DefineClass(
      env, "Registry",
      {
          InstanceMethod<&RegistryBinding::addSocket>("addSocket"),
          InstanceMethod<&RegistryBinding::add>("add"),
          InstanceMethod<&RegistryBinding::del>("del"),
          InstanceMethod<&RegistryBinding::delAll>("delAll"),
          InstanceMethod<&RegistryBinding::removeSocket>("removeSocket"),
          InstanceMethod<&RegistryBinding::hasSocket>("hasSocket"),
          InstanceMethod<&RegistryBinding::has>("has"),
          InstanceMethod<&RegistryBinding::roomSize>("roomSize"),
          InstanceMethod<&RegistryBinding::socketRoomCount>("socketRoomCount"),
          InstanceMethod<&RegistryBinding::members>("members"),
          InstanceMethod<&RegistryBinding::socketRooms>("socketRooms"),
          InstanceMethod<&RegistryBinding::sockets>("sockets"),
          InstanceMethod<&RegistryBinding::recipients>("recipients"),
          InstanceMethod<&RegistryBinding::memoryUsage>("memoryUsage"),
          InstanceMethod<&RegistryBinding::socketCount>("socketCount"),
          InstanceMethod<&RegistryBinding::roomCount>("roomCount"),
      });
  // The constructor is only handed to JS: nothing native keeps a reference,
  // so each addon instance (main thread or worker) has its own class.
  exports.Set("Registry", constructor);
}

void InitRegistry(Napi::Env env, Napi::Object exports) { RegistryBinding::init(env, exports); }

}  // namespace

SIO_BINDING(registry, InitRegistry);

}  // namespace sio::binding
