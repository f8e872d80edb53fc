#pragma once

#include <string>
#include <string_view>

namespace sio::wsbench {

// Reads newline-terminated commands from a non-blocking file descriptor
// (stdin, a pipe from the benchmark driver). The programs poll it from their
// epoll loop, so commands never block the network work.
class CommandReader {
 public:
  explicit CommandReader(int fd);

  int fd() const { return fd_; }
  bool closed() const { return closed_; }

  // Reads what is available. Returns false once the writer has closed the
  // pipe, which the programs treat as "stop": a dead driver must not leave
  // them running.
  bool fill();

  // Takes the next complete line (without the newline) into `line`.
  bool nextLine(std::string& line);

 private:
  int fd_;
  bool closed_ = false;
  std::string pending_;
};

}  // namespace sio::wsbench
