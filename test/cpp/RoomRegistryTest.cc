// Edge cases of RoomRegistry, each mirroring a behaviour of socket.io-adapter's
// in-memory Adapter or a part of the binding's contract.

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "RoomRegistry.h"

namespace sio {
namespace {

using Ids = std::vector<std::uint32_t>;
constexpr std::uint32_t kEmptied = RoomRegistry::kEmptiedBit;

std::uint32_t add(RoomRegistry& registry, std::uint32_t s, std::uint32_t r) {
  std::uint32_t flags = 0;
  EXPECT_EQ(registry.add(s, r, &flags), Status::Ok);
  return flags;
}

Ids members(const RoomRegistry& registry, std::uint32_t r) {
  Ids out(registry.roomSize(r));
  EXPECT_EQ(registry.members(r, out), out.size());
  return out;
}

Ids rooms(const RoomRegistry& registry, std::uint32_t s) {
  Ids out(registry.socketRoomCount(s));
  EXPECT_EQ(registry.socketRooms(s, out), out.size());
  return out;
}

Ids sockets(const RoomRegistry& registry) {
  Ids out(registry.socketCount());
  EXPECT_EQ(registry.sockets(out), out.size());
  return out;
}

Ids recipients(RoomRegistry& registry, const Ids& in, const Ids& except) {
  Ids out(registry.socketCount());
  const std::size_t n = registry.recipients(in, except, out);
  EXPECT_LE(n, out.size());
  out.resize(n);
  return out;
}

TEST(RoomRegistry, AddReportsCreationAndJoin) {
  RoomRegistry registry;
  EXPECT_EQ(add(registry, 1, 7), RoomRegistry::kRoomCreated | RoomRegistry::kJoined);
  EXPECT_EQ(add(registry, 2, 7), RoomRegistry::kJoined);
  // Re-adding is a no-op, like Set.add.
  EXPECT_EQ(add(registry, 1, 7), 0u);
  EXPECT_EQ(members(registry, 7), (Ids{1, 2}));
  EXPECT_EQ(registry.roomCount(), 1u);
  EXPECT_EQ(registry.socketCount(), 2u);
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, AddCreatesTheSocketLikeAddAll) {
  RoomRegistry registry;
  add(registry, 5, 0);
  EXPECT_TRUE(registry.hasSocket(5));
  bool created = true;
  EXPECT_EQ(registry.addSocket(5, &created), Status::Ok);
  EXPECT_FALSE(created);
}

TEST(RoomRegistry, DelOfNonMembersIsANoOp) {
  RoomRegistry registry;
  EXPECT_EQ(registry.del(0, 0), 0u);  // nothing exists
  add(registry, 0, 0);
  EXPECT_EQ(registry.del(0, 1), 0u);        // room unknown
  EXPECT_EQ(registry.del(1, 0), 0u);        // socket unknown
  EXPECT_EQ(registry.del(0, 999999), 0u);   // beyond the table
  EXPECT_EQ(registry.del(999999, 0), 0u);
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, DelEmptiesRoomsButKeepsTheSocket) {
  RoomRegistry registry;
  add(registry, 0, 3);
  add(registry, 1, 3);
  EXPECT_EQ(registry.del(0, 3), RoomRegistry::kLeft);
  EXPECT_EQ(registry.del(1, 3), RoomRegistry::kLeft | RoomRegistry::kRoomEmptied);
  EXPECT_EQ(registry.roomCount(), 0u);
  EXPECT_EQ(registry.roomSize(3), 0u);
  // Like `sids`, sockets with no rooms still exist until delAll.
  EXPECT_TRUE(registry.hasSocket(0));
  EXPECT_EQ(sockets(registry), (Ids{0, 1}));
  // An emptied room starts afresh.
  EXPECT_EQ(add(registry, 1, 3), RoomRegistry::kRoomCreated | RoomRegistry::kJoined);
}

TEST(RoomRegistry, RejoiningMovesToTheEnd) {
  RoomRegistry registry;
  for (std::uint32_t s = 0; s < 4; ++s) add(registry, s, 0);
  registry.del(1, 0);
  add(registry, 1, 0);
  EXPECT_EQ(members(registry, 0), (Ids{0, 2, 3, 1}));
  add(registry, 0, 5);
  add(registry, 0, 6);
  registry.del(0, 0);
  add(registry, 0, 0);
  EXPECT_EQ(rooms(registry, 0), (Ids{5, 6, 0}));
}

TEST(RoomRegistry, DelAllReportsRoomsInJoinOrder) {
  RoomRegistry registry;
  add(registry, 0, 10);
  add(registry, 0, 11);
  add(registry, 1, 11);
  add(registry, 0, 12);
  Ids out(3);
  ASSERT_EQ(registry.delAll(0, out), 3u);
  EXPECT_EQ(out, (Ids{10 | kEmptied, 11, 12 | kEmptied}));
  EXPECT_FALSE(registry.hasSocket(0));
  EXPECT_EQ(registry.roomCount(), 1u);
  EXPECT_EQ(registry.delAll(0, out), 0u);  // already gone
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, DelAllRefusesASmallBufferAndChangesNothing) {
  RoomRegistry registry;
  add(registry, 0, 1);
  add(registry, 0, 2);
  Ids out(1, 0xABCDu);
  EXPECT_EQ(registry.delAll(0, out), 2u);
  EXPECT_EQ(out[0], 0xABCDu);
  EXPECT_EQ(rooms(registry, 0), (Ids{1, 2}));
  EXPECT_EQ(registry.roomCount(), 2u);
  // A socket with no rooms needs no buffer at all.
  bool created = false;
  ASSERT_EQ(registry.addSocket(9, &created), Status::Ok);
  EXPECT_EQ(registry.delAll(9, {}), 0u);
  EXPECT_FALSE(registry.hasSocket(9));
}

TEST(RoomRegistry, ReusedSocketIdsAreNewSockets) {
  RoomRegistry registry;
  add(registry, 0, 0);
  add(registry, 1, 0);
  add(registry, 2, 1);
  EXPECT_TRUE(registry.removeSocket(0));
  EXPECT_FALSE(registry.removeSocket(0));
  add(registry, 0, 1);
  // Creation order is that of `sids`: a reused id comes last, its old rooms
  // are forgotten.
  EXPECT_EQ(sockets(registry), (Ids{1, 2, 0}));
  EXPECT_EQ(rooms(registry, 0), (Ids{1}));
  EXPECT_EQ(members(registry, 0), (Ids{1}));
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, ListingsFollowTheGrowthProtocol) {
  RoomRegistry registry;
  for (std::uint32_t s = 0; s < 5; ++s) add(registry, s, 0);
  Ids small(2);
  EXPECT_EQ(registry.members(0, small), 5u);
  EXPECT_EQ(registry.sockets(small), 5u);
  EXPECT_EQ(registry.socketRooms(0, {}), 1u);
  EXPECT_EQ(registry.recipients(Ids{0}, Ids{}, small), 5u);
  EXPECT_EQ(registry.recipients(Ids{}, Ids{}, small), 5u);
  EXPECT_EQ(registry.recipients(Ids{0, 0}, Ids{}, small), 5u);
  EXPECT_EQ(registry.members(77, {}), 0u);
  EXPECT_EQ(registry.socketRooms(77, {}), 0u);
}

TEST(RoomRegistry, RecipientsUnionInRoomOrderMinusExcept) {
  RoomRegistry registry;
  // Room 0: 0 1 2 3; room 1: 3 4 1 5; room 2: 2 5; room 3: 1.
  for (std::uint32_t s : {0, 1, 2, 3}) add(registry, s, 0);
  for (std::uint32_t s : {3, 4, 1, 5}) add(registry, s, 1);
  for (std::uint32_t s : {2, 5}) add(registry, s, 2);
  add(registry, 1, 3);
  EXPECT_EQ(recipients(registry, {1, 0}, {}), (Ids{3, 4, 1, 5, 0, 2}));
  EXPECT_EQ(recipients(registry, {0, 1}, {2}), (Ids{0, 1, 3, 4}));
  EXPECT_EQ(recipients(registry, {0, 1}, {2, 3}), (Ids{0, 3, 4}));
  // Duplicate, unknown and empty rooms are harmless.
  EXPECT_EQ(recipients(registry, {9, 0, 0, 123456}, {}), (Ids{0, 1, 2, 3}));
  EXPECT_EQ(recipients(registry, {9}, {}), Ids{});
  // No rooms: every socket in creation order, minus except.
  EXPECT_EQ(recipients(registry, {}, {1}), (Ids{0, 2}));
  EXPECT_EQ(recipients(registry, {}, {}), (Ids{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(recipients(registry, {0}, {0}), Ids{});
  // Sockets with no rooms are broadcast to when no room is named.
  bool created = false;
  ASSERT_EQ(registry.addSocket(6, &created), Status::Ok);
  EXPECT_EQ(recipients(registry, {}, {0}), (Ids{4, 5, 6}));
}

TEST(RoomRegistry, RecipientsSkipLeftMembers) {
  RoomRegistry registry;
  for (std::uint32_t s = 0; s < 10; ++s) add(registry, s, 0);
  registry.del(3, 0);
  registry.del(6, 0);
  EXPECT_EQ(recipients(registry, {0}, {}), (Ids{0, 1, 2, 4, 5, 7, 8, 9}));
  EXPECT_EQ(recipients(registry, {0, 0}, {}), (Ids{0, 1, 2, 4, 5, 7, 8, 9}));
}

TEST(RoomRegistry, RejectsIdsOutOfRangeWithoutChanges) {
  RoomRegistry registry;
  std::uint32_t flags = 7;
  bool created = true;
  EXPECT_EQ(registry.add(0, RoomRegistry::kMaxId + 1, &flags), Status::IdOutOfRange);
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(registry.add(RoomRegistry::kMaxId + 1, 0, &flags), Status::IdOutOfRange);
  EXPECT_EQ(registry.addSocket(0xFFFFFFFFu, &created), Status::IdOutOfRange);
  EXPECT_FALSE(created);
  // Far beyond the dense range in use: refused before anything grows.
  const std::size_t before = registry.memoryUsage();
  EXPECT_EQ(registry.add(0, RoomRegistry::kMaxIdGap + 5, &flags), Status::IdOutOfRange);
  EXPECT_EQ(registry.add(RoomRegistry::kMaxIdGap + 5, 0, &flags), Status::IdOutOfRange);
  EXPECT_EQ(registry.memoryUsage(), before);
  EXPECT_EQ(registry.socketCount(), 0u);
  // Within the gap it grows.
  EXPECT_EQ(registry.add(1000, 1000, &flags), Status::Ok);
  // Queries with any id are safe.
  EXPECT_FALSE(registry.hasSocket(0xFFFFFFFFu));
  EXPECT_FALSE(registry.has(0xFFFFFFFFu, 1000));
  EXPECT_EQ(registry.roomSize(0xFFFFFFFFu), 0u);
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, SmallRoomsAndSocketsUseNoHeap) {
  RoomRegistry registry;
  std::uint32_t flags = 0;
  // Reserve the tables first, so that only heap blocks could change the usage.
  ASSERT_EQ(registry.add(1999, 1999, &flags), Status::Ok);
  for (std::uint32_t s = 0; s < 1999; ++s) {
    bool created = false;
    ASSERT_EQ(registry.addSocket(s, &created), Status::Ok);
  }
  const std::size_t base = registry.memoryUsage();
  // Every socket in its own room, plus pairs sharing a room: rooms of one or
  // two members and sockets in two rooms stay inline.
  for (std::uint32_t s = 0; s < 2000; ++s) add(registry, s, s);
  for (std::uint32_t s = 0; s + 1 < 2000; s += 2) {
    add(registry, s, s + 1);
  }
  EXPECT_EQ(registry.memoryUsage(), base);
  add(registry, 0, 3);  // a third room for socket 0, a third member for room 3
  EXPECT_GT(registry.memoryUsage(), base);
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, MemoryIsGivenBackExactly) {
  RoomRegistry registry;
  constexpr std::uint32_t kSockets = 3000;
  constexpr std::uint32_t kRooms = 200;
  std::uint32_t flags = 0;
  ASSERT_EQ(registry.add(kSockets - 1, kRooms - 1, &flags), Status::Ok);
  for (std::uint32_t s = 0; s < kSockets; ++s) {
    bool created = false;
    ASSERT_EQ(registry.addSocket(s, &created), Status::Ok);
  }
  registry.del(kSockets - 1, kRooms - 1);
  const std::size_t base = registry.memoryUsage();

  std::mt19937 rng(42);
  for (int i = 0; i < 100000; ++i) add(registry, rng() % kSockets, rng() % kRooms);
  // A socket in every room grows an index.
  for (std::uint32_t r = 0; r < kRooms; ++r) add(registry, 0, r);
  EXPECT_GT(registry.memoryUsage(), base);
  EXPECT_TRUE(registry.checkInvariants());
  for (int i = 0; i < 100000; ++i) registry.del(rng() % kSockets, rng() % kRooms);
  EXPECT_TRUE(registry.checkInvariants());
  for (std::uint32_t s = 0; s < kSockets; ++s) {
    for (std::uint32_t r = 0; r < kRooms; ++r) registry.del(s, r);
  }
  EXPECT_EQ(registry.roomCount(), 0u);
  EXPECT_EQ(registry.memoryUsage(), base);
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, SocketInManyRoomsKeepsJoinOrder) {
  RoomRegistry registry;
  constexpr std::uint32_t kRooms = 5000;
  Ids expected(kRooms);
  std::iota(expected.begin(), expected.end(), 0u);
  std::mt19937 rng(7);
  std::shuffle(expected.begin(), expected.end(), rng);
  for (const std::uint32_t r : expected) add(registry, 1, r);
  EXPECT_EQ(rooms(registry, 1), expected);
  // Leave every other room, in random order, then rejoin a few.
  Ids leaving(expected.begin(), expected.begin() + kRooms / 2);
  std::shuffle(leaving.begin(), leaving.end(), rng);
  for (const std::uint32_t r : leaving) {
    ASSERT_EQ(registry.del(1, r), RoomRegistry::kLeft | RoomRegistry::kRoomEmptied);
  }
  Ids kept(expected.begin() + kRooms / 2, expected.end());
  EXPECT_EQ(rooms(registry, 1), kept);
  for (std::uint32_t i = 0; i < 10; ++i) {
    add(registry, 1, leaving[i]);
    kept.push_back(leaving[i]);
  }
  EXPECT_EQ(rooms(registry, 1), kept);
  for (const std::uint32_t r : kept) EXPECT_TRUE(registry.has(r, 1));
  EXPECT_FALSE(registry.has(leaving[10], 1));
  EXPECT_TRUE(registry.checkInvariants());
}

TEST(RoomRegistry, LargeRoomCompactsAndKeepsOrder) {
  RoomRegistry registry;
  constexpr std::uint32_t kMembers = 10000;
  for (std::uint32_t s = 0; s < kMembers; ++s) add(registry, s, 0);
  Ids expected;
  for (std::uint32_t s = 0; s < kMembers; ++s) {
    if (s % 3 == 0) {
      expected.push_back(s);
    } else {
      registry.del(s, 0);
    }
  }
  EXPECT_EQ(members(registry, 0), expected);
  EXPECT_EQ(recipients(registry, {0}, {}), expected);
  EXPECT_TRUE(registry.checkInvariants());
}

// 100k sockets, each in its own room and in one room of all of them, all
// disconnect in random order: every report is right, the big room keeps its
// order as it shrinks (through its index, then as a dense list), and all the
// memory comes back.
TEST(RoomRegistry, DisconnectStormInAHugeRoom) {
  constexpr std::uint32_t kSockets = 100000;
  constexpr std::uint32_t kLobby = kSockets;
  RoomRegistry registry;
  // Join order of the lobby differs from socket order.
  Ids joinOrder(kSockets);
  std::iota(joinOrder.begin(), joinOrder.end(), 0u);
  std::mt19937 rng(8);
  std::shuffle(joinOrder.begin(), joinOrder.end(), rng);
  for (const std::uint32_t s : joinOrder) {
    add(registry, s, s);
    add(registry, s, kLobby);
  }
  EXPECT_EQ(members(registry, kLobby), joinOrder);
  Ids leaving(joinOrder);
  std::shuffle(leaving.begin(), leaving.end(), rng);
  std::vector<bool> gone(kSockets);
  Ids out(4);
  for (std::uint32_t k = 0; k < kSockets; ++k) {
    const std::uint32_t s = leaving[k];
    ASSERT_EQ(registry.delAll(s, out), 2u);
    const bool last = k + 1 == kSockets;
    ASSERT_EQ(out[0], s | kEmptied);
    ASSERT_EQ(out[1], last ? (kLobby | kEmptied) : kLobby);
    gone[s] = true;
    const std::uint32_t left = kSockets - k - 1;
    // Check the order at sizes on both sides of the index threshold.
    if (left == 50000 || left == 2000 || left == 900 || left == 300 || left == 3) {
      Ids expected;
      for (const std::uint32_t t : joinOrder) {
        if (!gone[t]) expected.push_back(t);
      }
      ASSERT_EQ(members(registry, kLobby), expected) << left;
      ASSERT_TRUE(registry.checkInvariants()) << left;
    }
  }
  EXPECT_EQ(registry.socketCount(), 0u);
  EXPECT_EQ(registry.roomCount(), 0u);
  // Among the invariants: the heap bytes counted equal those of the lists,
  // which are all empty now, so every block was given back.
  EXPECT_TRUE(registry.checkInvariants());
}

// Sockets leaving a huge room one by one with del() while others join it:
// the room goes from dense to indexed and back, keeping join order.
TEST(RoomRegistry, HugeRoomChurnKeepsOrderAcrossItsIndexThreshold) {
  constexpr std::uint32_t kSockets = 30000;
  constexpr std::uint32_t kRoom = kSockets;
  RoomRegistry registry;
  Ids model;
  std::vector<bool> in(kSockets);
  std::mt19937 rng(9);
  auto check = [&] {
    ASSERT_EQ(members(registry, kRoom), model);
    ASSERT_EQ(registry.roomSize(kRoom), model.size());
    ASSERT_TRUE(registry.checkInvariants());
  };
  for (int round = 0; round < 2; ++round) {
    while (model.size() < 20000) {
      const std::uint32_t s = rng() % kSockets;
      if (in[s]) continue;
      add(registry, s, kRoom);
      in[s] = true;
      model.push_back(s);
    }
    check();
    // Leave in random order down to 100 members, with a rejoin (at the
    // end of the order) for every eight leaves.
    std::size_t ops = 0;
    while (model.size() > 100) {
      if (++ops % 9 == 0) {
        const std::uint32_t s = rng() % kSockets;
        if (in[s]) continue;
        add(registry, s, kRoom);
        in[s] = true;
        model.push_back(s);
        continue;
      }
      const std::size_t at = rng() % model.size();
      const std::uint32_t s = model[at];
      ASSERT_EQ(registry.del(s, kRoom), RoomRegistry::kLeft);
      in[s] = false;
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
      if (model.size() % 2500 == 0 || model.size() == 700) check();
    }
    check();
  }
}

}  // namespace
}  // namespace sio
