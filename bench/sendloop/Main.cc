// sio_sendloop: the practical floor for a websocket broadcast. Accepts the
// socket.io client handshake, then on "run <count> <burst>" (stdin) writes
// each message's frame to every joined client with one send() per socket,
// `burst` messages per loop turn; "stats" reports the CPU time the process
// used since "run" (getrusage RUSAGE_SELF). JSON lines on stdout.
#include <csignal>
#include <cstdio>
#include <string>

#include "FileLimit.h"
#include "Options.h"
#include "SendLoopServer.h"

int main(int argc, char** argv) {
  using namespace sio::wsbench;
  static const char* const kKnown[] = {"host", "port", "pad", "event", "max-connections", "max-ms", nullptr};
  const Options args(argc, argv);
  std::string unknown;
  if (!args.onlyKnown(kKnown, unknown)) {
    std::fprintf(stderr,
                 "sio_sendloop: unknown argument %s\n"
                 "usage: sio_sendloop [--port 0] [--host 127.0.0.1] [--pad 68] [--event m]\n"
                 "       [--max-connections 16000] [--max-ms T]\n",
                 unknown.c_str());
    return 2;
  }
  SendLoopOptions o;
  o.host = args.text("host", o.host);
  o.port = static_cast<std::uint16_t>(args.number("port", 0));
  o.pad = static_cast<std::uint32_t>(args.number("pad", o.pad));
  o.event = args.text("event", o.event);
  o.maxConnections = static_cast<std::uint32_t>(args.number("max-connections", o.maxConnections));
  o.maxMs = args.number("max-ms", o.maxMs);
  if (!isLoopback(o.host)) {
    std::fprintf(stderr, "sio_sendloop: --host must be a loopback address (127.x.x.x)\n");
    return 2;
  }
  const std::uint64_t wanted = std::uint64_t{o.maxConnections} + 64;
  const std::uint64_t limit = raiseFileLimit(wanted);
  if (limit < wanted) {
    // Serve what the limit allows; the load generator reports the shortfall.
    o.maxConnections = limit > 128 ? static_cast<std::uint32_t>(limit - 64) : 64;
    std::fprintf(stderr, "sio_sendloop: RLIMIT_NOFILE is %llu; serving at most %u clients\n",
                 static_cast<unsigned long long>(limit), o.maxConnections);
  }
  std::signal(SIGPIPE, SIG_IGN);
  SendLoopServer server(o);
  return server.run();
}
