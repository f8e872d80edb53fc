// Room registry micro-benchmarks: membership churn, broadcast recipient sets
// and memory per membership. Time per operation is reported as the `op`
// counter (seconds per operation, shown in ns/us by the console reporter).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "RoomRegistry.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

using sio::RoomRegistry;
using Ids = std::vector<std::uint32_t>;

void join(RoomRegistry& registry, std::uint32_t s, std::uint32_t r) {
  std::uint32_t flags = 0;
  if (registry.add(s, r, &flags) != sio::Status::Ok) std::abort();
}

// Socket s and its own-id room share the number s, as socket.io's rooms do;
// shared rooms are numbered after all sockets.
void ownRooms(RoomRegistry& registry, std::uint32_t sockets) {
  for (std::uint32_t s = 0; s < sockets; ++s) join(registry, s, s);
}

void perOp(benchmark::State& state, double opsPerIteration) {
  state.counters["op"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * opsPerIteration,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Join then leave a shared room, for random sockets that each sit in their
// own room and two shared rooms: the socket.join()/leave() path.
void BM_JoinLeaveChurn(benchmark::State& state) {
  constexpr std::uint32_t kSockets = 10000;
  constexpr std::uint32_t kShared = 100;
  RoomRegistry registry;
  ownRooms(registry, kSockets);
  std::mt19937 rng(1);
  for (std::uint32_t s = 0; s < kSockets; ++s) {
    join(registry, s, kSockets + rng() % kShared);
    join(registry, s, kSockets + rng() % kShared);
  }
  Ids picks(1 << 16);
  for (auto& p : picks) p = rng();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint32_t x = picks[i++ & (picks.size() - 1)];
    const std::uint32_t s = x % kSockets;
    const std::uint32_t r = kSockets + (x >> 16) % kShared;
    std::uint32_t flags = 0;
    benchmark::DoNotOptimize(registry.add(s, r, &flags));
    benchmark::DoNotOptimize(registry.del(s, r));
  }
  perOp(state, 2);
}
BENCHMARK(BM_JoinLeaveChurn);

// A random member of a room of `members` leaves and joins again (moving to
// the end), drawn from a fixed sequence seeded with `seed`.
void leaveRejoin(benchmark::State& state, std::uint32_t members, std::uint32_t seed) {
  const std::uint32_t room = members;
  RoomRegistry registry;
  ownRooms(registry, members);
  for (std::uint32_t s = 0; s < members; ++s) join(registry, s, room);
  std::mt19937 rng(seed);
  Ids picks(1 << 16);
  for (auto& p : picks) p = rng() % members;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint32_t s = picks[i++ & (picks.size() - 1)];
    std::uint32_t flags = 0;
    benchmark::DoNotOptimize(registry.del(s, room));
    benchmark::DoNotOptimize(registry.add(s, room, &flags));
  }
  perOp(state, 2);
}

// A member of a 10k room leaves and rejoins, so tombstones build up and the
// room compacts periodically.
void BM_JoinLeaveChurnLargeRoom(benchmark::State& state) { leaveRejoin(state, 10000, 2); }
BENCHMARK(BM_JoinLeaveChurnLargeRoom);

// A member of a room of state.range(0) members leaves and rejoins (moving to
// the end). Rooms below the member index threshold (1024 slots of capacity)
// find the member with a scan and close the gap with a memmove; larger ones
// use their index, so the cost per operation stops growing with the size.
void BM_LeaveRejoinBySize(benchmark::State& state) {
  leaveRejoin(state, static_cast<std::uint32_t>(state.range(0)), 6);
}
BENCHMARK(BM_LeaveRejoinBySize)->ArgName("members")->Arg(50)->Arg(500)->Arg(800)->Arg(2000);

// Every socket of a server disconnects, in random order: each is in its own
// room and in one room that holds all of them. The cost per disconnect must
// not grow with the size of the shared room.
void BM_DisconnectStorm(benchmark::State& state) {
  const auto kSockets = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t kLobby = kSockets;
  Ids order(kSockets);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937 rng(7);
  std::shuffle(order.begin(), order.end(), rng);
  Ids out(4);
  for (auto _ : state) {
    state.PauseTiming();
    {
      RoomRegistry registry;
      ownRooms(registry, kSockets);
      for (std::uint32_t s = 0; s < kSockets; ++s) join(registry, s, kLobby);
      state.ResumeTiming();
      for (const std::uint32_t s : order) benchmark::DoNotOptimize(registry.delAll(s, out));
      state.PauseTiming();
    }
    state.ResumeTiming();
  }
  perOp(state, kSockets);
}
BENCHMARK(BM_DisconnectStorm)->ArgName("sockets")->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// A connection's whole life in the registry: created, own room, two shared
// rooms, then delAll on disconnect. Four membership operations plus delAll.
void BM_ConnectDisconnect(benchmark::State& state) {
  constexpr std::uint32_t kSockets = 10000;
  constexpr std::uint32_t kShared = 100;
  RoomRegistry registry;
  ownRooms(registry, kSockets);
  std::mt19937 rng(3);
  for (std::uint32_t s = 0; s < kSockets; ++s) join(registry, s, kSockets + rng() % kShared);
  Ids out(8);
  std::uint32_t next = 0;
  for (auto _ : state) {
    // Reconnect socket `next` under the same id (JS reuses freed ids).
    const std::uint32_t s = next;
    next = next + 1 == kSockets ? 0 : next + 1;
    benchmark::DoNotOptimize(registry.delAll(s, out));
    bool created = false;
    benchmark::DoNotOptimize(registry.addSocket(s, &created));
    join(registry, s, s);
    join(registry, s, kSockets + s % kShared);
    join(registry, s, kSockets + (s * 7) % kShared);
  }
  perOp(state, 5);
}
BENCHMARK(BM_ConnectDisconnect);

// io.to(room).emit(): recipients of one room of 10k members.
void BM_RecipientsOneRoom10k(benchmark::State& state) {
  constexpr std::uint32_t kMembers = 10000;
  RoomRegistry registry;
  ownRooms(registry, kMembers);
  for (std::uint32_t s = 0; s < kMembers; ++s) join(registry, s, kMembers);
  const Ids rooms{kMembers};
  // socket.to(room).emit() excepts the sender's own room, which takes the
  // stamped path instead of the plain copy.
  const Ids except = state.range(0) ? Ids{42} : Ids{};
  Ids out(kMembers);
  for (auto _ : state) {
    benchmark::DoNotOptimize(registry.recipients(rooms, except, out));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kMembers);
}
BENCHMARK(BM_RecipientsOneRoom10k)->ArgName("exceptSender")->Arg(0)->Arg(1);

// io.to([10 rooms]).except(room).emit(): 10 overlapping rooms of 10k members
// drawn from 50k sockets, minus one 10k room.
void BM_RecipientsUnion10x10kExcept10k(benchmark::State& state) {
  constexpr std::uint32_t kSockets = 50000;
  constexpr std::uint32_t kMembers = 10000;
  RoomRegistry registry;
  ownRooms(registry, kSockets);
  std::mt19937 rng(4);
  Ids pool(kSockets);
  std::iota(pool.begin(), pool.end(), 0u);
  for (std::uint32_t r = 0; r < 11; ++r) {
    std::shuffle(pool.begin(), pool.end(), rng);
    for (std::uint32_t i = 0; i < kMembers; ++i) join(registry, pool[i], kSockets + r);
  }
  Ids rooms(10);
  std::iota(rooms.begin(), rooms.end(), kSockets);
  const Ids except{kSockets + 10};
  Ids out(kSockets);
  std::size_t n = 0;
  for (auto _ : state) {
    n = registry.recipients(rooms, except, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.counters["recipients"] = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations() * 11 * kMembers);
}
BENCHMARK(BM_RecipientsUnion10x10kExcept10k);

// Memory at 100k sockets, each in its own room and in 5 of 1,000 shared
// rooms: bytes from memoryUsage() per membership and per socket.
void BM_MemoryPerMembership(benchmark::State& state) {
  constexpr std::uint32_t kSockets = 100000;
  constexpr std::uint32_t kShared = 1000;
  constexpr std::uint32_t kPerSocket = 5;
  std::size_t bytes = 0;
  double mallocBytes = 0;
  for (auto _ : state) {
#if defined(__GLIBC__)
    // Large blocks (the id tables) are mmapped and counted in hblkhd.
    const auto heapBefore = mallinfo2().uordblks + mallinfo2().hblkhd;
#endif
    RoomRegistry registry;
    std::mt19937 rng(5);
    ownRooms(registry, kSockets);
    for (std::uint32_t s = 0; s < kSockets; ++s) {
      for (std::uint32_t k = 0; k < kPerSocket; ++k) {
        std::uint32_t r = 0;
        do {
          r = kSockets + rng() % kShared;
        } while (registry.has(r, s));
        join(registry, s, r);
      }
    }
    bytes = registry.memoryUsage();
    benchmark::DoNotOptimize(bytes);
#if defined(__GLIBC__)
    // What malloc really handed out, its per-block overhead included.
    mallocBytes = static_cast<double>(mallinfo2().uordblks + mallinfo2().hblkhd - heapBefore);
#endif
  }
  const double memberships = double{kSockets} * (kPerSocket + 1);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["B/membership"] = static_cast<double>(bytes) / memberships;
  state.counters["B/socket"] = static_cast<double>(bytes) / kSockets;
  if (mallocBytes > 0) state.counters["malloc B/socket"] = mallocBytes / kSockets;
}
BENCHMARK(BM_MemoryPerMembership)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
