#include "CpuSample.h"

#include <sys/resource.h>
#include <time.h>

namespace sio::wsbench {

std::int64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

CpuSample CpuSample::now() {
  CpuSample s;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  s.userUs = static_cast<std::int64_t>(ru.ru_utime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec;
  s.sysUs = static_cast<std::int64_t>(ru.ru_stime.tv_sec) * 1000000LL + ru.ru_stime.tv_usec;
  s.voluntarySwitches = ru.ru_nvcsw;
  s.involuntarySwitches = ru.ru_nivcsw;
  s.monoNs = monotonicNs();
  return s;
}

}  // namespace sio::wsbench
