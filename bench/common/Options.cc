#include "Options.h"

#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>

namespace sio::wsbench {

std::string Options::text(const char* name, const std::string& fallback) const {
  for (int i = 1; i + 1 < argc_; i += 2) {
    if (std::strncmp(argv_[i], "--", 2) == 0 && std::strcmp(argv_[i] + 2, name) == 0) return argv_[i + 1];
  }
  return fallback;
}

std::int64_t Options::number(const char* name, std::int64_t fallback) const {
  const std::string value = text(name, "");
  if (value.empty()) return fallback;
  return std::strtoll(value.c_str(), nullptr, 10);
}

bool Options::onlyKnown(const char* const* known, std::string& unknown) const {
  for (int i = 1; i < argc_; i += 2) {
    bool found = false;
    if (std::strncmp(argv_[i], "--", 2) == 0 && i + 1 < argc_) {
      for (const char* const* k = known; *k != nullptr; ++k) {
        if (std::strcmp(argv_[i] + 2, *k) == 0) found = true;
      }
    }
    if (!found) {
      unknown = argv_[i];
      return false;
    }
  }
  return true;
}

bool isLoopback(const std::string& host) {
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

}  // namespace sio::wsbench
