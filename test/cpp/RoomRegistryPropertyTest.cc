// Long random operation sequences against RegistryModel: every result, every
// listing (order included) and the registry's own invariants must agree.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <random>
#include <vector>

#include "RegistryModel.h"
#include "RoomRegistry.h"

namespace sio {
namespace {

using Ids = std::vector<std::uint32_t>;

struct Scenario {
  const char* name;
  std::uint64_t seed;
  std::uint32_t sockets;  // socket ids are drawn from [0, sockets)
  std::uint32_t rooms;    // room ids from [0, rooms)
  int ops;
  // Relative weights: addSocket, add, del, delAll, removeSocket, recipients,
  // listings, point queries.
  int weights[8];
  int checkEvery;  // full invariant and listing check period
  // The sizes the scenario must reach at least once, so that it provably
  // exercises what it is named after (heap blocks, indexes, compaction).
  std::size_t peakSocketRooms;
  std::size_t peakRoomSize;
  // When nonzero, the add and del weights swap every phaseLength operations
  // (starting add-heavy), so that lists grow past their index threshold and
  // shrink back below it, again and again.
  int phaseLength = 0;
  // When nonzero, every room and every socket's room list must end at most
  // this large: the last phase emptied the lists out again.
  std::size_t finalListSize = 0;
};

void PrintTo(const Scenario& sc, std::ostream* os) { *os << sc.name; }

// Output sizes around the needed size, to exercise the growth protocol.
std::size_t pickCapacity(std::mt19937_64& rng, std::size_t needed) {
  switch (rng() % 4) {
    case 0: return needed == 0 ? 0 : rng() % needed;
    case 1: return needed;
    default: return needed + rng() % 8;
  }
}

Ids listSockets(const RoomRegistry& registry) {
  Ids out(registry.socketCount());
  EXPECT_EQ(registry.sockets(out), out.size());
  return out;
}

class RoomRegistryProperty : public ::testing::TestWithParam<Scenario> {};

TEST_P(RoomRegistryProperty, MatchesReferenceModel) {
  const Scenario& sc = GetParam();
  std::mt19937_64 rng(sc.seed);
  RoomRegistry registry;
  test::RegistryModel model;
  int op = 0;
  std::discrete_distribution<int> growing(std::begin(sc.weights), std::end(sc.weights));
  int swapped[8];
  std::copy(std::begin(sc.weights), std::end(sc.weights), swapped);
  std::swap(swapped[1], swapped[2]);
  std::discrete_distribution<int> shrinking(std::begin(swapped), std::end(swapped));
  auto pickOp = [&](std::mt19937_64& g) {
    const bool shrinkPhase = sc.phaseLength != 0 && (op / sc.phaseLength) % 2 == 1;
    return shrinkPhase ? shrinking(g) : growing(g);
  };
  auto socketId = [&] { return static_cast<std::uint32_t>(rng() % sc.sockets); };
  auto roomId = [&] { return static_cast<std::uint32_t>(rng() % sc.rooms); };
  auto roomList = [&](std::size_t max) {
    Ids rooms(rng() % (max + 1));
    for (auto& r : rooms) r = roomId();
    return rooms;
  };

  std::size_t peakSocketRooms = 0;
  std::size_t peakRoomSize = 0;
  for (; op < sc.ops; ++op) {
    const std::uint32_t s = socketId();
    const std::uint32_t r = roomId();
    switch (pickOp(rng)) {
      case 0: {
        bool created = false;
        ASSERT_EQ(registry.addSocket(s, &created), Status::Ok);
        ASSERT_EQ(created, model.addSocket(s)) << "op " << op;
        break;
      }
      case 1: {
        std::uint32_t flags = 0;
        ASSERT_EQ(registry.add(s, r, &flags), Status::Ok);
        ASSERT_EQ(flags, model.add(s, r)) << "op " << op;
        peakSocketRooms = std::max<std::size_t>(peakSocketRooms, registry.socketRoomCount(s));
        peakRoomSize = std::max<std::size_t>(peakRoomSize, registry.roomSize(r));
        break;
      }
      case 2:
        ASSERT_EQ(registry.del(s, r), model.del(s, r)) << "op " << op;
        break;
      case 3: {
        const Ids expected = model.socketRooms(s);
        Ids out(pickCapacity(rng, expected.size()), 0xDEADu);
        const std::size_t n = registry.delAll(s, out);
        ASSERT_EQ(n, expected.size()) << "op " << op;
        if (out.size() < n) {
          // Refused: nothing changed.
          ASSERT_TRUE(registry.hasSocket(s));
          ASSERT_EQ(registry.socketRoomCount(s), expected.size());
          break;
        }
        out.resize(n);
        ASSERT_EQ(out, model.delAll(s)) << "op " << op;
        ASSERT_FALSE(registry.hasSocket(s));
        break;
      }
      case 4: {
        const bool existed = model.hasSocket(s);
        model.delAll(s);
        ASSERT_EQ(registry.removeSocket(s), existed) << "op " << op;
        break;
      }
      case 5: {
        const Ids rooms = roomList(rng() % 4 == 0 ? 0 : 12);
        const Ids except = roomList(rng() % 2 == 0 ? 0 : 3);
        const Ids expected = model.recipients(rooms, except);
        Ids out(pickCapacity(rng, expected.size()));
        const std::size_t n = registry.recipients(rooms, except, out);
        ASSERT_EQ(n, expected.size()) << "op " << op;
        if (out.size() >= n) {
          out.resize(n);
          ASSERT_EQ(out, expected) << "op " << op;
        }
        break;
      }
      case 6: {
        const Ids members = model.members(r);
        Ids out(pickCapacity(rng, members.size()));
        std::size_t n = registry.members(r, out);
        ASSERT_EQ(n, members.size());
        if (out.size() >= n) {
          out.resize(n);
          ASSERT_EQ(out, members) << "op " << op;
        }
        const Ids joined = model.socketRooms(s);
        out.assign(pickCapacity(rng, joined.size()), 0);
        n = registry.socketRooms(s, out);
        ASSERT_EQ(n, joined.size());
        if (out.size() >= n) {
          out.resize(n);
          ASSERT_EQ(out, joined) << "op " << op;
        }
        break;
      }
      default: {
        ASSERT_EQ(registry.hasSocket(s), model.hasSocket(s));
        ASSERT_EQ(registry.has(r, s), model.has(r, s));
        // Ids no room or socket ever had, the tombstone marker included,
        // are simply absent.
        const std::uint32_t beyond[] = {sc.rooms + static_cast<std::uint32_t>(rng() % 8),
                                        RoomRegistry::kMaxId, 0xFFFFFFFFu};
        for (const std::uint32_t id : beyond) {
          ASSERT_FALSE(registry.has(id, s)) << "op " << op;
          ASSERT_EQ(registry.roomSize(id), 0u);
          ASSERT_EQ(registry.del(s, id), 0u);
          ASSERT_EQ(registry.members(id, {}), 0u);
        }
        ASSERT_EQ(registry.roomSize(r), model.members(r).size());
        ASSERT_EQ(registry.socketRoomCount(s), model.socketRooms(s).size());
        break;
      }
    }
    if (op % sc.checkEvery == 0 || op + 1 == sc.ops) {
      ASSERT_TRUE(registry.checkInvariants()) << "op " << op;
      ASSERT_EQ(registry.socketCount(), model.sockets().size());
      ASSERT_EQ(registry.roomCount(), model.roomCount());
      ASSERT_EQ(listSockets(registry), model.sockets()) << "op " << op;
    }
  }
  EXPECT_GE(peakSocketRooms, sc.peakSocketRooms);
  EXPECT_GE(peakRoomSize, sc.peakRoomSize);
  if (sc.finalListSize != 0) {
    for (std::uint32_t r = 0; r < sc.rooms; ++r) EXPECT_LE(registry.roomSize(r), sc.finalListSize);
    for (std::uint32_t s = 0; s < sc.sockets; ++s) {
      EXPECT_LE(registry.socketRoomCount(s), sc.finalListSize);
    }
  }
}

const Scenario kScenarios[] = {
    // Balanced churn over a small id space: many collisions, re-joins, reuse.
    {"Balanced", 1, 64, 32, 300000, {4, 40, 30, 3, 1, 10, 6, 6}, 500, 8, 20},
    // Few large rooms: long member lists, tombstones and compaction.
    {"LargeRooms", 2, 1500, 6, 200000, {2, 50, 30, 2, 1, 8, 4, 3}, 2000, 6, 500},
    // Few sockets in many rooms: join lists with a hash index.
    {"ManyRoomsPerSocket", 3, 6, 600, 200000, {1, 50, 35, 1, 0, 8, 4, 4}, 2000, 100, 4},
    // Sparse ids: mostly one-member rooms, like socket.io's own-id rooms.
    {"Sparse", 4, 5000, 5000, 200000, {10, 40, 20, 5, 2, 10, 5, 8}, 5000, 3, 3},
    // Leave-heavy phases after growth: lists shrink back and move inline.
    {"Shrinking", 5, 40, 300, 200000, {1, 45, 45, 1, 1, 4, 2, 2}, 1000, 40, 8},
    // Rooms growing well past the member index threshold (1024 slots) and
    // emptying out again, three times: every list switches from dense to
    // indexed and back, with removals in random order on both sides of it.
    {"RoomsCrossIndexThreshold", 6, 2400, 2, 120000, {1, 60, 6, 1, 0, 4, 2, 2}, 3000, 2, 1500,
     20000, 400},
    // The same for sockets' join lists around theirs (32 slots).
    {"SocketsCrossIndexThreshold", 7, 4, 120, 120000, {0, 60, 6, 0, 0, 4, 2, 2}, 1000, 80, 4,
     10000, 20},
};

INSTANTIATE_TEST_SUITE_P(Scenarios, RoomRegistryProperty, ::testing::ValuesIn(kScenarios),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sio
