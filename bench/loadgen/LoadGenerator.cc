#include "LoadGenerator.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "FrameHeader.h"
#include "HttpHead.h"
#include "JsonField.h"
#include "WebSocketAccept.h"

namespace sio::wsbench {
namespace {

// epoll user data for the command pipe; connection indices are below it.
constexpr std::uint64_t kCommandTag = 0xFFFFFFFFull;
constexpr int kMaxEvents = 1024;
// Reads ask for at least this much room; a burst of ~100-byte frames to one
// socket is drained in one call.
constexpr std::size_t kReadSize = 64 * 1024;
// socket.io's default maxHttpBufferSize; anything larger is a protocol error.
constexpr std::uint64_t kMaxPayload = 1000000;
constexpr std::size_t kMaxHttpHeader = 8192;
constexpr std::uint8_t kMaxAttempts = 3;

const char* errorName(ClientError e) {
  switch (e) {
    case ClientError::Connect: return "connect";
    case ClientError::Handshake: return "handshake";
    case ClientError::Protocol: return "protocol";
    case ClientError::ConnectRefused: return "connectRefused";
    case ClientError::ServerClosed: return "serverClosed";
    case ClientError::Io: return "io";
    case ClientError::Timeout: return "timeout";
    case ClientError::Count: break;
  }
  return "unknown";
}

bool inHandshake(ClientState s) {
  return s == ClientState::Connecting || s == ClientState::Upgrading ||
         s == ClientState::AwaitOpen || s == ClientState::AwaitConnect;
}

}  // namespace

LoadGenerator::LoadGenerator(LoadOptions options)
    : options_(std::move(options)),
      commands_(STDIN_FILENO),
      conns_(options_.connections),
      buffer_(4 * kReadSize),
      rng_(0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(monotonicNs())) {
  eventPrefix_ = "42[\"" + options_.event + "\",{\"seq\":";
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kCommandTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, commands_.fd(), &ev);
  startQueue_.reserve(options_.connections);
  for (std::uint32_t i = options_.connections; i > 0; --i) startQueue_.push_back(i - 1);
}

LoadGenerator::~LoadGenerator() {
  for (ClientConnection& c : conns_) {
    if (c.fd >= 0) closeConnection(c, true);
  }
  if (epoll_ >= 0) close(epoll_);
}

int LoadGenerator::run() {
  if (epoll_ < 0) {
    reportFinal("epoll_create1 failed");
    return 2;
  }
  startNs_ = monotonicNs();
  nowNs_ = startNs_;
  const std::int64_t connectDeadline = startNs_ + options_.connectTimeoutMs * 1000000;
  const std::int64_t lifeDeadline = startNs_ + options_.maxMs * 1000000;
  const char* reason = "quit";
  std::array<epoll_event, kMaxEvents> events;
  startConnections();
  while (!quit_) {
    const int n = epoll_wait(epoll_, events.data(), kMaxEvents, 50);
    if (n < 0 && errno != EINTR) {
      reason = "epoll_wait failed";
      break;
    }
    nowNs_ = monotonicNs();
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kCommandTag) {
        const bool open = commands_.fill();
        std::string line;
        while (commands_.nextLine(line)) handleCommand(line);
        if (!open && !quit_) {
          quit_ = true;
          reason = "command pipe closed";
        }
        continue;
      }
      onEvent(static_cast<std::uint32_t>(events[i].data.u64), events[i].events);
    }
    // Batching: after a busy turn, let frames pile up for a moment so the next
    // turn reads several per socket per read() instead of waking up for each
    // one. When idle, epoll_wait blocks as usual, so this costs no latency
    // that matters for a throughput measurement.
    if (options_.batchUs > 0 && n > 0 && n < kMaxEvents && connectReported_) {
      const timespec pause{static_cast<time_t>(options_.batchUs / 1000000),
                           static_cast<long>(options_.batchUs % 1000000) * 1000};
      nanosleep(&pause, nullptr);
    }
    startConnections();
    if (!connectReported_) {
      if (everReady_ + failed_ >= options_.connections) {
        reportConnected(nowNs_);
      } else if (nowNs_ > connectDeadline) {
        for (ClientConnection& c : conns_) {
          if (inHandshake(c.state) || c.state == ClientState::Idle) fail(c, ClientError::Timeout);
        }
        startQueue_.clear();
        reportConnected(nowNs_);
      }
    }
    if (phaseActive_) checkPhase(nowNs_);
    if (nowNs_ > lifeDeadline) {
      reason = "lifetime limit reached";
      if (phaseActive_) reportPhase(true);
      break;
    }
  }
  reportFinal(reason);
  // Abortive close (RST): the client side would otherwise keep 10,000
  // sockets in TIME_WAIT per run and exhaust ephemeral ports across runs.
  for (ClientConnection& c : conns_) {
    if (c.fd >= 0) closeConnection(c, true);
  }
  return 0;
}

void LoadGenerator::startConnections() {
  while (inFlight_ < options_.concurrency && !startQueue_.empty()) {
    const std::uint32_t index = startQueue_.back();
    startQueue_.pop_back();
    openConnection(index);
  }
}

void LoadGenerator::openConnection(std::uint32_t index) {
  ClientConnection& c = conns_[index];
  ++c.attempts;
  c.carry.clear();
  c.out.clear();
  c.wantWrite = false;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    // Out of descriptors or memory: retrying will not help.
    c.state = ClientState::Failed;
    ++failed_;
    ++errors_[static_cast<std::size_t>(ClientError::Connect)];
    return;
  }
  const int one = 1;
  // The client's own writes are tiny ("40", "3"); send them at once.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.port);
  inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr);
  c.fd = fd;
  c.state = ClientState::Connecting;
  ++inFlight_;
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno != EINPROGRESS) {
    closeConnection(c, true);
    retryOrFail(index);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u64 = index;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
}

void LoadGenerator::retryOrFail(std::uint32_t index) {
  ClientConnection& c = conns_[index];
  if (c.attempts < kMaxAttempts) {
    c.state = ClientState::Idle;
    startQueue_.insert(startQueue_.begin(), index);
    return;
  }
  c.state = ClientState::Failed;
  ++failed_;
  ++errors_[static_cast<std::size_t>(ClientError::Connect)];
}

void LoadGenerator::onEvent(std::uint32_t index, std::uint32_t events) {
  ClientConnection& c = conns_[index];
  if (c.fd < 0) return;
  if (c.state == ClientState::Connecting) {
    onConnectDone(index);
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    onReadable(index);
    if (c.fd < 0) return;
  }
  if ((events & EPOLLOUT) && c.wantWrite) {
    flushOut(c);
    if (c.fd >= 0 && c.out.empty()) setInterest(c, index, false);
  }
}

void LoadGenerator::onConnectDone(std::uint32_t index) {
  ClientConnection& c = conns_[index];
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    closeConnection(c, true);
    retryOrFail(index);
    return;
  }
  // A fresh 16-byte nonce per connection, as RFC 6455 asks.
  unsigned char nonce[16];
  for (int i = 0; i < 16; i += 8) {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    std::memcpy(nonce + i, &rng_, 8);
  }
  const std::string key = base64Encode(nonce, sizeof nonce);
  std::memcpy(c.key, key.data(), key.size() < 24 ? key.size() : 24);
  c.key[24] = '\0';
  std::string request;
  request.reserve(256);
  request += "GET ";
  request += options_.path;
  request += "?EIO=4&transport=websocket HTTP/1.1\r\nHost: ";
  request += options_.host;
  request += ':';
  request += std::to_string(options_.port);
  request += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  request += c.key;
  request += "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  c.state = ClientState::Upgrading;
  setInterest(c, index, false);
  writeBytes(c, request.data(), request.size());
}

void LoadGenerator::onReadable(std::uint32_t index) {
  ClientConnection& c = conns_[index];
  const std::size_t have = c.carry.size();
  if (buffer_.size() < have + kReadSize) buffer_.resize(have + kReadSize);
  std::uint8_t* base = buffer_.data();
  if (have != 0) std::memcpy(base, c.carry.data(), have);
  // One read per readiness: level-triggered epoll reports the socket again if
  // more is queued, so there is no second read just to see EAGAIN.
  const ssize_t r = read(c.fd, base + have, buffer_.size() - have);
  if (r == 0) {
    fail(c, ClientError::ServerClosed);
    return;
  }
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    fail(c, ClientError::Io);
    return;
  }
  ++reads_;
  const std::size_t size = have + static_cast<std::size_t>(r);
  std::size_t used = 0;
  if (c.state == ClientState::Upgrading) {
    used = handleHandshake(c, base, size);
    if (used == kDead) return;
    if (used == 0) {
      c.carry.assign(reinterpret_cast<const char*>(base), size);
      return;
    }
  }
  const std::size_t framed = handleFrames(c, base + used, size - used);
  if (framed == kDead) return;
  used += framed;
  // Keep only the tail of a frame cut off by this read; assign() reuses the
  // string's capacity, so this does not allocate in steady state.
  c.carry.assign(reinterpret_cast<const char*>(base + used), size - used);
}

std::size_t LoadGenerator::handleHandshake(ClientConnection& c, const std::uint8_t* data,
                                           std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (size > kMaxHttpHeader) {
      fail(c, ClientError::Handshake);
      return kDead;
    }
    return 0;
  }
  const std::string_view head = text.substr(0, end);
  if (head.substr(0, 13) != "HTTP/1.1 101 " && head.substr(0, 12) != "HTTP/1.1 101") {
    fail(c, ClientError::Handshake);
    return kDead;
  }
  if (headerValue(head, "sec-websocket-accept") != webSocketAccept(c.key)) {
    fail(c, ClientError::Handshake);
    return kDead;
  }
  c.state = ClientState::AwaitOpen;
  return end + 4;
}

std::size_t LoadGenerator::handleFrames(ClientConnection& c, const std::uint8_t* data,
                                        std::size_t size) {
  std::size_t pos = 0;
  while (pos < size) {
    FrameHeader h;
    const HeaderResult res = parseFrameHeader(data + pos, size - pos, h);
    if (res == HeaderResult::NeedMore) break;
    // Servers never mask (RFC 6455 5.1) and we negotiate no extension.
    if (res == HeaderResult::Malformed || h.masked || h.rsv != 0 || h.payloadSize > kMaxPayload) {
      fail(c, ClientError::Protocol);
      return kDead;
    }
    const std::size_t total = h.headerSize + static_cast<std::size_t>(h.payloadSize);
    if (size - pos < total) break;
    const std::uint8_t* payload = data + pos + h.headerSize;
    const std::size_t n = static_cast<std::size_t>(h.payloadSize);
    pos += total;
    const std::uint8_t op = h.opcode;
    if (op >= 0x8) {
      // Control frames may arrive between the fragments of a message.
      if (!h.fin || n > 125) {
        fail(c, ClientError::Protocol);
        return kDead;
      }
      handleMessage(c, op, payload, n);
    } else if (op == static_cast<std::uint8_t>(Opcode::Continuation)) {
      if (c.fragmentOpcode == 0) {
        fail(c, ClientError::Protocol);
        return kDead;
      }
      c.message.append(reinterpret_cast<const char*>(payload), n);
      if (h.fin) {
        const std::uint8_t whole = c.fragmentOpcode;
        c.fragmentOpcode = 0;
        handleMessage(c, whole, reinterpret_cast<const std::uint8_t*>(c.message.data()),
                      c.message.size());
        c.message.clear();
      }
    } else if (op == static_cast<std::uint8_t>(Opcode::Text) ||
               op == static_cast<std::uint8_t>(Opcode::Binary)) {
      if (c.fragmentOpcode != 0) {
        fail(c, ClientError::Protocol);
        return kDead;
      }
      if (h.fin) {
        handleMessage(c, op, payload, n);
      } else {
        c.fragmentOpcode = op;
        c.message.assign(reinterpret_cast<const char*>(payload), n);
      }
    } else {
      fail(c, ClientError::Protocol);
      return kDead;
    }
    if (c.fd < 0) return kDead;
  }
  return pos;
}

void LoadGenerator::handleMessage(ClientConnection& c, std::uint8_t opcode, const std::uint8_t* p,
                                  std::size_t n) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::Text:
      handleText(c, p, n);
      return;
    case Opcode::Binary:
      ++c.foreign;
      return;
    case Opcode::Close:
      // Echo the status code back, as RFC 6455 5.5.1 asks, then close.
      sendFrame(c, static_cast<std::uint8_t>(Opcode::Close), p, n >= 2 ? 2 : 0);
      fail(c, ClientError::ServerClosed);
      return;
    case Opcode::Ping:
      sendFrame(c, static_cast<std::uint8_t>(Opcode::Pong), p, n);
      return;
    default:
      return;  // Pong: nothing to do.
  }
}

void LoadGenerator::handleText(ClientConnection& c, const std::uint8_t* p, std::size_t n) {
  if (n == 0) {
    ++c.foreign;
    return;
  }
  switch (p[0]) {
    case '4':  // engine.io message carrying a socket.io packet.
      if (n >= 2 && p[1] == '2') {
        handleEvent(c, p, n);
      } else if (n >= 2 && p[1] == '0') {
        if (c.state == ClientState::AwaitConnect) becomeReady(c);
        else ++c.foreign;
      } else if (n >= 2 && p[1] == '4') {
        fail(c, ClientError::ConnectRefused);
      } else if (n >= 2 && p[1] == '1') {
        fail(c, ClientError::ServerClosed);
      } else {
        ++c.foreign;
      }
      return;
    case '2': {  // engine.io ping: answer with a pong carrying the same data.
      std::uint8_t pong[125];
      const std::size_t len = n < sizeof pong ? n : sizeof pong;
      std::memcpy(pong, p, len);
      pong[0] = '3';
      sendFrame(c, static_cast<std::uint8_t>(Opcode::Text), pong, len);
      ++pingsAnswered_;
      return;
    }
    case '0':  // engine.io open: join the main namespace.
      if (c.state == ClientState::AwaitOpen) {
        static const std::uint8_t connect[] = {'4', '0'};
        c.state = ClientState::AwaitConnect;
        sendFrame(c, static_cast<std::uint8_t>(Opcode::Text), connect, sizeof connect);
      } else {
        ++c.foreign;
      }
      return;
    case '1':  // engine.io close.
      fail(c, ClientError::ServerClosed);
      return;
    case '6':  // engine.io noop.
      return;
    default:
      ++c.foreign;
      return;
  }
}

void LoadGenerator::handleEvent(ClientConnection& c, const std::uint8_t* p, std::size_t n) {
  const std::size_t prefix = eventPrefix_.size();
  if (c.state != ClientState::Ready || n <= prefix || std::memcmp(p, eventPrefix_.data(), prefix) != 0) {
    ++c.foreign;
    return;
  }
  std::uint64_t seq = 0;
  std::size_t i = prefix;
  while (i < n && i - prefix < 10 && p[i] >= '0' && p[i] <= '9') {
    seq = seq * 10 + static_cast<std::uint64_t>(p[i] - '0');
    ++i;
  }
  if (i == prefix || i >= n || (p[i] != ',' && p[i] != '}') || seq > 0xFFFFFFFFull) {
    ++c.foreign;
    return;
  }
  const std::uint32_t s = static_cast<std::uint32_t>(seq);
  if (s == c.nextSeq) {
    ++c.nextSeq;
  } else if (s > c.nextSeq) {
    c.missing += s - c.nextSeq;
    c.nextSeq = s + 1;
  } else {
    ++c.duplicates;
  }
  ++c.received;
  ++framesTotal_;
  lastFrameNs_ = nowNs_;
  if (phaseActive_) {
    if (phaseFirstFrameNs_ == 0) phaseFirstFrameNs_ = nowNs_;
    if (c.received == phaseTarget_) ++phaseDone_;
  }
}

void LoadGenerator::sendFrame(ClientConnection& c, std::uint8_t opcode, const std::uint8_t* payload,
                              std::size_t n) {
  // Client frames must be masked (RFC 6455 5.3); the key only needs to be
  // unpredictable to intermediaries, and there are none on loopback.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  std::uint8_t mask[4];
  std::memcpy(mask, &rng_, 4);
  std::uint8_t frame[14 + 125];
  if (n > 125) n = 125;
  const std::size_t head = writeFrameHeader(frame, static_cast<Opcode>(opcode), n, mask);
  std::memcpy(frame + head, payload, n);
  applyMask(frame + head, n, mask);
  writeBytes(c, reinterpret_cast<const char*>(frame), head + n);
}

void LoadGenerator::writeBytes(ClientConnection& c, const char* data, std::size_t n) {
  if (c.fd < 0) return;
  if (!c.out.empty()) {
    c.out.append(data, n);
    return;
  }
  const ssize_t w = send(c.fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    fail(c, ClientError::Io);
    return;
  }
  const std::size_t done = w > 0 ? static_cast<std::size_t>(w) : 0;
  if (done < n) {
    c.out.append(data + done, n - done);
    setInterest(c, static_cast<std::uint32_t>(&c - conns_.data()), true);
  }
}

void LoadGenerator::flushOut(ClientConnection& c) {
  while (!c.out.empty()) {
    const ssize_t w = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      fail(c, ClientError::Io);
      return;
    }
    c.out.erase(0, static_cast<std::size_t>(w));
  }
}

void LoadGenerator::setInterest(ClientConnection& c, std::uint32_t index, bool write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (write ? EPOLLOUT : 0u);
  ev.data.u64 = index;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  c.wantWrite = write;
}

void LoadGenerator::becomeReady(ClientConnection& c) {
  c.state = ClientState::Ready;
  --inFlight_;
  ++ready_;
  ++everReady_;
}

void LoadGenerator::fail(ClientConnection& c, ClientError error) {
  ++errors_[static_cast<std::size_t>(error)];
  const ClientState was = c.state;
  if (c.fd >= 0) closeConnection(c, error != ClientError::ServerClosed);
  if (was == ClientState::Ready) {
    c.state = ClientState::Closed;
  } else if (was != ClientState::Closed && was != ClientState::Failed) {
    c.state = ClientState::Failed;
    ++failed_;
  }
}

void LoadGenerator::closeConnection(ClientConnection& c, bool abortive) {
  if (abortive) {
    const linger lg{1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close(c.fd);  // Also removes it from the epoll set.
  c.fd = -1;
  c.wantWrite = false;
  if (inHandshake(c.state)) --inFlight_;
  if (c.state == ClientState::Ready) --ready_;
  if (phaseActive_ && c.state == ClientState::Ready && c.received >= phaseTarget_) --phaseDone_;
}

void LoadGenerator::handleCommand(const std::string& line) {
  if (line.rfind("wait ", 0) == 0) {
    phaseTarget_ = static_cast<std::uint32_t>(std::strtoul(line.c_str() + 5, nullptr, 10));
    phaseActive_ = true;
    phaseDone_ = 0;
    for (const ClientConnection& c : conns_) {
      if (c.state == ClientState::Ready && c.received >= phaseTarget_) ++phaseDone_;
    }
    phaseFramesStart_ = framesTotal_;
    phaseReadsStart_ = reads_;
    phaseFirstFrameNs_ = 0;
    lastFrameNs_ = nowNs_;
    phaseStart_ = CpuSample::now();
    // The driver starts the server's sends only after this line, so no frame
    // of the phase can arrive before the counters above were reset.
    std::string json = "{\"event\":\"waiting\"";
    appendJsonField(json, "target", phaseTarget_);
    json += '}';
    emitLine(json);
    checkPhase(nowNs_);
  } else if (line == "quit") {
    quit_ = true;
  } else if (line == "report") {
    reportFinal("report");
  } else if (!line.empty()) {
    std::string json = "{\"event\":\"error\",\"message\":\"unknown command\"}";
    emitLine(json);
  }
}

void LoadGenerator::checkPhase(std::int64_t nowNs) {
  // A phase can only be judged once every client has joined or failed;
  // before that, "all ready clients are done" would be vacuously true.
  if (!connectReported_) {
    lastFrameNs_ = nowNs;
    return;
  }
  if (phaseDone_ >= ready_) {
    reportPhase(false);
  } else if (nowNs - lastFrameNs_ > options_.stallMs * 1000000) {
    reportPhase(true);
  }
}

void LoadGenerator::reportConnected(std::int64_t nowNs) {
  connectReported_ = true;
  std::string json = "{\"event\":\"connected\"";
  appendJsonField(json, "requested", options_.connections);
  appendJsonField(json, "connected", ready_);
  appendJsonField(json, "failed", failed_);
  appendJsonField(json, "ms", (nowNs - startNs_) / 1000000);
  appendErrors(json);
  json += '}';
  emitLine(json);
}

void LoadGenerator::reportPhase(bool stalled) {
  phaseActive_ = false;
  const CpuSample end = CpuSample::now();
  std::string json = "{\"event\":\"phase\",\"stalled\":";
  json += stalled ? "true" : "false";
  appendJsonField(json, "target", phaseTarget_);
  appendJsonField(json, "frames", static_cast<std::int64_t>(framesTotal_ - phaseFramesStart_));
  appendJsonField(json, "reads", static_cast<std::int64_t>(reads_ - phaseReadsStart_));
  appendJsonField(json, "firstFrameNs", phaseFirstFrameNs_);
  appendJsonField(json, "lastFrameNs", lastFrameNs_);
  appendJsonField(json, "cpuUserUs", end.userUs - phaseStart_.userUs);
  appendJsonField(json, "cpuSysUs", end.sysUs - phaseStart_.sysUs);
  appendChecks(json, phaseTarget_);
  appendErrors(json);
  json += '}';
  emitLine(json);
}

void LoadGenerator::reportFinal(const char* reason) {
  const CpuSample end = CpuSample::now();
  std::string json = "{\"event\":\"final\",\"reason\":\"";
  json += reason;
  json += '"';
  appendJsonField(json, "frames", static_cast<std::int64_t>(framesTotal_));
  appendJsonField(json, "reads", static_cast<std::int64_t>(reads_));
  appendJsonField(json, "pingsAnswered", static_cast<std::int64_t>(pingsAnswered_));
  appendJsonField(json, "cpuUserUs", end.userUs);
  appendJsonField(json, "cpuSysUs", end.sysUs);
  appendChecks(json, phaseTarget_);
  appendErrors(json);
  json += '}';
  emitLine(json);
}

void LoadGenerator::appendChecks(std::string& json, std::uint32_t target) const {
  // A connection passes when it saw exactly seqs 0 .. target-1, each once and
  // in order, and nothing else.
  std::int64_t complete = 0, incomplete = 0, closedAfterReady = 0;
  std::int64_t duplicates = 0, missing = 0, foreign = 0, minReceived = -1, maxReceived = 0;
  for (const ClientConnection& c : conns_) {
    if (c.state != ClientState::Ready && c.state != ClientState::Closed) continue;
    if (c.state == ClientState::Closed) ++closedAfterReady;
    duplicates += c.duplicates;
    missing += c.missing;
    foreign += c.foreign;
    if (minReceived < 0 || c.received < minReceived) minReceived = c.received;
    if (c.received > maxReceived) maxReceived = c.received;
    const bool ok = c.state == ClientState::Ready && c.received == target && c.nextSeq == target &&
                    c.duplicates == 0 && c.missing == 0 && c.foreign == 0;
    if (ok) ++complete;
    else ++incomplete;
  }
  appendJsonField(json, "connections", ready_);
  appendJsonField(json, "complete", complete);
  appendJsonField(json, "incomplete", incomplete);
  appendJsonField(json, "closed", closedAfterReady);
  appendJsonField(json, "minReceived", minReceived < 0 ? 0 : minReceived);
  appendJsonField(json, "maxReceived", maxReceived);
  appendJsonField(json, "duplicates", duplicates);
  appendJsonField(json, "missing", missing);
  appendJsonField(json, "foreign", foreign);
  json += ",\"ordered\":";
  json += (duplicates == 0 && missing == 0) ? "true" : "false";
  json += ",\"ok\":";
  json += (incomplete == 0 && complete == static_cast<std::int64_t>(options_.connections)) ? "true" : "false";
}

void LoadGenerator::appendErrors(std::string& json) const {
  json += ",\"errors\":{";
  for (std::size_t i = 0; i < errors_.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s\"%s\":%llu", i == 0 ? "" : ",",
                  errorName(static_cast<ClientError>(i)), static_cast<unsigned long long>(errors_[i]));
    json += buf;
  }
  json += '}';
}

void LoadGenerator::emitLine(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace sio::wsbench
