#include "FileLimit.h"

#include <sys/resource.h>

namespace sio::wsbench {

std::uint64_t raiseFileLimit(std::uint64_t wanted) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur >= wanted) return lim.rlim_cur;
  if (lim.rlim_max < wanted) {
    rlimit raised{wanted, wanted};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
  }
  rlimit soft{lim.rlim_max, lim.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &soft) == 0) return lim.rlim_max;
  return lim.rlim_cur;
}

}  // namespace sio::wsbench
