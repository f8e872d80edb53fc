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

  // Packet codec, added at the end so the values above stay stable.
  // The JSON scanner could not decide the way V8's JSON.parse would (nesting
  // beyond its depth limit, numbers outside double range, big integers, lone
  // surrogate escapes, input beyond its size limit): the caller must do the
  // work in JS instead of trusting a native "invalid".
  CannotDecide,
  // The header parser was given a prefix of the packet and needs the rest.
  // Internal to the binding; never reaches JS.
  NeedMoreInput,

  // Room registry, after the codec's additions for the same reason.
  IdOutOfRange,          // an id of 2^31 or more, or far beyond the dense range in use

  // Broadcast fan-out.
  BadDescriptor,         // register() got something that is not an open socket
  UnknownConnection,     // a connection id that is not (or no longer) registered
  OutOfMemory,           // a frame buffer could not be allocated
  DescriptorLimit,       // register() could not duplicate the socket (EMFILE, ENFILE)
  DescriptorReserve,     // register() refused: the duplicate would take descriptors kept free

  // Adapter message transcoding (AdapterMessageTranscoder), which also
  // answers CannotDecide for "take the JS path".
  MalformedMessage,      // not a message notepack.io can decode (truncated, trailing bytes, ...)
};

}  // namespace sio
