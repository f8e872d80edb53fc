#pragma once

#include <cstdint>

namespace sio::wsbench {

// A point in time for the measured phase: the process's own CPU time
// (getrusage RUSAGE_SELF, all threads) and CLOCK_MONOTONIC, which is the clock
// Node's process.hrtime uses, so the driver can compare timestamps directly.
struct CpuSample {
  std::int64_t userUs = 0;
  std::int64_t sysUs = 0;
  std::int64_t monoNs = 0;
  std::int64_t voluntarySwitches = 0;
  std::int64_t involuntarySwitches = 0;

  static CpuSample now();
};

std::int64_t monotonicNs();

}  // namespace sio::wsbench
