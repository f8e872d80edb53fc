#pragma once

#include <cstdint>
#include <string>

namespace sio::wsbench {

enum class ServerState : std::uint8_t {
  Free,       // Slot unused.
  Http,       // Reading the upgrade request.
  Open,       // Sent the engine.io open packet, waiting for the namespace connect "40".
  Joined,     // In the broadcast room.
};

// One accepted connection of the send-loop server, stored in a table indexed
// by its file descriptor.
struct ServerConnection {
  int fd = -1;
  ServerState state = ServerState::Free;
  bool wantWrite = false;       // EPOLLOUT armed because `out` holds queued bytes.
  std::uint32_t joinedAt = 0;   // Position in the room list while Joined.
  std::string in;               // Unparsed tail of the last read.
  std::string out;              // Bytes send() could not take yet, in order.
};

}  // namespace sio::wsbench
