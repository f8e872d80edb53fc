#include "Module.h"

#include <array>
#include <cstddef>

namespace sio::binding {
namespace {

struct Entry {
  const char* name;
  InitFn fn;
};

// A fixed table filled during static initialization; it only holds function
// pointers, which are the same for every addon instance.
constexpr std::size_t kMaxBindings = 16;
std::array<Entry, kMaxBindings>& table() {
  static std::array<Entry, kMaxBindings> entries{};
  return entries;
}
std::size_t& tableSize() {
  static std::size_t size = 0;
  return size;
}

}  // namespace

Registration::Registration(const char* name, InitFn fn) {
  if (tableSize() < kMaxBindings) table()[tableSize()++] = Entry{name, fn};
}

void initAll(Napi::Env env, Napi::Object exports) {
  for (std::size_t i = 0; i < tableSize(); ++i) {
    Napi::Object sub = Napi::Object::New(env);
    table()[i].fn(env, sub);
    exports.Set(table()[i].name, sub);
  }
}

}  // namespace sio::binding

namespace {

// Napi::Addon makes the module context-aware: it can be loaded in several
// worker threads at once, each with its own instance.
class SocketIoNative : public Napi::Addon<SocketIoNative> {
 public:
  SocketIoNative(Napi::Env env, Napi::Object exports) {
    sio::binding::initAll(env, exports);
  }
};

}  // namespace

NODE_API_ADDON(SocketIoNative)
