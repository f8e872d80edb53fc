#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "FanOut.h"
#include "WebSocketFrame.h"

namespace sio {
namespace {

// A connected pair of non-blocking stream sockets, closed on destruction:
// `server` plays the connection the fan-out writes to, `client` its peer.
struct Pair {
  int server = -1;
  int client = -1;
  explicit Pair(int sendBuffer = 0) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) return;
    server = fds[0];
    client = fds[1];
    if (sendBuffer > 0) {
      // A small send buffer makes the kernel refuse part of a write, which
      // is how partial writes and EAGAIN are produced without any timing.
      ::setsockopt(server, SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof sendBuffer);
      ::setsockopt(client, SOL_SOCKET, SO_RCVBUF, &sendBuffer, sizeof sendBuffer);
    }
  }
  ~Pair() {
    if (server >= 0) ::close(server);
    if (client >= 0) ::close(client);
  }
  // Everything the peer can read right now.
  std::string drain() const {
    std::string out;
    char buffer[65536];
    for (int i = 0; i < 100000; ++i) {
      const ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
};

FrameRef textFrame(const std::string& packet) {
  const std::uint8_t prefix[] = {'4'};
  return WebSocketFrame::build(
      WebSocketFrame::Opcode::Text, prefix,
      {reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size()});
}

std::string bytesOf(const FrameRef& frame) {
  return std::string(reinterpret_cast<const char*>(frame.data()), frame.size());
}

std::string bytesOf(const FanOut::Remainder& remainder) {
  std::string out;
  std::size_t skip = remainder.offset;
  for (const FrameRef& frame : remainder.frames) {
    out.append(reinterpret_cast<const char*>(frame.data()) + skip, frame.size() - skip);
    skip = 0;
  }
  return out;
}

std::size_t broadcast(FanOut& fanout, const FrameRef& frame, std::vector<std::uint32_t> ids,
                      std::vector<std::uint32_t>* handed = nullptr) {
  std::vector<std::uint32_t> out(ids.size());
  const std::size_t n = fanout.enqueue({&frame, 1}, ids, out.data());
  if (handed != nullptr) handed->assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

TEST(ConnectionTable, RejectsWhatIsNotAnOpenSocket) {
  ConnectionTable table;
  std::uint32_t id = 0;
  EXPECT_EQ(table.add(-1, id), Status::BadDescriptor);
  int pipeFds[2];
  ASSERT_EQ(::pipe(pipeFds), 0);
  EXPECT_EQ(table.add(pipeFds[0], id), Status::BadDescriptor);
  ::close(pipeFds[0]);
  ::close(pipeFds[1]);
  EXPECT_EQ(table.add(pipeFds[0], id), Status::BadDescriptor);
  EXPECT_EQ(table.size(), 0u);
}

// With no descriptor left for the duplicate, add() says so (and not that
// the socket is bad), keeps nothing, and works again once one is free.
TEST(ConnectionTable, ReportsTheDescriptorLimitAndRecovers) {
  ConnectionTable table;
  Pair a;
  ASSERT_GE(a.server, 0);
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  // Every descriptor at or above the lowest free one is refused: lower the
  // soft limit to that number, so the next dup has nowhere to go.
  const int probe = ::dup(a.server);
  ASSERT_GE(probe, 0);
  ::close(probe);
  struct rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(probe);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  std::uint32_t id = 0;
  const Status limited = table.add(a.server, id);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(limited, Status::DescriptorLimit);
  EXPECT_EQ(table.size(), 0u);
  ASSERT_EQ(table.add(a.server, id), Status::Ok);
  EXPECT_EQ(table.size(), 1u);
}

// The lowest descriptor number a dup would get now.
int lowestFree(int fd) {
  const int probe = ::dup(fd);
  if (probe >= 0) ::close(probe);
  return probe;
}

// Sets the soft RLIMIT_NOFILE for the life of the object, then restores it.
struct SoftLimit {
  struct rlimit saved {};
  bool ok = false;
  explicit SoftLimit(rlim_t soft) {
    if (::getrlimit(RLIMIT_NOFILE, &saved) != 0) return;
    struct rlimit lowered = saved;
    lowered.rlim_cur = soft;
    ok = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  void set(rlim_t soft) const {
    struct rlimit changed = saved;
    changed.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &changed);
  }
  ~SoftLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
};

// A duplicate numbered at or above softLimit - reserve proves that no more
// than `reserve` descriptors were free: add() closes it, keeps nothing and
// says why, and a duplicate just below that line is kept.
TEST(ConnectionTable, KeepsTheDescriptorReserveFree) {
  ConnectionTable table;
  Pair a;
  ASSERT_GE(a.server, 0);
  const int first = lowestFree(a.server);
  ASSERT_GE(first, 0);
  SoftLimit limit(static_cast<rlim_t>(first + 10));
  ASSERT_TRUE(limit.ok);
  // Ten descriptors are free (first .. first + 9) and ten are kept: refused.
  table.reserve().useCount(10);
  EXPECT_EQ(table.reserve().softLimit(), static_cast<std::uint64_t>(first + 10));
  EXPECT_EQ(table.reserve().reserve(), 10u);
  std::uint32_t id = 0;
  EXPECT_EQ(table.add(a.server, id), Status::DescriptorReserve);
  EXPECT_EQ(table.size(), 0u);
  // The refused duplicate was closed: the same number is free again.
  EXPECT_EQ(lowestFree(a.server), first);
  // Keeping nine, the duplicate (the tenth free one) may be taken.
  table.reserve().useCount(9);
  ASSERT_EQ(table.add(a.server, id), Status::Ok);
  EXPECT_EQ(table.find(id)->fd, first);
  // Now nine are free and nine kept: the next is refused, and with no
  // reserve it is taken.
  std::uint32_t second = 0;
  EXPECT_EQ(table.add(a.server, second), Status::DescriptorReserve);
  table.reserve().useCount(0);
  ASSERT_EQ(table.add(a.server, second), Status::Ok);
  EXPECT_EQ(table.size(), 2u);
}

// A refusal reads the soft limit again: once the application raised it
// (setrlimit), the same registration is taken without anyone telling the
// table.
TEST(ConnectionTable, ARefusalReadsARaisedLimitAgain) {
  ConnectionTable table;
  Pair a;
  ASSERT_GE(a.server, 0);
  const int first = lowestFree(a.server);
  SoftLimit limit(static_cast<rlim_t>(first + 10));
  ASSERT_TRUE(limit.ok);
  table.reserve().useCount(10);
  std::uint32_t id = 0;
  ASSERT_EQ(table.add(a.server, id), Status::DescriptorReserve);
  limit.set(static_cast<rlim_t>(first + 11));
  EXPECT_EQ(table.add(a.server, id), Status::Ok);
  EXPECT_EQ(table.reserve().softLimit(), static_cast<std::uint64_t>(first + 11));
}

// The default keeps 10% of the soft limit and at least 64; a share has no
// minimum; a count is capped at the limit.
TEST(DescriptorReserve, DefaultShareAndCount) {
  SoftLimit limit(1000);
  ASSERT_TRUE(limit.ok);
  DescriptorReserve reserve;
  EXPECT_EQ(reserve.softLimit(), 1000u);
  EXPECT_EQ(reserve.reserve(), 100u);
  limit.set(200);
  reserve.refresh();
  EXPECT_EQ(reserve.reserve(), 64u);
  reserve.useShare(500);  // 5%
  EXPECT_EQ(reserve.reserve(), 10u);
  reserve.useShare(1);  // rounded up, never nothing
  EXPECT_EQ(reserve.reserve(), 1u);
  reserve.useCount(5000);
  EXPECT_EQ(reserve.reserve(), 200u);
  reserve.useCount(0);
  EXPECT_EQ(reserve.reserve(), 0u);
  EXPECT_TRUE(reserve.admits(199));
  reserve.useDefault();
  EXPECT_EQ(reserve.reserve(), 64u);
  EXPECT_TRUE(reserve.admits(135));
  EXPECT_FALSE(reserve.admits(136));
}

// A lowered limit is noticed within kRecheckEvery admissions, without a
// refusal to trigger it.
TEST(DescriptorReserve, NoticesALoweredLimit) {
  SoftLimit limit(1000);
  ASSERT_TRUE(limit.ok);
  DescriptorReserve reserve;
  reserve.useCount(10);
  limit.set(500);
  std::uint32_t admitted = 0;
  for (std::uint32_t i = 0; i < 2 * DescriptorReserve::kRecheckEvery && reserve.admits(495); ++i) ++admitted;
  EXPECT_LT(admitted, DescriptorReserve::kRecheckEvery);
  EXPECT_EQ(reserve.softLimit(), 500u);
}

TEST(ConnectionTable, StaleIdsStopResolvingWhenTheSlotIsReused) {
  ConnectionTable table;
  Pair a;
  std::uint32_t first = 0;
  ASSERT_EQ(table.add(a.server, first), Status::Ok);
  ASSERT_NE(table.find(first), nullptr);
  EXPECT_NE(table.find(first)->fd, a.server);  // a duplicate, not Node's descriptor
  ASSERT_EQ(table.remove(first), Status::Ok);
  EXPECT_EQ(table.remove(first), Status::UnknownConnection);
  std::uint32_t second = 0;
  ASSERT_EQ(table.add(a.server, second), Status::Ok);
  EXPECT_NE(first, second);
  EXPECT_EQ(table.find(first), nullptr);
  EXPECT_NE(table.find(second), nullptr);
}

TEST(FanOut, CorksABurstIntoOneWritePerConnection) {
  FanOut fanout;
  Pair a, b;
  std::uint32_t ida = 0, idb = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  std::string expected;
  for (int i = 0; i < 10; ++i) {
    FrameRef frame = textFrame("2[\"tick\"," + std::to_string(i) + "]");
    expected += bytesOf(frame);
    EXPECT_EQ(broadcast(fanout, frame, {ida, idb}), 0u);
    // One shared buffer: the two queues and this handle.
    EXPECT_EQ(frame.get()->refs(), 3u);
  }
  EXPECT_TRUE(fanout.hasPending());
  EXPECT_EQ(a.drain(), "");  // nothing is written before the flush
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_TRUE(remainders.empty());
  EXPECT_FALSE(fanout.hasPending());
  EXPECT_EQ(a.drain(), expected);
  EXPECT_EQ(b.drain(), expected);
  EXPECT_EQ(fanout.stats().writes, 2u);
  EXPECT_EQ(fanout.stats().coalescedWrites, 2u);
  EXPECT_EQ(fanout.stats().framesWritten, 20u);
  EXPECT_EQ(fanout.stats().bytesWritten, 2 * expected.size());
}

TEST(FanOut, FramesOfOneBroadcastStayTogetherAndInOrder) {
  FanOut fanout;
  Pair a;
  std::uint32_t id = 0;
  ASSERT_EQ(fanout.add(a.server, id), Status::Ok);
  const std::uint8_t attachment[] = {0, 1, 2, 255};
  FrameRef frames[] = {textFrame("51-[\"bin\",{\"_placeholder\":true,\"num\":0}]"),
                       WebSocketFrame::build(WebSocketFrame::Opcode::Binary, {}, attachment)};
  std::uint32_t ids[] = {id};
  std::uint32_t out[1];
  EXPECT_EQ(fanout.enqueue(frames, ids, out), 0u);
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), bytesOf(frames[0]) + bytesOf(frames[1]));
}

TEST(FanOut, HandsBusyAndUnknownRecipientsBackInOrder) {
  FanOut fanout;
  Pair a, b, c;
  std::uint32_t ida = 0, idb = 0, idc = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  ASSERT_EQ(fanout.add(c.server, idc), Status::Ok);
  FanOut::Remainder remainder;
  bool hasRemainder = true;
  ASSERT_EQ(fanout.setBusy(idb, true, remainder, hasRemainder), Status::Ok);
  EXPECT_FALSE(hasRemainder);
  ASSERT_EQ(fanout.remove(idc), Status::Ok);
  std::vector<std::uint32_t> handed;
  EXPECT_EQ(broadcast(fanout, textFrame("2[\"x\"]"), {idc, ida, idb, 12345}, &handed), 3u);
  EXPECT_EQ(handed, (std::vector<std::uint32_t>{idc, idb, 12345}));
  EXPECT_EQ(fanout.stats().handedBusy, 1u);
  EXPECT_EQ(fanout.stats().handedUnknown, 2u);
  ASSERT_EQ(fanout.setBusy(idb, false, remainder, hasRemainder), Status::Ok);
  EXPECT_EQ(broadcast(fanout, textFrame("2[\"y\"]"), {idb}), 0u);
  EXPECT_EQ(fanout.setBusy(idc, false, remainder, hasRemainder), Status::UnknownConnection);
}

TEST(FanOut, PartialWriteHandsTheExactRemainderBack) {
  FanOut fanout;
  Pair a(4096);
  std::uint32_t id = 0;
  ASSERT_EQ(fanout.add(a.server, id), Status::Ok);
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    FrameRef frame = textFrame("2[\"big\",\"" + std::string(3000, static_cast<char>('a' + i % 26)) + "\"]");
    expected += bytesOf(frame);
    broadcast(fanout, frame, {id});
  }
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  ASSERT_EQ(remainders.size(), 1u);
  EXPECT_EQ(remainders[0].id, id);
  const std::string written = a.drain();
  ASSERT_GT(written.size(), 0u);
  ASSERT_LT(written.size(), expected.size());
  // What the kernel took plus what JS gets is the whole stream, byte for byte.
  EXPECT_EQ(written + bytesOf(remainders[0]), expected);
  EXPECT_EQ(fanout.stats().handedPartial, 1u);
  EXPECT_EQ(fanout.stats().framesWritten + remainders[0].frames.size(), 40u);
  EXPECT_EQ(fanout.stats().bytesWritten + fanout.stats().bytesHanded, expected.size());

  // Busy until JS says it drained: the next broadcast takes the JS path.
  std::vector<std::uint32_t> handed;
  EXPECT_EQ(broadcast(fanout, textFrame("2[\"after\"]"), {id}, &handed), 1u);
  FanOut::Remainder none;
  bool hasRemainder = true;
  ASSERT_EQ(fanout.setBusy(id, false, none, hasRemainder), Status::Ok);
  EXPECT_EQ(broadcast(fanout, textFrame("2[\"later\"]"), {id}), 0u);
}

TEST(FanOut, FullSocketHandsEverythingBackFromOffsetZero) {
  FanOut fanout;
  Pair a(4096);
  // Fill the socket until the kernel refuses more (bounded).
  const std::string filler(4096, 'f');
  for (int i = 0; i < 10000; ++i) {
    if (::send(a.server, filler.data(), filler.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) break;
  }
  std::uint32_t id = 0;
  ASSERT_EQ(fanout.add(a.server, id), Status::Ok);
  FrameRef frame = textFrame("2[\"x\"]");
  broadcast(fanout, frame, {id});
  broadcast(fanout, frame, {id});
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  ASSERT_EQ(remainders.size(), 1u);
  EXPECT_EQ(remainders[0].offset, 0u);
  EXPECT_EQ(bytesOf(remainders[0]), bytesOf(frame) + bytesOf(frame));
}

TEST(FanOut, BrokenConnectionIsAnErrorNotASignal) {
  FanOut fanout;
  Pair a;
  std::uint32_t id = 0;
  ASSERT_EQ(fanout.add(a.server, id), Status::Ok);
  ::close(a.client);
  a.client = -1;
  FrameRef frame = textFrame("2[\"x\"]");
  broadcast(fanout, frame, {id});
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);  // EPIPE; without MSG_NOSIGNAL this test dies of SIGPIPE
  ASSERT_EQ(remainders.size(), 1u);
  EXPECT_EQ(fanout.stats().handedError, 1u);
  EXPECT_EQ(bytesOf(remainders[0]), bytesOf(frame));
}

TEST(FanOut, GoingBusyWritesTheCorkedFramesFirst) {
  FanOut fanout;
  Pair a;
  std::uint32_t id = 0;
  ASSERT_EQ(fanout.add(a.server, id), Status::Ok);
  FrameRef frame = textFrame("2[\"first\"]");
  broadcast(fanout, frame, {id});
  FanOut::Remainder remainder;
  bool hasRemainder = true;
  ASSERT_EQ(fanout.setBusy(id, true, remainder, hasRemainder), Status::Ok);
  EXPECT_FALSE(hasRemainder);
  EXPECT_EQ(a.drain(), bytesOf(frame));
  // The per-iteration flush then has nothing left for this connection.
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), "");
  EXPECT_EQ(fanout.stats().writes, 1u);
}

TEST(FanOut, FlushOneWritesOnlyThatConnection) {
  FanOut fanout;
  Pair a, b;
  std::uint32_t ida = 0, idb = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  FrameRef frame = textFrame("2[\"x\"]");
  broadcast(fanout, frame, {ida, idb});
  FanOut::Remainder remainder;
  EXPECT_FALSE(fanout.flushOne(ida, remainder));
  EXPECT_EQ(a.drain(), bytesOf(frame));
  EXPECT_EQ(b.drain(), "");
  broadcast(fanout, frame, {ida});  // rejoins the dirty list
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), bytesOf(frame));
  EXPECT_EQ(b.drain(), bytesOf(frame));
}

// The descriptor-reuse hazard: Node closes a connection's descriptor and the
// OS gives the same number to the next socket. Bytes for the old connection
// must never reach the new one.
TEST(FanOut, DescriptorReuseNeverCrossesConnections) {
  FanOut fanout;
  auto oldPair = std::make_unique<Pair>();
  const int number = oldPair->server;
  std::uint32_t oldId = 0;
  ASSERT_EQ(fanout.add(number, oldId), Status::Ok);
  // Node closes its descriptor (the connection is going away) ...
  ::close(oldPair->server);
  oldPair->server = -1;
  // ... and a new connection gets the same number.
  Pair newPair;
  ASSERT_EQ(newPair.server, number);

  // Until unregister, the old id still writes to the old peer through the dup.
  FrameRef late = textFrame("2[\"for the old client\"]");
  broadcast(fanout, late, {oldId});
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_TRUE(remainders.empty());
  EXPECT_EQ(oldPair->drain(), bytesOf(late));
  EXPECT_EQ(newPair.drain(), "");

  // Queued, then unregistered before the flush: written to the old peer on
  // the way out (it was broadcast before the connection went), never to the
  // new one.
  broadcast(fanout, late, {oldId});
  ASSERT_EQ(fanout.remove(oldId), Status::Ok);
  fanout.flush(remainders);
  EXPECT_TRUE(remainders.empty());
  EXPECT_EQ(newPair.drain(), "");
  EXPECT_EQ(oldPair->drain(), bytesOf(late));
  // Closing the dup closed the old connection: its peer sees end of stream.
  char byte;
  EXPECT_EQ(::read(oldPair->client, &byte, 1), 0);

  // The new connection registers under a new id; the old id names nothing.
  std::uint32_t newId = 0;
  ASSERT_EQ(fanout.add(newPair.server, newId), Status::Ok);
  EXPECT_NE(newId, oldId);
  std::vector<std::uint32_t> handed;
  EXPECT_EQ(broadcast(fanout, late, {oldId}, &handed), 1u);
  FrameRef fresh = textFrame("2[\"for the new client\"]");
  broadcast(fanout, fresh, {newId});
  fanout.flush(remainders);
  EXPECT_TRUE(remainders.empty());
  EXPECT_EQ(newPair.drain(), bytesOf(fresh));
}

TEST(FanOut, ChurnKeepsEveryConnectionsBytesItsOwn) {
  FanOut fanout;
  std::vector<std::unique_ptr<Pair>> pairs(64);
  std::vector<std::uint32_t> ids(64);
  std::vector<std::string> expected(64);
  std::vector<FanOut::Remainder> remainders;
  for (int round = 0; round < 50; ++round) {
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      // Every few rounds a connection closes and a new one (very likely with
      // the same descriptor number) takes its place.
      if (pairs[i] && (round + i) % 3 == 0) {
        EXPECT_EQ(pairs[i]->drain(), expected[i]);
        ::close(pairs[i]->server);
        pairs[i]->server = -1;
        ASSERT_EQ(fanout.remove(ids[i]), Status::Ok);
        pairs[i].reset();
      }
      if (!pairs[i]) {
        pairs[i] = std::make_unique<Pair>();
        ASSERT_EQ(fanout.add(pairs[i]->server, ids[i]), Status::Ok);
        expected[i].clear();
      }
    }
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      FrameRef frame = textFrame("2[\"to\"," + std::to_string(ids[i]) + "]");
      broadcast(fanout, frame, {ids[i]});
      expected[i] += bytesOf(frame);
    }
    fanout.flush(remainders);
    ASSERT_TRUE(remainders.empty());
  }
  for (std::size_t i = 0; i < pairs.size(); ++i) EXPECT_EQ(pairs[i]->drain(), expected[i]);
}

// A connection is going away (its stream ends or is destroyed): frames corked
// for it were broadcast before that and go to the kernel first, then the
// peer sees the end of the stream.
TEST(FanOut, RemoveWritesTheCorkedFramesFirst) {
  FanOut fanout;
  Pair a, b;
  std::uint32_t ida = 0, idb = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  FrameRef first = textFrame("2[\"one\"]");
  FrameRef second = textFrame("2[\"two\"]");
  broadcast(fanout, first, {ida, idb});
  broadcast(fanout, second, {ida, idb});
  // Node closes its own descriptor first; the dup still reaches the peer.
  ::close(a.server);
  a.server = -1;
  ASSERT_EQ(fanout.remove(ida), Status::Ok);
  EXPECT_EQ(a.drain(), bytesOf(first) + bytesOf(second));
  char byte;
  EXPECT_EQ(::read(a.client, &byte, 1), 0);
  EXPECT_EQ(fanout.stats().droppedOnRemove, 0u);
  // The other connection keeps its frames for the flush.
  EXPECT_EQ(b.drain(), "");
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_TRUE(remainders.empty());
  EXPECT_EQ(b.drain(), bytesOf(first) + bytesOf(second));
  // Nothing was corked for it any more: removing it writes nothing.
  const std::uint64_t writes = fanout.stats().writes;
  ASSERT_EQ(fanout.remove(idb), Status::Ok);
  EXPECT_EQ(fanout.stats().writes, writes);
  EXPECT_EQ(fanout.corked(), 0u);
}

// What the kernel does not take at remove() is what stock's stream would
// still have held when the connection was torn down: it is counted, the
// prefix the kernel took is exact, and the frames are released.
TEST(FanOut, RemoveCountsWhatTheKernelRefused) {
  FanOut fanout;
  Pair a(4096);
  std::uint32_t id = 0;
  ASSERT_EQ(fanout.add(a.server, id), Status::Ok);
  std::string expected;
  std::vector<FrameRef> frames;
  for (int i = 0; i < 40; ++i) {
    frames.push_back(textFrame("2[\"big\",\"" + std::string(3000, static_cast<char>('a' + i % 26)) + "\"]"));
    expected += bytesOf(frames.back());
    broadcast(fanout, frames.back(), {id});
  }
  ASSERT_EQ(fanout.remove(id), Status::Ok);
  const std::string written = a.drain();
  ASSERT_GT(written.size(), 0u);
  ASSERT_LT(written.size(), expected.size());
  EXPECT_EQ(written, expected.substr(0, written.size()));
  const FanOut::Stats& stats = fanout.stats();
  EXPECT_EQ(stats.framesWritten + stats.droppedOnRemove, 40u);
  EXPECT_GT(stats.droppedOnRemove, 0u);
  EXPECT_EQ(stats.bytesWritten, written.size());
  // Handed means given to JS, which did not happen here.
  EXPECT_EQ(stats.handedPartial, 0u);
  EXPECT_EQ(stats.bytesHanded, 0u);
  for (const FrameRef& frame : frames) EXPECT_EQ(frame.get()->refs(), 1u);
  EXPECT_EQ(fanout.corked(), 0u);
}

// corked() is exact: it counts the connections with frames corked right now,
// whichever call settles them.
TEST(FanOut, CorkedCountsConnectionsWithFramesCorked) {
  FanOut fanout;
  Pair a, b, c, d;
  std::uint32_t ida = 0, idb = 0, idc = 0, idd = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  ASSERT_EQ(fanout.add(c.server, idc), Status::Ok);
  ASSERT_EQ(fanout.add(d.server, idd), Status::Ok);
  EXPECT_EQ(fanout.corked(), 0u);
  FrameRef frame = textFrame("2[\"x\"]");
  broadcast(fanout, frame, {ida, idb, idc, idd});
  broadcast(fanout, frame, {ida, idb});
  EXPECT_EQ(fanout.corked(), 4u);
  FanOut::Remainder remainder;
  EXPECT_FALSE(fanout.flushOne(ida, remainder));
  EXPECT_EQ(fanout.corked(), 3u);
  // Flushed by flushOne, corked again: counted once, though listed twice.
  broadcast(fanout, frame, {ida});
  EXPECT_EQ(fanout.corked(), 4u);
  bool hasRemainder = true;
  ASSERT_EQ(fanout.setBusy(idb, true, remainder, hasRemainder), Status::Ok);
  EXPECT_EQ(fanout.corked(), 3u);
  FanOut::Remainder back;
  EXPECT_FALSE(fanout.flushOne(idc, back));
  EXPECT_EQ(fanout.corked(), 2u);
  ASSERT_EQ(fanout.remove(idd), Status::Ok);
  EXPECT_EQ(fanout.corked(), 1u);
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_TRUE(remainders.empty());
  EXPECT_EQ(fanout.corked(), 0u);
  EXPECT_FALSE(fanout.hasPending());
  broadcast(fanout, frame, {ida});
  EXPECT_EQ(fanout.corked(), 1u);
  fanout.discardPending();
  EXPECT_EQ(fanout.corked(), 0u);
  // A budgeted flush leaves the rest corked, and counted.
  ASSERT_EQ(fanout.setBusy(idb, false, remainder, hasRemainder), Status::Ok);
  broadcast(fanout, frame, {ida, idb});
  fanout.flush(remainders, 1);
  EXPECT_EQ(fanout.corked(), 1u);
  fanout.flush(remainders);
  EXPECT_EQ(fanout.corked(), 0u);
}

// Stock writes the first packet of a JS turn to a connection at once and
// holds the rest in engine.io's write buffer until the nextTick queue runs;
// a connection that ends before then never sends them. truncateTurn() keeps
// exactly what stock had written: earlier turns, and the first frame of this
// one (without the attachments of its broadcast).
TEST(FanOut, TruncateTurnKeepsWhatStockHadWritten) {
  FanOut fanout;
  Pair a, b, c;
  std::uint32_t ida = 0, idb = 0, idc = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  ASSERT_EQ(fanout.add(c.server, idc), Status::Ok);
  const FrameRef earlier = textFrame("2[\"earlier\"]");
  const FrameRef first = textFrame("51-[\"first\",{\"_placeholder\":true,\"num\":0}]");
  const std::uint8_t bytes[] = {1, 2, 3};
  const FrameRef attachment = WebSocketFrame::build(WebSocketFrame::Opcode::Binary, {}, bytes);
  const FrameRef second = textFrame("2[\"second\"]");
  std::uint32_t out[3];
  std::uint32_t onlyA[] = {ida};
  std::uint32_t all[] = {ida, idb, idc};
  const FrameRef withAttachment[] = {first, attachment};
  EXPECT_EQ(fanout.enqueue({&earlier, 1}, onlyA, out), 0u);
  fanout.nextTurn();
  EXPECT_EQ(fanout.enqueue(withAttachment, all, out), 0u);
  EXPECT_EQ(fanout.enqueue({&second, 1}, all, out), 0u);
  // a: the earlier turn and the first frame stay; the attachment and the
  // second broadcast go.
  EXPECT_EQ(fanout.truncateTurn(ida), 2u);
  FanOut::Remainder remainder;
  EXPECT_FALSE(fanout.flushOne(ida, remainder));
  EXPECT_EQ(a.drain(), bytesOf(earlier) + bytesOf(first));
  // b: frames written in this turn already (flushOne, as before a JS write)
  // were the first; everything queued after them is what stock held back.
  EXPECT_FALSE(fanout.flushOne(idb, remainder));
  EXPECT_EQ(b.drain(), bytesOf(first) + bytesOf(attachment) + bytesOf(second));
  EXPECT_EQ(fanout.enqueue({&second, 1}, std::span<const std::uint32_t>(&idb, 1), out), 0u);
  EXPECT_EQ(fanout.truncateTurn(idb), 1u);
  EXPECT_EQ(fanout.corked(), 1u);  // c only
  // c: a new turn began; nothing of it is corked, so nothing is dropped.
  fanout.nextTurn();
  EXPECT_EQ(fanout.truncateTurn(idc), 0u);
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(c.drain(), bytesOf(first) + bytesOf(attachment) + bytesOf(second));
  EXPECT_EQ(b.drain(), "");
  EXPECT_EQ(fanout.stats().droppedAtEnd, 3u);
  EXPECT_EQ(fanout.truncateTurn(12345), 0u);
}

TEST(FanOut, TruncateTurnsCoversEveryCorkedConnection) {
  FanOut fanout;
  Pair a, b;
  std::uint32_t ida = 0, idb = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  const FrameRef one = textFrame("2[1]");
  const FrameRef two = textFrame("2[2]");
  broadcast(fanout, one, {ida, idb});
  broadcast(fanout, two, {ida, idb});
  fanout.truncateTurns();
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), bytesOf(one));
  EXPECT_EQ(b.drain(), bytesOf(one));
  EXPECT_EQ(fanout.stats().droppedAtEnd, 2u);
}

TEST(FanOut, DiscardPendingDropsCorkedFrames) {
  FanOut fanout;
  Pair a;
  std::uint32_t id = 0;
  ASSERT_EQ(fanout.add(a.server, id), Status::Ok);
  FrameRef frame = textFrame("2[\"x\"]");
  broadcast(fanout, frame, {id});
  fanout.discardPending();
  EXPECT_EQ(frame.get()->refs(), 1u);
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), "");
}

}  // namespace
TEST(FanOut, VolatileIsDroppedBehindFramesCorkedThisIteration) {
  FanOut fanout;
  Pair a, b;
  std::uint32_t ida = 0, idb = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  const FrameRef first = textFrame("42[\"m\",1]");
  const FrameRef second = textFrame("42[\"v\",2]");
  std::uint32_t onlyA[] = {ida};
  std::uint32_t both[] = {ida, idb};
  std::uint32_t out[2];
  EXPECT_EQ(fanout.enqueue({&first, 1}, onlyA, out), 0u);
  // a has a frame corked: the volatile one is dropped for a, queued for b.
  EXPECT_EQ(fanout.enqueue({&second, 1}, both, out, true), 0u);
  EXPECT_EQ(fanout.stats().droppedVolatile, 1u);
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), bytesOf(first));
  EXPECT_EQ(b.drain(), bytesOf(second));
  // Still the same turn, though written: stock's transport is still waiting
  // for ws's callback, so the volatile broadcast is dropped.
  EXPECT_EQ(fanout.enqueue({&second, 1}, onlyA, out, true), 0u);
  EXPECT_EQ(fanout.stats().droppedVolatile, 2u);
  // A new turn (in the same loop iteration or not): it is queued.
  fanout.nextTurn();
  EXPECT_EQ(fanout.enqueue({&second, 1}, onlyA, out, true), 0u);
  EXPECT_EQ(fanout.enqueue({&first, 1}, onlyA, out, true), 0u);
  EXPECT_EQ(fanout.stats().droppedVolatile, 3u);
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), bytesOf(second));
}

TEST(FanOut, VolatileIsQueuedBehindFramesOfAnEarlierTurnStillCorked) {
  // A budgeted flush can leave frames of an earlier turn corked: socket.io
  // would have written those at once and be writable again by now.
  FanOut fanout;
  Pair a;
  std::uint32_t ida = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  const FrameRef first = textFrame("42[\"m\",1]");
  const FrameRef second = textFrame("42[\"v\",2]");
  std::uint32_t onlyA[] = {ida};
  std::uint32_t out[1];
  EXPECT_EQ(fanout.enqueue({&first, 1}, onlyA, out), 0u);
  fanout.nextTurn();
  EXPECT_EQ(fanout.enqueue({&second, 1}, onlyA, out, true), 0u);
  EXPECT_EQ(fanout.stats().droppedVolatile, 0u);
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders);
  EXPECT_EQ(a.drain(), bytesOf(first) + bytesOf(second));
}

TEST(FanOut, BudgetedFlushWritesOldestFirstAndKeepsTheRestInOrder) {
  FanOut fanout;
  Pair a, b, c;
  std::uint32_t ida = 0, idb = 0, idc = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  ASSERT_EQ(fanout.add(c.server, idc), Status::Ok);
  const FrameRef first = textFrame("42[\"m\",1]");
  const FrameRef second = textFrame("42[\"m\",2]");
  std::uint32_t all[] = {ida, idb, idc};
  std::uint32_t out[3];
  EXPECT_EQ(fanout.enqueue({&first, 1}, all, out), 0u);
  std::vector<FanOut::Remainder> remainders;
  fanout.flush(remainders, 2);
  EXPECT_TRUE(fanout.hasPending());
  EXPECT_EQ(fanout.stats().deferredFlushes, 1u);
  EXPECT_EQ(a.drain(), bytesOf(first));
  EXPECT_EQ(b.drain(), bytesOf(first));
  EXPECT_EQ(c.drain(), "");
  // A broadcast before the next flush appends behind what c still waits for.
  EXPECT_EQ(fanout.enqueue({&second, 1}, all, out), 0u);
  fanout.flush(remainders, 2);
  EXPECT_EQ(c.drain(), bytesOf(first) + bytesOf(second));
  EXPECT_EQ(a.drain(), bytesOf(second));
  EXPECT_TRUE(fanout.hasPending());
  fanout.flush(remainders, 2);
  EXPECT_EQ(b.drain(), bytesOf(second));
  EXPECT_FALSE(fanout.hasPending());
  EXPECT_TRUE(remainders.empty());
}

TEST(FanOut, ByteBudgetedFlushStopsAfterTheConnectionThatCrossesIt) {
  FanOut fanout;
  Pair a, b, c;
  std::uint32_t ida = 0, idb = 0, idc = 0;
  ASSERT_EQ(fanout.add(a.server, ida), Status::Ok);
  ASSERT_EQ(fanout.add(b.server, idb), Status::Ok);
  ASSERT_EQ(fanout.add(c.server, idc), Status::Ok);
  const FrameRef big = textFrame(std::string(3000, 'x'));
  std::uint32_t all[] = {ida, idb, idc};
  std::uint32_t out[3];
  EXPECT_EQ(fanout.enqueue({&big, 1}, all, out), 0u);
  std::vector<FanOut::Remainder> remainders;
  // 4,000 bytes: a (3,006) stays under it, b crosses it and is finished, c waits.
  fanout.flush(remainders, 0, 4000);
  EXPECT_TRUE(fanout.hasPending());
  EXPECT_EQ(fanout.stats().deferredFlushes, 1u);
  EXPECT_EQ(a.drain(), bytesOf(big));
  EXPECT_EQ(b.drain(), bytesOf(big));
  EXPECT_EQ(c.drain(), "");
  // Any budget writes at least one connection.
  fanout.flush(remainders, 0, 1);
  EXPECT_EQ(c.drain(), bytesOf(big));
  EXPECT_FALSE(fanout.hasPending());
  EXPECT_TRUE(remainders.empty());
}

}  // namespace sio
