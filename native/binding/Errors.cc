#include "Errors.h"

#include <string>

namespace sio::binding {

const char* statusMessage(Status status) {
  switch (status) {
    case Status::Ok: return "ok";
    case Status::UnknownPacketType: return "unknown packet type ";
    case Status::IllegalAttachments: return "Illegal attachments";
    case Status::TooManyAttachments: return "too many attachments";
    case Status::InvalidPayload: return "invalid payload";
    case Status::IllegalPlaceholder: return "illegal attachments";
    case Status::TooDeep: return "payload nested too deeply";
    case Status::TooLarge: return "payload too large";
    case Status::UnknownSocket: return "unknown socket";
    case Status::UnknownRoom: return "unknown room";
    case Status::CapacityExceeded: return "capacity exceeded";
    case Status::CannotDecide: return "payload left to JSON.parse";
    case Status::NeedMoreInput: return "header needs more input";
    case Status::IdOutOfRange: return "id out of range: ids must be dense integers below 2^31";
    case Status::BadDescriptor: return "not an open socket descriptor";
    case Status::UnknownConnection: return "unknown connection";
    case Status::OutOfMemory: return "out of memory";
    case Status::DescriptorLimit:
      return "no descriptor left to duplicate the connection's socket (EMFILE): raise the open-files limit";
    case Status::DescriptorReserve:
      return "registering the connection would take descriptors kept free for the application "
             "(SOCKET_IO_NATIVE_FD_RESERVE): raise the open-files limit";
    case Status::MalformedMessage: return "malformed adapter message";
  }
  return "unknown error";
}

namespace {

const char* codeOf(Status status) {
  switch (status) {
    case Status::UnknownPacketType:
    case Status::IllegalAttachments:
    case Status::TooManyAttachments:
    case Status::InvalidPayload:
    case Status::IllegalPlaceholder:
    case Status::TooDeep:
    case Status::TooLarge:
    case Status::CannotDecide:
    case Status::NeedMoreInput:
      return "ERR_SOCKET_IO_PARSE";
    case Status::IdOutOfRange:
      return "ERR_OUT_OF_RANGE";
    // The connection registry keeps these connections on the standard path
    // and may try them again later: unlike a bad socket, they are about the
    // whole process running short of descriptors.
    case Status::DescriptorLimit:
      return "ERR_SOCKET_IO_NATIVE_FD_LIMIT";
    case Status::DescriptorReserve:
      return "ERR_SOCKET_IO_NATIVE_FD_RESERVE";
    default:
      return "ERR_SOCKET_IO_NATIVE";
  }
}

}  // namespace

Napi::Error toJsError(Napi::Env env, Status status, std::string_view detail) {
  std::string message = statusMessage(status);
  message.append(detail);
  // A bad id is the caller's misuse, reported the way Node reports values
  // out of range.
  Napi::Error error = status == Status::IdOutOfRange ? Napi::RangeError::New(env, message)
                                                     : Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, codeOf(status)));
  return error;
}

void throwTypeError(Napi::Env env, const char* message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  error.ThrowAsJavaScriptException();
}

void throwRangeError(Napi::Env env, const char* message) {
  Napi::RangeError error = Napi::RangeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  error.ThrowAsJavaScriptException();
}

}  // namespace sio::binding
