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
  IdOutOfRange,          // an id of 2^31 or more, or far beyond the dense range in use
};

}  // namespace sio
