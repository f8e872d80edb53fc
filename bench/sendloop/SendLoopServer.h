#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "CommandReader.h"
#include "CpuSample.h"
#include "ServerConnection.h"

namespace sio::wsbench {

struct SendLoopOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, reported in the "listening" line.
  std::uint32_t pad = 68;  // Length of the "pad" string; 68 makes a 100-byte frame at 4-digit seqs.
  std::string event = "m";
  std::uint32_t maxConnections = 16000;
  std::int64_t maxMs = 1800000;  // Hard cap on the program's lifetime.
};

// The practical floor for broadcasting over websockets: a plain epoll server
// that speaks just enough engine.io/socket.io for the load generator to join,
// then writes each pre-built frame with one send() per socket. Comparing a
// socket.io server's CPU per delivered frame against this loop shows how much
// of it is framework overhead and how much is the kernel's send path.
class SendLoopServer {
 public:
  explicit SendLoopServer(SendLoopOptions options);
  ~SendLoopServer();
  SendLoopServer(const SendLoopServer&) = delete;
  SendLoopServer& operator=(const SendLoopServer&) = delete;

  // Listens, reports the port, and serves until "quit", the command pipe
  // closing, or the lifetime cap. Returns the process exit code.
  int run();

 private:
  bool listenSocket();
  void acceptAll();
  void onReadable(int fd);
  std::size_t handleRequest(ServerConnection& c, const std::uint8_t* data, std::size_t size);
  std::size_t handleFrames(ServerConnection& c, std::uint8_t* data, std::size_t size);
  void handleText(ServerConnection& c, const std::uint8_t* p, std::size_t n);
  void sendMessage(ServerConnection& c, std::uint8_t opcode, const char* payload, std::size_t n);
  void sendBytes(ServerConnection& c, const char* data, std::size_t n);
  void flushOut(ServerConnection& c);
  void setWriteInterest(ServerConnection& c, bool write);
  void join(ServerConnection& c);
  void closeConnection(ServerConnection& c);

  void broadcastOne();
  void handleCommand(const std::string& line);
  void emitLine(const std::string& json);

  SendLoopOptions options_;
  int epoll_ = -1;
  int listen_ = -1;
  CommandReader commands_;
  std::vector<ServerConnection> conns_;  // Indexed by fd.
  std::vector<int> room_;                // Joined fds, the broadcast targets.
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> frame_;
  std::uint64_t nextSid_ = 1;
  bool quit_ = false;

  // Measured phase.
  bool sending_ = false;
  std::uint32_t remaining_ = 0;
  std::uint32_t burst_ = 1;
  std::uint32_t seq_ = 0;        // Next message number; continues across phases.
  std::uint64_t messages_ = 0;   // Messages broadcast in this phase.
  std::uint64_t frames_ = 0;     // Frames handed to send() or queued in this phase.
  std::uint64_t blocked_ = 0;    // Of those, how many could not go out at once.
  std::uint64_t dropped_ = 0;    // Connections lost with frames still queued.
  CpuSample phaseStart_;
};

}  // namespace sio::wsbench
