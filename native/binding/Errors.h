#pragma once

#include <napi.h>

#include <string_view>

#include "Status.h"

namespace sio::binding {

// The message for a status: socket.io-parser's exact text for protocol errors
// (for UnknownPacketType the caller appends the type, as socket.io-parser
// does). Also exported to JS so lib/ can build its own Error objects.
const char* statusMessage(Status status);

// The one place where core status codes become JS errors. Protocol errors
// carry socket.io-parser's exact messages; `detail` is appended where
// socket.io-parser appends something (the packet type for unknown types).
Napi::Error toJsError(Napi::Env env, Status status, std::string_view detail = {});

// Throws a TypeError for API misuse (wrong argument types): that is a bug in
// the caller, not bad input from the network.
void throwTypeError(Napi::Env env, const char* message);

// Throws a RangeError (code ERR_OUT_OF_RANGE) for an argument of the right
// type but an unusable value, such as a negative or fractional id.
void throwRangeError(Napi::Env env, const char* message);

}  // namespace sio::binding
