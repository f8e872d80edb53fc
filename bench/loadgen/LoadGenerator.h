#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ClientConnection.h"
#include "CommandReader.h"
#include "CpuSample.h"

namespace sio::wsbench {

struct LoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::uint32_t connections = 1000;
  std::uint32_t concurrency = 200;  // Handshakes in flight; keeps the accept backlog from overflowing.
  std::string path = "/socket.io/";
  std::string event = "m";
  std::int64_t connectTimeoutMs = 120000;
  std::int64_t stallMs = 15000;   // A phase ends as incomplete after this long without a frame.
  std::int64_t maxMs = 1800000;   // Hard cap on the program's lifetime.
  std::int64_t batchUs = 0;       // Pause after each busy loop turn (0: none), see LoadGenerator::run.
};

// Kinds of failure the report counts separately.
enum class ClientError : std::uint8_t {
  Connect,         // TCP connect failed after retries.
  Handshake,       // Upgrade refused or Sec-WebSocket-Accept wrong.
  Protocol,        // Malformed or unexpected frame (masked, reserved bits, bad length).
  ConnectRefused,  // socket.io answered the namespace connect with an error ("44").
  ServerClosed,    // Server closed the connection (close frame, EOF, "41", engine.io "1").
  Io,              // read/write error (e.g. reset).
  Timeout,         // Still handshaking at the connect deadline.
  Count
};

// An epoll client that holds many socket.io websocket connections, answers
// engine.io pings, and counts and checks broadcast event frames. It runs on
// the same cores as the server it measures, so the read path is built to be
// cheap: one read per readiness into a shared buffer, frames parsed in place,
// the seq read straight from the bytes.
class LoadGenerator {
 public:
  explicit LoadGenerator(LoadOptions options);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Runs until "quit", the command pipe closing, or the lifetime cap.
  // Returns the process exit code.
  int run();

 private:
  void startConnections();
  void openConnection(std::uint32_t index);
  void retryOrFail(std::uint32_t index);
  void onEvent(std::uint32_t index, std::uint32_t events);
  void onConnectDone(std::uint32_t index);
  void onReadable(std::uint32_t index);
  // Both return how many bytes they consumed, or kDead if the connection closed.
  std::size_t handleHandshake(ClientConnection& c, const std::uint8_t* data, std::size_t size);
  std::size_t handleFrames(ClientConnection& c, const std::uint8_t* data, std::size_t size);
  void handleMessage(ClientConnection& c, std::uint8_t opcode, const std::uint8_t* p, std::size_t n);
  void handleText(ClientConnection& c, const std::uint8_t* p, std::size_t n);
  void handleEvent(ClientConnection& c, const std::uint8_t* p, std::size_t n);
  void sendFrame(ClientConnection& c, std::uint8_t opcode, const std::uint8_t* payload, std::size_t n);
  void writeBytes(ClientConnection& c, const char* data, std::size_t n);
  void flushOut(ClientConnection& c);
  void setInterest(ClientConnection& c, std::uint32_t index, bool write);
  void fail(ClientConnection& c, ClientError error);
  void closeConnection(ClientConnection& c, bool abortive);
  void becomeReady(ClientConnection& c);

  void handleCommand(const std::string& line);
  void checkPhase(std::int64_t nowNs);
  void reportConnected(std::int64_t nowNs);
  void reportPhase(bool stalled);
  void reportFinal(const char* reason);
  void appendChecks(std::string& json, std::uint32_t target) const;
  void appendErrors(std::string& json) const;
  void emitLine(const std::string& json);

  static constexpr std::size_t kDead = static_cast<std::size_t>(-1);

  LoadOptions options_;
  int epoll_ = -1;
  CommandReader commands_;
  std::vector<ClientConnection> conns_;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint32_t> startQueue_;  // Indices waiting to be opened (LIFO is fine).
  std::string eventPrefix_;                // 42["<event>",{"seq":
  std::uint64_t rng_;

  std::uint32_t inFlight_ = 0;
  std::uint32_t ready_ = 0;      // Currently in Ready.
  std::uint32_t everReady_ = 0;  // Reached Ready at some point.
  std::uint32_t failed_ = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(ClientError::Count)> errors_{};
  bool connectReported_ = false;
  bool quit_ = false;
  std::int64_t startNs_ = 0;
  std::int64_t nowNs_ = 0;

  std::uint64_t framesTotal_ = 0;  // Event frames, all connections, since start.
  std::uint64_t pingsAnswered_ = 0;
  std::uint64_t reads_ = 0;

  // The phase the driver waits on: every connection reaches `phaseTarget_`
  // event frames in total.
  bool phaseActive_ = false;
  std::uint32_t phaseTarget_ = 0;
  std::uint32_t phaseDone_ = 0;
  std::uint64_t phaseFramesStart_ = 0;
  std::uint64_t phaseReadsStart_ = 0;
  std::int64_t phaseFirstFrameNs_ = 0;
  std::int64_t lastFrameNs_ = 0;
  CpuSample phaseStart_;
};

}  // namespace sio::wsbench
