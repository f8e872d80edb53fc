#include "SendLoopServer.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "FrameHeader.h"
#include "HttpHead.h"
#include "JsonField.h"
#include "WebSocketAccept.h"

namespace sio::wsbench {
namespace {

constexpr std::uint64_t kListenTag = 0xFFFFFFFEull;
constexpr std::uint64_t kCommandTag = 0xFFFFFFFFull;
constexpr int kMaxEvents = 1024;
constexpr std::size_t kReadSize = 64 * 1024;
constexpr std::size_t kMaxHttpHeader = 8192;
constexpr std::uint64_t kMaxPayload = 1000000;
constexpr int kBacklog = 4096;

}  // namespace

SendLoopServer::SendLoopServer(SendLoopOptions options)
    : options_(std::move(options)),
      commands_(STDIN_FILENO),
      conns_(options_.maxConnections + 64),
      buffer_(4 * kReadSize) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  room_.reserve(options_.maxConnections);
  frame_.resize(14 + 64 + options_.pad + options_.event.size());
}

SendLoopServer::~SendLoopServer() {
  for (ServerConnection& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
  if (listen_ >= 0) close(listen_);
  if (epoll_ >= 0) close(epoll_);
}

bool SendLoopServer::listenSocket() {
  listen_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_ < 0) return false;
  const int one = 1;
  setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.port);
  inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr);
  if (bind(listen_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return false;
  if (listen(listen_, kBacklog) != 0) return false;
  socklen_t len = sizeof addr;
  getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
  options_.port = ntohs(addr.sin_port);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, listen_, &ev);
  ev.data.u64 = kCommandTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, commands_.fd(), &ev);
  return true;
}

int SendLoopServer::run() {
  if (epoll_ < 0 || !listenSocket()) {
    std::fprintf(stderr, "sio_sendloop: cannot listen on %s:%u: %s\n", options_.host.c_str(),
                 options_.port, std::strerror(errno));
    return 2;
  }
  emitLine("{\"event\":\"listening\",\"port\":" + std::to_string(options_.port) + "}");
  const std::int64_t deadline = monotonicNs() + options_.maxMs * 1000000;
  std::array<epoll_event, kMaxEvents> events;
  while (!quit_) {
    // While a phase is sending, poll without blocking between turns, the way
    // Node runs setImmediate callbacks after a non-blocking poll.
    const bool sending = sending_ && remaining_ > 0;
    const int n = epoll_wait(epoll_, events.data(), kMaxEvents, sending ? 0 : 50);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        acceptAll();
      } else if (tag == kCommandTag) {
        if (!commands_.fill()) quit_ = true;
        std::string line;
        while (commands_.nextLine(line)) handleCommand(line);
      } else {
        const int fd = static_cast<int>(tag);
        ServerConnection& c = conns_[static_cast<std::size_t>(fd)];
        if (c.fd < 0) continue;
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) onReadable(fd);
        if (c.fd >= 0 && (events[i].events & EPOLLOUT) && c.wantWrite) {
          flushOut(c);
          if (c.fd >= 0 && c.out.empty()) setWriteInterest(c, false);
        }
      }
    }
    if (sending_ && remaining_ > 0) {
      for (std::uint32_t b = 0; b < burst_ && remaining_ > 0; ++b) broadcastOne();
      if (remaining_ == 0) {
        std::string json = "{\"event\":\"sent\"";
        appendJsonField(json, "messages", static_cast<std::int64_t>(messages_));
        json += '}';
        emitLine(json);
      }
    }
    if (monotonicNs() > deadline) {
      std::fprintf(stderr, "sio_sendloop: lifetime limit reached\n");
      break;
    }
  }
  return 0;
}

void SendLoopServer::acceptAll() {
  // Bounded per wake-up so a connection storm cannot starve other events.
  for (int i = 0; i < 512; ++i) {
    const int fd = accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (static_cast<std::size_t>(fd) >= conns_.size()) {
      close(fd);
      continue;
    }
    const int one = 1;
    // As ws does for socket.io: frames go out as soon as they are written.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ServerConnection& c = conns_[static_cast<std::size_t>(fd)];
    c.fd = fd;
    c.state = ServerState::Http;
    c.wantWrite = false;
    c.in.clear();
    c.out.clear();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<std::uint64_t>(fd);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void SendLoopServer::onReadable(int fd) {
  ServerConnection& c = conns_[static_cast<std::size_t>(fd)];
  const std::size_t have = c.in.size();
  if (buffer_.size() < have + kReadSize) buffer_.resize(have + kReadSize);
  std::uint8_t* base = buffer_.data();
  if (have != 0) std::memcpy(base, c.in.data(), have);
  const ssize_t r = read(fd, base + have, buffer_.size() - have);
  if (r <= 0) {
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    closeConnection(c);
    return;
  }
  const std::size_t size = have + static_cast<std::size_t>(r);
  std::size_t used = 0;
  if (c.state == ServerState::Http) {
    used = handleRequest(c, base, size);
    if (c.fd < 0) return;
    if (used == 0) {
      c.in.assign(reinterpret_cast<const char*>(base), size);
      return;
    }
  }
  const std::size_t framed = handleFrames(c, base + used, size - used);
  if (c.fd < 0) return;
  used += framed;
  c.in.assign(reinterpret_cast<const char*>(base + used), size - used);
}

std::size_t SendLoopServer::handleRequest(ServerConnection& c, const std::uint8_t* data,
                                          std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (size > kMaxHttpHeader) closeConnection(c);
    return 0;
  }
  const std::string_view head = text.substr(0, end);
  const std::string_view requestLine = head.substr(0, head.find("\r\n"));
  const std::string_view key = headerValue(head, "sec-websocket-key");
  const bool ok = requestLine.substr(0, 4) == "GET " &&
                  requestLine.find("transport=websocket") != std::string_view::npos &&
                  hasToken(headerValue(head, "upgrade"), "websocket") &&
                  hasToken(headerValue(head, "connection"), "upgrade") &&
                  headerValue(head, "sec-websocket-version") == "13" && key.size() == 24;
  if (!ok) {
    static const char kBad[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    sendBytes(c, kBad, sizeof kBad - 1);
    closeConnection(c);
    return 0;
  }
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response += webSocketAccept(key);
  response += "\r\n\r\n";
  sendBytes(c, response.data(), response.size());
  // The engine.io open packet. The benchmark never pings, so the interval is
  // only informative; the load generator does not enforce it.
  char open[160];
  const int n = std::snprintf(open, sizeof open,
                              "0{\"sid\":\"e%019llu\",\"upgrades\":[],\"pingInterval\":25000,"
                              "\"pingTimeout\":20000,\"maxPayload\":1000000}",
                              static_cast<unsigned long long>(nextSid_++));
  sendMessage(c, static_cast<std::uint8_t>(Opcode::Text), open, static_cast<std::size_t>(n));
  c.state = ServerState::Open;
  return end + 4;
}

std::size_t SendLoopServer::handleFrames(ServerConnection& c, std::uint8_t* data, std::size_t size) {
  std::size_t pos = 0;
  while (pos < size) {
    FrameHeader h;
    const HeaderResult res = parseFrameHeader(data + pos, size - pos, h);
    if (res == HeaderResult::NeedMore) break;
    // Clients must mask (RFC 6455 5.1); fragments are not needed by any
    // client of this benchmark, so they are refused too.
    if (res == HeaderResult::Malformed || !h.masked || h.rsv != 0 || !h.fin ||
        h.payloadSize > kMaxPayload) {
      closeConnection(c);
      return 0;
    }
    const std::size_t total = h.headerSize + static_cast<std::size_t>(h.payloadSize);
    if (size - pos < total) break;
    std::uint8_t* payload = data + pos + h.headerSize;
    const std::size_t n = static_cast<std::size_t>(h.payloadSize);
    applyMask(payload, n, h.maskKey);
    pos += total;
    switch (static_cast<Opcode>(h.opcode)) {
      case Opcode::Text:
        handleText(c, payload, n);
        break;
      case Opcode::Close:
        sendMessage(c, static_cast<std::uint8_t>(Opcode::Close), reinterpret_cast<const char*>(payload),
                    n >= 2 ? 2 : 0);
        closeConnection(c);
        return 0;
      case Opcode::Ping:
        sendMessage(c, static_cast<std::uint8_t>(Opcode::Pong), reinterpret_cast<const char*>(payload), n);
        break;
      case Opcode::Pong:
        break;
      default:
        closeConnection(c);
        return 0;
    }
    if (c.fd < 0) return 0;
  }
  return pos;
}

void SendLoopServer::handleText(ServerConnection& c, const std::uint8_t* p, std::size_t n) {
  if (n >= 2 && p[0] == '4' && p[1] == '0' && c.state == ServerState::Open) {
    // Namespace connect (with or without an auth payload): acknowledge with a
    // socket id and put the connection in the room.
    char ack[48];
    const int len = std::snprintf(ack, sizeof ack, "40{\"sid\":\"s%019d\"}", c.fd);
    sendMessage(c, static_cast<std::uint8_t>(Opcode::Text), ack, static_cast<std::size_t>(len));
    join(c);
  } else if ((n >= 2 && p[0] == '4' && p[1] == '1') || (n >= 1 && p[0] == '1')) {
    closeConnection(c);
  }
  // Anything else ("3" pongs, events) is accepted and ignored.
}

void SendLoopServer::join(ServerConnection& c) {
  c.state = ServerState::Joined;
  c.joinedAt = static_cast<std::uint32_t>(room_.size());
  room_.push_back(c.fd);
}

void SendLoopServer::sendMessage(ServerConnection& c, std::uint8_t opcode, const char* payload,
                                 std::size_t n) {
  std::uint8_t head[14];
  const std::size_t h = writeFrameHeader(head, static_cast<Opcode>(opcode), n, nullptr);
  std::string frame(reinterpret_cast<const char*>(head), h);
  frame.append(payload, n);
  sendBytes(c, frame.data(), frame.size());
}

void SendLoopServer::sendBytes(ServerConnection& c, const char* data, std::size_t n) {
  if (c.fd < 0) return;
  // Queued bytes go first, or the stream would reorder.
  if (!c.out.empty()) {
    c.out.append(data, n);
    ++blocked_;
    return;
  }
  const ssize_t w = send(c.fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    closeConnection(c);
    return;
  }
  const std::size_t done = w > 0 ? static_cast<std::size_t>(w) : 0;
  if (done < n) {
    c.out.append(data + done, n - done);
    ++blocked_;
    setWriteInterest(c, true);
  }
}

void SendLoopServer::flushOut(ServerConnection& c) {
  while (!c.out.empty()) {
    const ssize_t w = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      closeConnection(c);
      return;
    }
    c.out.erase(0, static_cast<std::size_t>(w));
  }
}

void SendLoopServer::setWriteInterest(ServerConnection& c, bool write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (write ? EPOLLOUT : 0u);
  ev.data.u64 = static_cast<std::uint64_t>(c.fd);
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  c.wantWrite = write;
}

void SendLoopServer::closeConnection(ServerConnection& c) {
  if (c.fd < 0) return;
  if (!c.out.empty()) ++dropped_;
  if (c.state == ServerState::Joined) {
    // Swap-remove keeps the room dense for the broadcast loop.
    const int last = room_.back();
    room_[c.joinedAt] = last;
    conns_[static_cast<std::size_t>(last)].joinedAt = c.joinedAt;
    room_.pop_back();
  }
  close(c.fd);
  c.fd = -1;
  c.state = ServerState::Free;
  c.wantWrite = false;
  c.in.clear();
  c.out.clear();
}

void SendLoopServer::broadcastOne() {
  // Build the frame once: 42["m",{"seq":N,"pad":"xx..."}], the bytes
  // socket.io produces for io.to(room).emit("m", {seq, pad}).
  std::string payload;
  payload.reserve(frame_.size());
  payload += "42[\"";
  payload += options_.event;
  payload += "\",{\"seq\":";
  payload += std::to_string(seq_);
  payload += ",\"pad\":\"";
  payload.append(options_.pad, 'x');
  payload += "\"}]";
  const std::size_t h = writeFrameHeader(frame_.data(), Opcode::Text, payload.size(), nullptr);
  std::memcpy(frame_.data() + h, payload.data(), payload.size());
  const char* frame = reinterpret_cast<const char*>(frame_.data());
  const std::size_t size = h + payload.size();
  // The room can shrink while sending (a failed send closes the socket and
  // swap-removes it), so walk it by index and re-check the bound.
  for (std::size_t i = 0; i < room_.size(); ++i) {
    ServerConnection& c = conns_[static_cast<std::size_t>(room_[i])];
    const std::size_t before = room_.size();
    sendBytes(c, frame, size);
    ++frames_;
    if (room_.size() < before) --i;
  }
  ++seq_;
  ++messages_;
  --remaining_;
}

void SendLoopServer::handleCommand(const std::string& line) {
  if (line.rfind("run ", 0) == 0) {
    char* end = nullptr;
    remaining_ = static_cast<std::uint32_t>(std::strtoul(line.c_str() + 4, &end, 10));
    const unsigned long burst = std::strtoul(end, nullptr, 10);
    burst_ = burst > 0 ? static_cast<std::uint32_t>(burst) : 1;
    messages_ = frames_ = blocked_ = dropped_ = 0;
    sending_ = true;
    phaseStart_ = CpuSample::now();
  } else if (line == "stats") {
    const CpuSample now = CpuSample::now();
    std::string json = "{\"event\":\"stats\"";
    appendJsonField(json, "cpuUserUs", now.userUs - phaseStart_.userUs);
    appendJsonField(json, "cpuSysUs", now.sysUs - phaseStart_.sysUs);
    appendJsonField(json, "wallUs", (now.monoNs - phaseStart_.monoNs) / 1000);
    appendJsonField(json, "messages", static_cast<std::int64_t>(messages_));
    appendJsonField(json, "frames", static_cast<std::int64_t>(frames_));
    appendJsonField(json, "blocked", static_cast<std::int64_t>(blocked_));
    appendJsonField(json, "dropped", static_cast<std::int64_t>(dropped_));
    appendJsonField(json, "clients", static_cast<std::int64_t>(room_.size()));
    appendJsonField(json, "voluntarySwitches", now.voluntarySwitches - phaseStart_.voluntarySwitches);
    appendJsonField(json, "involuntarySwitches", now.involuntarySwitches - phaseStart_.involuntarySwitches);
    json += '}';
    emitLine(json);
    sending_ = false;
  } else if (line == "quit") {
    quit_ = true;
  } else if (!line.empty()) {
    emitLine("{\"event\":\"error\",\"message\":\"unknown command\"}");
  }
}

void SendLoopServer::emitLine(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace sio::wsbench
