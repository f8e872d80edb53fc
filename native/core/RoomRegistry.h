#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "IdList.h"
#include "MemoryTracker.h"
#include "Status.h"

namespace sio {

// Room membership of one namespace, on integer ids.
//
// The JS adapter interns socket ids and room names to dense non-negative
// integers (allocating and reusing them itself); the registry indexes flat
// tables by those ids. It mirrors socket.io-adapter's in-memory Adapter:
// `rooms` (room -> members in insertion order) is the MemberList of each
// room, `sids` (socket -> rooms in join order, plus its creation order) is
// the JoinList of each socket and the order_ list. A membership is one id in
// each of the two lists and nothing more: each list finds its own ids (see
// IdList), so neither side records positions in the other. A room exists
// while it has members; a socket exists from addSocket() or its first add()
// until delAll()/removeSocket(), even with no rooms, as in `sids`.
class RoomRegistry {
 public:
  // Ids are below 2^31: delAll() reports rooms with bit 31 as a flag.
  static constexpr std::uint32_t kMaxId = 0x7FFFFFFFu;
  // How far past the current table an id may reach. The ids are dense, so
  // this never limits real use, but it keeps one wrong id from allocating
  // gigabytes.
  static constexpr std::uint32_t kMaxIdGap = 1u << 20;

  // add() flags.
  static constexpr std::uint32_t kRoomCreated = 1;
  static constexpr std::uint32_t kJoined = 2;
  // del() flags.
  static constexpr std::uint32_t kLeft = 1;
  static constexpr std::uint32_t kRoomEmptied = 2;
  // Set on a room id written by delAll() when the room became empty.
  static constexpr std::uint32_t kEmptiedBit = 0x80000000u;

  RoomRegistry() = default;
  RoomRegistry(const RoomRegistry&) = delete;
  RoomRegistry& operator=(const RoomRegistry&) = delete;

  // Makes the socket exist with no rooms; *created tells whether it is new.
  Status addSocket(std::uint32_t socket, bool* created);
  // Joins the socket to the room, creating either as needed; *flags gets
  // kRoomCreated and/or kJoined.
  Status add(std::uint32_t socket, std::uint32_t room, std::uint32_t* flags);
  // Leaves the room; returns kLeft and/or kRoomEmptied. The socket keeps
  // existing with no rooms.
  std::uint32_t del(std::uint32_t socket, std::uint32_t room);
  // Removes the socket. Returns the number of rooms it was in; when that fits
  // in `out` they are written there in join order, with kEmptiedBit set on
  // each room that became empty, and the socket is removed; otherwise nothing
  // changes.
  std::size_t delAll(std::uint32_t socket, std::span<std::uint32_t> out);
  // Removes the socket without reporting its rooms; returns whether it existed.
  bool removeSocket(std::uint32_t socket);

  bool hasSocket(std::uint32_t socket) const;
  bool has(std::uint32_t room, std::uint32_t socket) const;
  std::uint32_t roomSize(std::uint32_t room) const;
  std::uint32_t socketRoomCount(std::uint32_t socket) const;

  // These return the number of ids and write them to `out` when they fit;
  // when they do not, the contents of `out` are unspecified.
  std::size_t members(std::uint32_t room, std::span<std::uint32_t> out) const;
  std::size_t socketRooms(std::uint32_t socket, std::span<std::uint32_t> out) const;
  std::size_t sockets(std::span<std::uint32_t> out) const;

  // The broadcast set: members of `rooms` in that order, each socket once,
  // without the members of `except`. With no rooms, every socket in creation
  // order, without the members of `except`. Unknown or empty room ids are
  // skipped. Same return convention as members().
  std::size_t recipients(std::span<const std::uint32_t> rooms,
                         std::span<const std::uint32_t> except, std::span<std::uint32_t> out);

  std::size_t socketCount() const { return socketCount_; }
  std::size_t roomCount() const { return roomCount_; }
  // Bytes the registry holds: its tables by capacity and every heap block.
  std::size_t memoryUsage() const;

  // Verifies every cross-reference and counter; for tests.
  bool checkInvariants() const;

 private:
  // 20 bytes: IdList is 4-byte aligned, so orderPos adds no padding.
  struct SocketSlot {
    JoinList rooms;
    // Position in order_, kNone when the socket does not exist.
    std::uint32_t orderPos = JoinList::kNone;
  };

  Status reserveSocket(std::uint32_t socket);
  Status reserveRoom(std::uint32_t room);
  void createSocket(std::uint32_t socket);
  // Leaves every room and drops the socket; writes the rooms to `out` when
  // it is not null (the caller checked the size).
  void dropSocket(std::uint32_t socket, std::uint32_t* out);
  // Takes the socket out of the room's member list (the caller has taken
  // the room out of the socket's); returns whether the room became empty.
  bool leaveRoom(std::uint32_t room, std::uint32_t socket);
  void compactOrder();
  std::uint32_t nextGeneration();

  std::vector<SocketSlot> sockets_;
  std::vector<MemberList> rooms_;
  // Visited marks for recipients(): a socket is taken (or excluded) in the
  // current call when its stamp equals generation_, so no call clears them.
  std::vector<std::uint32_t> stamps_;
  std::uint32_t generation_ = 0;
  // Existing sockets in creation order, with tombstones (kNone) compacted
  // away once they outnumber sockets.
  std::vector<std::uint32_t> order_;
  std::size_t socketCount_ = 0;
  std::size_t roomCount_ = 0;
  MemoryTracker mem_;
};

}  // namespace sio
