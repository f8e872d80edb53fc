// Frame building, corking and flushing of the broadcast fan-out engine.
#include <benchmark/benchmark.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "FanOut.h"
#include "WebSocketFrame.h"

namespace {

using sio::FanOut;
using sio::FrameRef;
using sio::WebSocketFrame;

// Building a broadcast's frame: one allocation, the header, one copy.
void BM_BuildTextFrame(benchmark::State& state) {
  const std::string packet(static_cast<std::size_t>(state.range(0)), 'x');
  const std::uint8_t prefix[] = {'4'};
  for (auto _ : state) {
    FrameRef frame = WebSocketFrame::build(
        WebSocketFrame::Opcode::Text, prefix,
        {reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size()});
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_BuildTextFrame)->Arg(16)->Arg(100)->Arg(1000)->Arg(70000);

// Socket pairs whose client side is drained after every flush.
struct Sockets {
  std::vector<int> server;
  std::vector<int> client;
  explicit Sockets(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      int fds[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) break;
      server.push_back(fds[0]);
      client.push_back(fds[1]);
    }
  }
  ~Sockets() {
    for (int fd : server) ::close(fd);
    for (int fd : client) ::close(fd);
  }
  void drain() {
    char buffer[65536];
    for (int fd : client) {
      for (int i = 0; i < 1000 && ::read(fd, buffer, sizeof buffer) > 0; ++i) {
      }
    }
  }
};

// Corking one broadcast for N idle recipients: the per-recipient cost of the
// hot path before any syscall (a table lookup and a reference).
void BM_EnqueueRecipients(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  Sockets sockets(1);
  FanOut fanout;
  std::vector<std::uint32_t> ids(n);
  // Many ids on one descriptor: each registration is its own dup.
  for (std::size_t i = 0; i < n; ++i) fanout.add(sockets.server[0], ids[i]);
  std::vector<std::uint32_t> out(n);
  const std::uint8_t prefix[] = {'4'};
  const std::string packet = "2[\"tick\",{\"t\":1}]";
  FrameRef frame = WebSocketFrame::build(
      WebSocketFrame::Opcode::Text, prefix,
      {reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size()});
  for (auto _ : state) {
    benchmark::DoNotOptimize(fanout.enqueue({&frame, 1}, ids, out.data()));
    fanout.discardPending();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_EnqueueRecipients)->Arg(100)->Arg(1000)->Arg(10000);

// A burst of `burst` broadcasts to 64 connections, then one flush: with
// corking this is 64 writes whatever the burst, and the time per frame falls
// as the burst grows. Includes reading the bytes back on the client side.
void BM_BurstFlush(benchmark::State& state) {
  const std::size_t burst = static_cast<std::size_t>(state.range(0));
  Sockets sockets(64);
  FanOut fanout;
  std::vector<std::uint32_t> ids(sockets.server.size());
  for (std::size_t i = 0; i < ids.size(); ++i) fanout.add(sockets.server[i], ids[i]);
  std::vector<std::uint32_t> out(ids.size());
  const std::uint8_t prefix[] = {'4'};
  const std::string packet = "2[\"tick\",{\"t\":1}]";
  std::vector<FanOut::Remainder> remainders;
  for (auto _ : state) {
    for (std::size_t b = 0; b < burst; ++b) {
      FrameRef frame = WebSocketFrame::build(
          WebSocketFrame::Opcode::Text, prefix,
          {reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size()});
      fanout.enqueue({&frame, 1}, ids, out.data());
    }
    fanout.flush(remainders);
    remainders.clear();
    sockets.drain();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst * ids.size()));
  state.counters["writes/flush"] = static_cast<double>(fanout.stats().writes) /
                                   static_cast<double>(state.iterations());
}
BENCHMARK(BM_BurstFlush)->Arg(1)->Arg(10)->Arg(100);

}  // namespace
