#pragma once

#include <napi.h>

namespace sio::binding {

// Each binding file registers the function that adds its exports to the
// addon's exports object. Registration happens during static initialization
// of the addon itself, and the functions run once per addon instance (main
// thread or worker), so no JS state is ever shared between instances.
using InitFn = void (*)(Napi::Env env, Napi::Object exports);

struct Registration {
  Registration(const char* name, InitFn fn);
};

void initAll(Napi::Env env, Napi::Object exports);

}  // namespace sio::binding

#define SIO_BINDING(name, fn) \
  static ::sio::binding::Registration sioBindingRegistration_##name(#name, fn)
