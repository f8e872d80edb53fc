#include "RoomRegistry.h"

#include <algorithm>

namespace sio {
namespace {

constexpr std::uint32_t kNone = MemberList::kNone;

// Appends the members of one list that are neither stamped nor tombstones,
// stamping them when kMark (not needed for the last list of a call).
// kChecked is false when the caller proved that every member fits in `out`,
// which takes the bounds test out of the loop. (A branch-free variant, storing
// unconditionally and advancing by the stamp test, measured no faster on
// overlapping rooms and slower on a single room, so the plain loop stays.)
template <bool kChecked, bool kMark>
std::size_t collect(const std::uint32_t* members, std::uint32_t size, std::uint32_t* stamps,
                    std::uint32_t generation, std::uint32_t* out, std::size_t capacity,
                    std::size_t n) {
  for (std::uint32_t i = 0; i < size; ++i) {
    const std::uint32_t socket = members[i];
    if (socket == kNone) continue;
    if (stamps[socket] == generation) continue;
    if constexpr (kMark) stamps[socket] = generation;
    if (!kChecked || n < capacity) out[n] = socket;
    ++n;
  }
  return n;
}

template <bool kMark>
std::size_t collect(const std::uint32_t* members, std::uint32_t size, std::uint32_t* stamps,
                    std::uint32_t generation, std::span<std::uint32_t> out, bool fits,
                    std::size_t n) {
  return fits ? collect<false, kMark>(members, size, stamps, generation, out.data(), out.size(), n)
              : collect<true, kMark>(members, size, stamps, generation, out.data(), out.size(), n);
}

// Resizes a table indexed by id. Ids arrive roughly one at a time, so the
// capacity grows geometrically for amortized O(1), but by a quarter rather
// than std::vector's doubling: the tables are a large part of the memory of a
// server with many sockets, and doubling would leave up to half of them
// unused, for a saving of a few element moves per id.
template <typename T>
void grow(std::vector<T>& table, std::size_t size) {
  if (size > table.capacity()) {
    table.reserve(std::max(size, table.capacity() + table.capacity() / 4 + 16));
  }
  table.resize(size);
}

// Copies the live ids of a list with tombstones.
void copyLive(const std::uint32_t* ids, std::uint32_t size, std::uint32_t* out) {
  for (std::uint32_t i = 0; i < size; ++i) {
    if (ids[i] != kNone) *out++ = ids[i];
  }
}

}  // namespace

Status RoomRegistry::reserveSocket(std::uint32_t socket) {
  if (socket < sockets_.size()) return Status::Ok;
  if (socket > kMaxId || socket - sockets_.size() > kMaxIdGap) return Status::IdOutOfRange;
  grow(sockets_, std::size_t{socket} + 1);
  grow(stamps_, std::size_t{socket} + 1);
  return Status::Ok;
}

Status RoomRegistry::reserveRoom(std::uint32_t room) {
  if (room < rooms_.size()) return Status::Ok;
  if (room > kMaxId || room - rooms_.size() > kMaxIdGap) return Status::IdOutOfRange;
  grow(rooms_, std::size_t{room} + 1);
  return Status::Ok;
}

void RoomRegistry::createSocket(std::uint32_t socket) {
  sockets_[socket].orderPos = static_cast<std::uint32_t>(order_.size());
  grow(order_, order_.size() + 1);
  order_.back() = socket;
  ++socketCount_;
}

Status RoomRegistry::addSocket(std::uint32_t socket, bool* created) {
  *created = false;
  const Status status = reserveSocket(socket);
  if (status != Status::Ok) return status;
  if (sockets_[socket].orderPos != kNone) return Status::Ok;
  createSocket(socket);
  *created = true;
  return Status::Ok;
}

Status RoomRegistry::add(std::uint32_t socket, std::uint32_t room, std::uint32_t* flags) {
  *flags = 0;
  // Both ids are checked before either table grows, so a refused call
  // changes nothing.
  if (room >= rooms_.size() && (room > kMaxId || room - rooms_.size() > kMaxIdGap)) {
    return Status::IdOutOfRange;
  }
  Status status = reserveSocket(socket);
  if (status != Status::Ok) return status;
  status = reserveRoom(room);
  if (status != Status::Ok) return status;

  SocketSlot& slot = sockets_[socket];
  if (slot.orderPos == kNone) {
    createSocket(socket);
  } else if (slot.rooms.contains(room)) {
    return Status::Ok;
  }
  MemberList& members = rooms_[room];
  std::uint32_t result = kJoined;
  if (members.empty()) {
    ++roomCount_;
    result |= kRoomCreated;
  }
  members.push(socket, mem_);
  slot.rooms.push(room, mem_);
  *flags = result;
  return Status::Ok;
}

bool RoomRegistry::leaveRoom(std::uint32_t room, std::uint32_t socket) {
  MemberList& members = rooms_[room];
  members.remove(socket, mem_);
  if (!members.empty()) return false;
  --roomCount_;
  return true;
}

std::uint32_t RoomRegistry::del(std::uint32_t socket, std::uint32_t room) {
  if (!hasSocket(socket) || room >= rooms_.size()) return 0;
  if (!sockets_[socket].rooms.remove(room, mem_)) return 0;
  return kLeft | (leaveRoom(room, socket) ? kRoomEmptied : 0);
}

void RoomRegistry::dropSocket(std::uint32_t socket, std::uint32_t* out) {
  SocketSlot& slot = sockets_[socket];
  JoinList& joined = slot.rooms;
  std::size_t n = 0;
  const std::uint32_t* rooms = joined.data();
  for (std::uint32_t i = 0; i < joined.size(); ++i) {
    const std::uint32_t room = rooms[i];
    if (room == kNone) continue;
    const bool emptied = leaveRoom(room, socket);
    if (out != nullptr) out[n++] = emptied ? (room | kEmptiedBit) : room;
  }
  joined.clear(mem_);

  const std::uint32_t pos = slot.orderPos;
  slot.orderPos = kNone;
  order_[pos] = kNone;
  --socketCount_;
  if (pos + 1 == order_.size()) {
    while (!order_.empty() && order_.back() == kNone) order_.pop_back();
  }
  if (order_.size() - socketCount_ > socketCount_) compactOrder();
}

void RoomRegistry::compactOrder() {
  std::size_t kept = 0;
  for (const std::uint32_t socket : order_) {
    if (socket == kNone) continue;
    order_[kept] = socket;
    sockets_[socket].orderPos = static_cast<std::uint32_t>(kept);
    ++kept;
  }
  order_.resize(kept);
}

std::size_t RoomRegistry::delAll(std::uint32_t socket, std::span<std::uint32_t> out) {
  if (!hasSocket(socket)) return 0;
  const std::size_t needed = sockets_[socket].rooms.live();
  if (needed > out.size()) return needed;
  dropSocket(socket, out.data());
  return needed;
}

bool RoomRegistry::removeSocket(std::uint32_t socket) {
  if (!hasSocket(socket)) return false;
  dropSocket(socket, nullptr);
  return true;
}

bool RoomRegistry::hasSocket(std::uint32_t socket) const {
  return socket < sockets_.size() && sockets_[socket].orderPos != kNone;
}

bool RoomRegistry::has(std::uint32_t room, std::uint32_t socket) const {
  // A room beyond the table has no members. Checking it also keeps room ids
  // of 0xFFFFFFFF, the tombstone marker of indexed lists, away from the
  // lists (which never match it, but need not be relied on for that).
  return room < rooms_.size() && hasSocket(socket) && sockets_[socket].rooms.contains(room);
}

std::uint32_t RoomRegistry::roomSize(std::uint32_t room) const {
  return room < rooms_.size() ? rooms_[room].live() : 0;
}

std::uint32_t RoomRegistry::socketRoomCount(std::uint32_t socket) const {
  return hasSocket(socket) ? sockets_[socket].rooms.live() : 0;
}

std::size_t RoomRegistry::members(std::uint32_t room, std::span<std::uint32_t> out) const {
  if (room >= rooms_.size()) return 0;
  const MemberList& members = rooms_[room];
  const std::size_t n = members.live();
  if (n > out.size()) return n;
  if (members.size() == n) {
    std::copy_n(members.data(), n, out.data());
  } else {
    copyLive(members.data(), members.size(), out.data());
  }
  return n;
}

std::size_t RoomRegistry::socketRooms(std::uint32_t socket, std::span<std::uint32_t> out) const {
  if (!hasSocket(socket)) return 0;
  const JoinList& joined = sockets_[socket].rooms;
  const std::size_t n = joined.live();
  if (n > out.size()) return n;
  if (joined.size() == n) {
    std::copy_n(joined.data(), n, out.data());
  } else {
    copyLive(joined.data(), joined.size(), out.data());
  }
  return n;
}

std::size_t RoomRegistry::sockets(std::span<std::uint32_t> out) const {
  const std::size_t n = socketCount_;
  if (n > out.size()) return n;
  if (order_.size() == n) {
    std::copy_n(order_.data(), n, out.data());
  } else {
    copyLive(order_.data(), static_cast<std::uint32_t>(order_.size()), out.data());
  }
  return n;
}

std::uint32_t RoomRegistry::nextGeneration() {
  if (++generation_ == 0) {
    // After 2^32 calls old stamps could collide with the new generation.
    std::fill(stamps_.begin(), stamps_.end(), 0);
    generation_ = 1;
  }
  return generation_;
}

std::size_t RoomRegistry::recipients(std::span<const std::uint32_t> rooms,
                                     std::span<const std::uint32_t> except,
                                     std::span<std::uint32_t> out) {
  // Without exclusions, one room and "everyone" are already duplicate-free.
  if (except.empty()) {
    if (rooms.empty()) return sockets(out);
    if (rooms.size() == 1) return members(rooms[0], out);
  }

  const std::uint32_t generation = nextGeneration();
  std::uint32_t* stamps = stamps_.data();
  for (const std::uint32_t room : except) {
    if (room >= rooms_.size()) continue;
    const MemberList& members = rooms_[room];
    const std::uint32_t* ids = members.data();
    for (std::uint32_t i = 0; i < members.size(); ++i) {
      if (ids[i] != kNone) stamps[ids[i]] = generation;
    }
  }

  if (rooms.empty()) {
    return collect<false>(order_.data(), static_cast<std::uint32_t>(order_.size()), stamps,
                          generation, out, socketCount_ <= out.size(), 0);
  }

  std::size_t bound = 0;
  for (const std::uint32_t room : rooms) {
    if (room < rooms_.size()) bound += rooms_[room].live();
  }
  const bool fits = bound <= out.size();
  std::size_t n = 0;
  const std::size_t last = rooms.size() - 1;
  for (std::size_t k = 0; k < last; ++k) {
    if (rooms[k] >= rooms_.size()) continue;
    const MemberList& members = rooms_[rooms[k]];
    n = collect<true>(members.data(), members.size(), stamps, generation, out, fits, n);
  }
  // Nothing after the last room looks at its stamps.
  if (rooms[last] < rooms_.size()) {
    const MemberList& members = rooms_[rooms[last]];
    n = collect<false>(members.data(), members.size(), stamps, generation, out, fits, n);
  }
  return n;
}

std::size_t RoomRegistry::memoryUsage() const {
  return sizeof(*this) + sockets_.capacity() * sizeof(SocketSlot) +
         rooms_.capacity() * sizeof(MemberList) + stamps_.capacity() * sizeof(std::uint32_t) +
         order_.capacity() * sizeof(std::uint32_t) + mem_.bytes();
}

bool RoomRegistry::checkInvariants() const {
  std::size_t heap = 0;
  std::size_t existing = 0;
  // Every membership is in both lists, and each list holds an id at most
  // once, so the two totals match exactly when nothing is missing anywhere.
  std::size_t joins = 0;
  for (std::size_t s = 0; s < sockets_.size(); ++s) {
    const SocketSlot& slot = sockets_[s];
    const JoinList& joined = slot.rooms;
    heap += joined.heapBytes();
    if (!joined.checkInvariants()) return false;
    if (slot.orderPos == kNone) {
      if (joined.size() != 0) return false;
      continue;
    }
    ++existing;
    if (slot.orderPos >= order_.size() || order_[slot.orderPos] != s) return false;
    const std::uint32_t* rooms = joined.data();
    for (std::uint32_t i = 0; i < joined.size(); ++i) {
      const std::uint32_t room = rooms[i];
      if (room == kNone) continue;
      if (room >= rooms_.size() || !rooms_[room].contains(static_cast<std::uint32_t>(s))) {
        return false;
      }
    }
    joins += joined.live();
  }
  if (existing != socketCount_) return false;
  std::size_t orderLive = 0;
  for (const std::uint32_t socket : order_) orderLive += socket != kNone;
  if (orderLive != socketCount_) return false;
  if (!order_.empty() && order_.back() == kNone) return false;

  std::size_t nonEmpty = 0;
  std::size_t memberships = 0;
  for (std::size_t r = 0; r < rooms_.size(); ++r) {
    const MemberList& members = rooms_[r];
    heap += members.heapBytes();
    if (!members.checkInvariants()) return false;
    const std::uint32_t* ids = members.data();
    for (std::uint32_t i = 0; i < members.size(); ++i) {
      const std::uint32_t socket = ids[i];
      if (socket == kNone) continue;
      if (!hasSocket(socket) || !sockets_[socket].rooms.contains(static_cast<std::uint32_t>(r))) {
        return false;
      }
    }
    memberships += members.live();
    nonEmpty += !members.empty();
  }
  if (nonEmpty != roomCount_ || memberships != joins) return false;
  return heap == mem_.bytes();
}

}  // namespace sio
