#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <unordered_set>
#include <vector>

namespace sio::test {

// The obvious implementation of socket.io-adapter's in-memory room
// bookkeeping, written for clarity rather than speed: the property tests
// check RoomRegistry against it operation by operation.
class RegistryModel {
 public:
  static constexpr std::uint32_t kEmptiedBit = 0x80000000u;

  bool hasSocket(std::uint32_t s) const { return sockets_.count(s) != 0; }

  bool addSocket(std::uint32_t s) {
    if (hasSocket(s)) return false;
    sockets_[s];
    order_.push_back(s);
    return true;
  }

  std::uint32_t add(std::uint32_t s, std::uint32_t r) {
    addSocket(s);
    std::vector<std::uint32_t>& joined = sockets_[s];
    if (contains(joined, r)) return 0;
    std::uint32_t flags = 2;
    std::vector<std::uint32_t>& members = rooms_[r];
    if (members.empty()) flags |= 1;
    members.push_back(s);
    joined.push_back(r);
    return flags;
  }

  std::uint32_t del(std::uint32_t s, std::uint32_t r) {
    auto it = sockets_.find(s);
    if (it == sockets_.end() || !contains(it->second, r)) return 0;
    erase(it->second, r);
    return 1 | (leave(s, r) ? 2 : 0);
  }

  std::vector<std::uint32_t> delAll(std::uint32_t s) {
    std::vector<std::uint32_t> out;
    auto it = sockets_.find(s);
    if (it == sockets_.end()) return out;
    for (const std::uint32_t r : it->second) out.push_back(leave(s, r) ? (r | kEmptiedBit) : r);
    sockets_.erase(it);
    erase(order_, s);
    return out;
  }

  bool has(std::uint32_t r, std::uint32_t s) const {
    auto it = sockets_.find(s);
    return it != sockets_.end() && contains(it->second, r);
  }

  std::vector<std::uint32_t> members(std::uint32_t r) const {
    auto it = rooms_.find(r);
    return it == rooms_.end() ? std::vector<std::uint32_t>{} : it->second;
  }

  std::vector<std::uint32_t> socketRooms(std::uint32_t s) const {
    auto it = sockets_.find(s);
    return it == sockets_.end() ? std::vector<std::uint32_t>{} : it->second;
  }

  const std::vector<std::uint32_t>& sockets() const { return order_; }
  std::size_t roomCount() const { return rooms_.size(); }

  // Mirrors Adapter.apply(): rooms in order, members in order, each socket
  // once, minus the members of the except rooms; no rooms means every socket.
  std::vector<std::uint32_t> recipients(const std::vector<std::uint32_t>& rooms,
                                        const std::vector<std::uint32_t>& except) const {
    std::unordered_set<std::uint32_t> seen;
    for (const std::uint32_t r : except) {
      for (const std::uint32_t s : members(r)) seen.insert(s);
    }
    std::vector<std::uint32_t> out;
    auto take = [&](std::uint32_t s) {
      if (seen.insert(s).second) out.push_back(s);
    };
    if (rooms.empty()) {
      for (const std::uint32_t s : order_) take(s);
    } else {
      for (const std::uint32_t r : rooms) {
        for (const std::uint32_t s : members(r)) take(s);
      }
    }
    return out;
  }

 private:
  static bool contains(const std::vector<std::uint32_t>& v, std::uint32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }
  static void erase(std::vector<std::uint32_t>& v, std::uint32_t x) {
    v.erase(std::find(v.begin(), v.end(), x));
  }
  // Removes s from room r; returns whether the room is gone.
  bool leave(std::uint32_t s, std::uint32_t r) {
    std::vector<std::uint32_t>& members = rooms_[r];
    erase(members, s);
    if (!members.empty()) return false;
    rooms_.erase(r);
    return true;
  }

  std::map<std::uint32_t, std::vector<std::uint32_t>> rooms_;
  std::map<std::uint32_t, std::vector<std::uint32_t>> sockets_;
  std::vector<std::uint32_t> order_;
};

}  // namespace sio::test
