#pragma once

#include <cstdint>

namespace sio {

// Every fallible operation of the core returns one of these codes instead of
// throwing: the core is built without exceptions, and only the binding layer
// turns a code into a JS error (see native/binding/Errors.cc).
enum class Status : std::uint8_t {
  Ok = 0,

  // Packet codec. The messages the binding attaches to these are the exact
  // messages of socket.io-parser.
  UnknownPacketType,     // "unknown packet type <n>"
  IllegalAttachments,    // "Illegal attachments"
  TooManyAttachments,    // "too many attachments"
  InvalidPayload,        // "invalid payload"
  IllegalPlaceholder,    // "illegal attachments" (placeholder num out of range)
  TooDeep,               // payload nesting beyond the scanner's limit
  TooLarge,              // input beyond a configured size limit

  // Room registry.
  UnknownSocket,
  UnknownRoom,
  CapacityExceeded,

  // Broadcast fan-out.
  BadDescriptor,         // register() got something that is not an open socket
  UnknownConnection,     // a connection id that is not (or no longer) registered
  OutOfMemory,           // a frame buffer could not be allocated
};

}  // namespace sio
