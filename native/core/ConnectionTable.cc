#include "ConnectionTable.h"

#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sio {
namespace {

constexpr std::uint32_t kSlotMask = (1u << ConnectionTable::kSlotBits) - 1;
constexpr std::uint32_t kGenerationMask = (1u << (32 - ConnectionTable::kSlotBits)) - 1;

std::uint32_t makeId(std::uint32_t slot, std::uint32_t generation) {
  return slot | ((generation & kGenerationMask) << ConnectionTable::kSlotBits);
}

}  // namespace

ConnectionTable::~ConnectionTable() {
  for (Connection& connection : slots_) {
    if (connection.fd >= 0) ::close(connection.fd);
  }
}

Status ConnectionTable::add(int fd, std::uint32_t& id) noexcept {
  if (fd < 0) return Status::BadDescriptor;
  // Only sockets: the flush uses sendmsg, and a descriptor of another kind
  // means the caller read the wrong handle.
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) return Status::BadDescriptor;

  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.front();
    free_.pop_front();
  } else {
    if (slots_.size() >= kMaxConnections) return Status::CapacityExceeded;
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }

  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    const int error = errno;
    free_.push_front(slot);
    return error == EMFILE || error == ENFILE ? Status::DescriptorLimit : Status::BadDescriptor;
  }
  if (!reserve_.admits(copy)) {
    ::close(copy);
    free_.push_front(slot);
    return Status::DescriptorReserve;
  }

  Connection& connection = slots_[slot];
  connection.fd = copy;
  connection.id = makeId(slot, connection.generation);
  connection.busy = false;
  connection.dirty = false;
  connection.turn = 0;
  connection.turnKeep = 0;
  connection.queue.clear();
  ++live_;
  id = connection.id;
  return Status::Ok;
}

Status ConnectionTable::remove(std::uint32_t id) noexcept {
  Connection* connection = find(id);
  if (connection == nullptr) return Status::UnknownConnection;
  ::close(connection->fd);
  connection->fd = -1;
  connection->queue.clear();
  connection->queue.shrink_to_fit();
  connection->busy = false;
  // A connection still on the fan-out's dirty list is skipped there: the
  // list holds ids, and this id stops resolving right here.
  connection->dirty = false;
  connection->generation = (connection->generation + 1) & kGenerationMask;
  free_.push_back(id & kSlotMask);
  --live_;
  return Status::Ok;
}

Connection* ConnectionTable::find(std::uint32_t id) noexcept {
  const std::uint32_t slot = id & kSlotMask;
  if (slot >= slots_.size()) return nullptr;
  Connection& connection = slots_[slot];
  if (connection.fd < 0 || connection.id != id) return nullptr;
  return &connection;
}

}  // namespace sio
