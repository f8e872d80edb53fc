// Regression tests for RoomRegistry inputs the fuzzer found
// (test/fuzz/RoomRegistryFuzz.cc; each input is also in its seed corpus).

#include <gtest/gtest.h>

#include <cstdint>

#include "RoomRegistry.h"
#include "Status.h"

namespace sio {
namespace {

// A socket's join list used to mark the rooms it left with the id 0xFFFFFFFF
// until it compacted (indexed lists still do), so has() with that room id
// found the tombstone and answered true. Found with has(0xFFFFFFFF, s) after
// s left one of its rooms.
TEST(RoomRegistryRegression, HasIsFalseForRoomIdsBeyondTheTable) {
  RoomRegistry registry;
  std::uint32_t flags = 0;
  ASSERT_EQ(registry.add(1, 2, &flags), Status::Ok);
  ASSERT_EQ(registry.add(1, 3, &flags), Status::Ok);
  ASSERT_EQ(registry.del(1, 2), RoomRegistry::kLeft | RoomRegistry::kRoomEmptied);
  EXPECT_FALSE(registry.has(0xFFFFFFFFu, 1));
  EXPECT_FALSE(registry.has(RoomRegistry::kMaxId, 1));
  EXPECT_FALSE(registry.has(2, 1));
  EXPECT_TRUE(registry.has(3, 1));
}

// The same through the join index, which a socket in 40 rooms has.
TEST(RoomRegistryRegression, HasIsFalseForRoomIdsBeyondTheTableWithJoinIndex) {
  RoomRegistry registry;
  std::uint32_t flags = 0;
  for (std::uint32_t room = 0; room < 40; ++room) {
    ASSERT_EQ(registry.add(7, room, &flags), Status::Ok);
  }
  ASSERT_EQ(registry.del(7, 5), RoomRegistry::kLeft | RoomRegistry::kRoomEmptied);
  EXPECT_FALSE(registry.has(0xFFFFFFFFu, 7));
  EXPECT_FALSE(registry.has(5, 7));
  EXPECT_TRUE(registry.has(6, 7));
  EXPECT_TRUE(registry.checkInvariants());
}

}  // namespace
}  // namespace sio
