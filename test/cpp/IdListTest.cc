// IdList on its own: order, lookups and memory through both of its forms
// (dense and indexed) and the switches between them, against a plain vector.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "IdList.h"
#include "MemoryTracker.h"

namespace sio {
namespace {

using Ids = std::vector<std::uint32_t>;
constexpr std::uint32_t kNone = MemberList::kNone;

template <typename List>
Ids contents(const List& list) {
  Ids out;
  for (std::uint32_t i = 0; i < list.size(); ++i) {
    if (list.data()[i] != kNone) out.push_back(list.data()[i]);
  }
  return out;
}

template <typename List>
void expectSame(const List& list, const Ids& model, const MemoryTracker& mem) {
  ASSERT_TRUE(list.checkInvariants());
  ASSERT_EQ(list.live(), model.size());
  ASSERT_EQ(contents(list), model);
  ASSERT_EQ(mem.bytes(), list.heapBytes());
}

// Ids spread over the whole accepted range, so that index slots collide and
// probe runs wrap around the end of the table.
Ids randomIds(std::mt19937& rng, std::size_t n) {
  Ids ids(n);
  for (auto& id : ids) id = rng() & 0x7FFFFFFFu;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::shuffle(ids.begin(), ids.end(), rng);
  return ids;
}

TEST(IdList, CrossesTheIndexThresholdBothWaysKeepingOrder) {
  std::mt19937 rng(11);
  MemoryTracker mem;
  MemberList list;
  Ids model;
  const Ids pool = randomIds(rng, 6000);
  std::size_t next = 0;
  int switchesUp = 0;
  int switchesDown = 0;
  for (int round = 0; round < 3; ++round) {
    // Grow to about 2,500 ids, removing one for every four added.
    while (model.size() < 2500) {
      const bool before = list.indexed();
      if (rng() % 5 == 0 && !model.empty()) {
        const std::uint32_t id = model[rng() % model.size()];
        ASSERT_TRUE(list.remove(id, mem));
        model.erase(std::find(model.begin(), model.end(), id));
      } else {
        const std::uint32_t id = pool[next++ % pool.size()];
        if (std::find(model.begin(), model.end(), id) != model.end()) continue;
        list.push(id, mem);
        model.push_back(id);
      }
      switchesUp += !before && list.indexed();
      expectSame(list, model, mem);
    }
    EXPECT_TRUE(list.indexed());
    // Shrink to 10 ids, adding one for every four removed.
    while (model.size() > 10) {
      const bool before = list.indexed();
      if (rng() % 5 == 0) {
        const std::uint32_t id = pool[next++ % pool.size()];
        if (std::find(model.begin(), model.end(), id) != model.end()) continue;
        list.push(id, mem);
        model.push_back(id);
      } else {
        const std::uint32_t id = model[rng() % model.size()];
        ASSERT_TRUE(list.remove(id, mem));
        model.erase(std::find(model.begin(), model.end(), id));
      }
      switchesDown += before && !list.indexed();
      expectSame(list, model, mem);
    }
    EXPECT_FALSE(list.indexed());
  }
  EXPECT_EQ(switchesUp, 3);
  EXPECT_EQ(switchesDown, 3);
  for (const std::uint32_t id : Ids(model)) {
    ASSERT_TRUE(list.remove(id, mem));
    model.erase(std::find(model.begin(), model.end(), id));
    expectSame(list, model, mem);
  }
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(mem.bytes(), 0u);
}

TEST(IdList, FindsEveryIdAndNothingElseInBothForms) {
  std::mt19937 rng(12);
  MemoryTracker mem;
  MemberList list;
  const Ids ids = randomIds(rng, 3000);
  for (std::size_t n = 0; n < ids.size(); ++n) {
    list.push(ids[n], mem);
    // A sample of positions at each size, every one once the list is big.
    for (std::size_t k = 0; k <= n; k += 1 + n / 64) ASSERT_EQ(list.find(ids[k]), k);
  }
  ASSERT_TRUE(list.indexed());
  for (std::size_t k = 0; k < ids.size(); ++k) ASSERT_EQ(list.find(ids[k]), k);
  // Removed ids, ids never added and the tombstone marker are absent.
  for (std::size_t k = 0; k < ids.size(); k += 2) ASSERT_TRUE(list.remove(ids[k], mem));
  for (std::size_t k = 0; k < ids.size(); ++k) {
    ASSERT_EQ(list.contains(ids[k]), k % 2 == 1) << k;
    ASSERT_FALSE(list.remove(ids[k] ^ 0x40000000u, mem));
  }
  EXPECT_FALSE(list.contains(kNone));
  EXPECT_FALSE(list.remove(kNone, mem));
  EXPECT_TRUE(list.checkInvariants());
  list.clear(mem);
  EXPECT_EQ(mem.bytes(), 0u);
}

// Right after a switch, one id going back and forth must not switch again:
// the thresholds for the two directions are far apart.
TEST(IdList, SwitchesHaveHysteresis) {
  MemoryTracker mem;
  MemberList list;
  std::uint32_t id = 0;
  while (!list.indexed()) list.push(id++, mem);
  const std::size_t indexedBytes = list.heapBytes();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(list.remove(id - 1, mem));
    ASSERT_TRUE(list.indexed());
    list.push(id - 1, mem);
    ASSERT_EQ(list.heapBytes(), indexedBytes);
  }
  std::uint32_t low = 0;
  while (list.indexed()) ASSERT_TRUE(list.remove(low++, mem));
  const std::size_t denseBytes = list.heapBytes();
  for (int i = 0; i < 1000; ++i) {
    list.push(id++, mem);
    ASSERT_FALSE(list.indexed());
    ASSERT_TRUE(list.remove(id - 1, mem));
    --id;
    ASSERT_EQ(list.heapBytes(), denseBytes);
  }
  EXPECT_TRUE(list.checkInvariants());
  list.clear(mem);
}

// Join lists have their own, lower threshold.
TEST(IdList, JoinListsIndexEarly) {
  MemoryTracker mem;
  JoinList list;
  Ids model;
  for (std::uint32_t room = 100; room > 0; --room) {
    list.push(room * 7919, mem);
    model.push_back(room * 7919);
  }
  EXPECT_TRUE(list.indexed());
  expectSame(list, model, mem);
  while (model.size() > 3) {
    const std::uint32_t id = model[model.size() / 2];
    ASSERT_TRUE(list.remove(id, mem));
    model.erase(std::find(model.begin(), model.end(), id));
    expectSame(list, model, mem);
  }
  EXPECT_FALSE(list.indexed());
  list.clear(mem);
  EXPECT_EQ(mem.bytes(), 0u);
}

TEST(IdList, SmallListsStayInline) {
  MemoryTracker mem;
  MemberList list;
  list.push(5, mem);
  list.push(9, mem);
  EXPECT_EQ(mem.bytes(), 0u);
  list.push(1, mem);
  EXPECT_GT(mem.bytes(), 0u);
  ASSERT_TRUE(list.remove(9, mem));
  ASSERT_TRUE(list.remove(5, mem));
  // One id left: back inline.
  EXPECT_EQ(mem.bytes(), 0u);
  EXPECT_EQ(contents(list), (Ids{1}));
  EXPECT_EQ(sizeof(MemberList), 16u);
  EXPECT_EQ(alignof(MemberList), 4u);
}

}  // namespace
}  // namespace sio
