#include "CommandReader.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace sio::wsbench {

CommandReader::CommandReader(int fd) : fd_(fd) {
  const int flags = fcntl(fd_, F_GETFL);
  if (flags >= 0) fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

bool CommandReader::fill() {
  char buf[4096];
  // Bounded: a command pipe delivers a few short lines; stop after a few
  // buffers so a flooding writer cannot monopolize the loop.
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n > 0) {
      pending_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) closed_ = true;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) closed_ = true;
    break;
  }
  return !closed_;
}

bool CommandReader::nextLine(std::string& line) {
  const std::size_t eol = pending_.find('\n');
  if (eol == std::string::npos) return false;
  line.assign(pending_, 0, eol);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  pending_.erase(0, eol + 1);
  return true;
}

}  // namespace sio::wsbench
