#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "Status.h"

namespace sio {

// The header of an encoded socket.io packet ("51-/chat,12[...]": type,
// attachments, namespace, ack id) and where its JSON payload starts. Parsing
// follows socket.io-parser 4.2.x's Decoder#decodeString step by step, quirks
// included, over UTF-16 code units so that every offset is a JS string index.
class PacketHeader {
 public:
  double type = 0;           // NaN or 7..9 when status is UnknownPacketType
  double attachments = -1;   // only for BINARY_EVENT / BINARY_ACK, else -1
  bool hasNamespace = false; // false means the default namespace "/"
  std::size_t namespaceBegin = 0;
  std::size_t namespaceEnd = 0;
  bool hasId = false;
  double id = 0;             // Number(digits and white space): may be NaN
  std::size_t payloadBegin = 0;  // == the text's length when there is no payload

  // Parses `text`. When `complete` is false, `text` is only a prefix of the
  // packet: the parse returns Status::NeedMoreInput as soon as it would look
  // at or past the end of the prefix, so a caller can try a cheap prefix
  // first and hand over the whole string only when the header is long.
  // `maxAttachments` is compared like socket.io-parser's option (NaN never
  // rejects).
  static Status parse(std::u16string_view text, bool complete, double maxAttachments,
                      PacketHeader& out);

  // Appends the prefix socket.io-parser's Encoder#encodeAsString writes before
  // the JSON payload: type, "<attachments>-" for binary types, "<nsp>," for a
  // namespace other than "/" (and not empty), then the ack id when present.
  // Numbers are written as JS's String(n) would write them.
  static void encode(double type, double attachments, std::string_view nsp, bool hasId,
                     double id, std::string& out);
};

}  // namespace sio
