#pragma once

#include <cstdint>
#include <string>

namespace sio::wsbench {

// Where one simulated client is in the socket.io handshake.
enum class ClientState : std::uint8_t {
  Idle,          // Not opened yet (or waiting to retry a refused connect).
  Connecting,    // Non-blocking TCP connect in progress.
  Upgrading,     // HTTP upgrade request sent, waiting for "101 Switching Protocols".
  AwaitOpen,     // WebSocket open, waiting for the engine.io open packet "0{...}".
  AwaitConnect,  // Sent the namespace connect "40", waiting for "40{"sid":...}".
  Ready,         // Joined: counts and checks event frames.
  Closed,        // Closed after having been Ready (server close or error).
  Failed,        // Never became Ready.
};

// State of one client connection. Kept small and flat because the load
// generator holds 10,000+ of them; the strings only allocate when a frame is
// split across reads (and then keep their capacity), when a write would block,
// or when the server fragments a message, so steady-state frame handling does
// not allocate.
struct ClientConnection {
  int fd = -1;
  ClientState state = ClientState::Idle;
  std::uint8_t attempts = 0;
  std::uint8_t fragmentOpcode = 0;  // Opcode of the fragmented message being assembled, 0 if none.
  bool wantWrite = false;           // EPOLLOUT is armed because `out` holds unsent bytes.

  // Ordering check: the server numbers messages 0, 1, 2, ... and every
  // client must see each number exactly once, in increasing order.
  std::uint32_t nextSeq = 0;
  std::uint32_t received = 0;
  std::uint32_t duplicates = 0;  // A seq at or below one already seen (repeat or reorder).
  std::uint32_t missing = 0;     // Seqs skipped over.
  std::uint32_t foreign = 0;     // Messages that are neither protocol nor our event.

  char key[25] = {};  // The Sec-WebSocket-Key sent, to verify Sec-WebSocket-Accept.
  std::string carry;    // Unparsed tail of the last read (partial frame or header).
  std::string out;      // Bytes a write could not take yet.
  std::string message;  // A fragmented message being reassembled.
};

}  // namespace sio::wsbench
