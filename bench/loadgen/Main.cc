// sio_loadgen: opens many socket.io websocket clients against a server on
// loopback and checks the broadcasts they receive. Driven over stdin by
// bench/broadcast.bench.js; reports JSON lines on stdout:
//   {"event":"connected",...}  once every client joined (or failed)
//   {"event":"phase",...}      after "wait <n>": all clients saw n events in total
//   {"event":"final",...}      on "quit", when stdin closes, or at --max-ms
#include <csignal>
#include <cstdio>
#include <string>

#include "FileLimit.h"
#include "LoadGenerator.h"
#include "Options.h"

int main(int argc, char** argv) {
  using namespace sio::wsbench;
  static const char* const kKnown[] = {"host", "port", "connections", "concurrency", "path", "event",
                                       "connect-timeout-ms", "stall-ms", "max-ms", "batch-us", nullptr};
  const Options args(argc, argv);
  std::string unknown;
  if (!args.onlyKnown(kKnown, unknown)) {
    std::fprintf(stderr,
                 "sio_loadgen: unknown argument %s\n"
                 "usage: sio_loadgen --port P [--connections N] [--concurrency C] [--host 127.0.0.1]\n"
                 "       [--path /socket.io/] [--event m] [--connect-timeout-ms T] [--stall-ms T] [--max-ms T] [--batch-us T]\n",
                 unknown.c_str());
    return 2;
  }
  LoadOptions o;
  o.host = args.text("host", o.host);
  o.port = static_cast<std::uint16_t>(args.number("port", 0));
  o.connections = static_cast<std::uint32_t>(args.number("connections", o.connections));
  o.concurrency = static_cast<std::uint32_t>(args.number("concurrency", o.concurrency));
  o.path = args.text("path", o.path);
  o.event = args.text("event", o.event);
  o.connectTimeoutMs = args.number("connect-timeout-ms", o.connectTimeoutMs);
  o.stallMs = args.number("stall-ms", o.stallMs);
  o.maxMs = args.number("max-ms", o.maxMs);
  o.batchUs = args.number("batch-us", o.batchUs);
  if (!isLoopback(o.host) || o.port == 0 || o.connections == 0 || o.concurrency == 0) {
    std::fprintf(stderr, "sio_loadgen: need --port and a loopback --host (127.x.x.x)\n");
    return 2;
  }
  // One descriptor per client plus stdio, epoll and some slack.
  const std::uint64_t wanted = std::uint64_t{o.connections} + 64;
  const std::uint64_t limit = raiseFileLimit(wanted);
  if (limit < wanted) {
    std::fprintf(stderr, "sio_loadgen: RLIMIT_NOFILE is %llu, %llu needed for %u clients\n",
                 static_cast<unsigned long long>(limit), static_cast<unsigned long long>(wanted),
                 o.connections);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  LoadGenerator generator(o);
  return generator.run();
}
