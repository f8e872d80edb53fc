#pragma once

#include <cstdint>

namespace sio {

// Keeps descriptors free for the application.
//
// Every registered connection holds a second descriptor (the dup), so a
// server near its RLIMIT_NOFILE would otherwise be pushed over it by the
// fan-out: with no descriptor left, Node cannot accept a connection, open a
// file or even read its own memory usage (libuv opens /proc/self/stat).
// stock socket.io needs one descriptor per client; the fan-out must never
// take the last ones.
//
// The check is O(1) and costs no system call of its own: POSIX dup returns
// the LOWEST free descriptor number, so when the duplicate's number is n,
// every descriptor below n is open. A duplicate numbered at or above
// softLimit - reserve therefore proves that at most `reserve` descriptors
// were free before it: it is closed and the registration refused. (A low
// number does not prove the converse when higher numbers are open in a
// sparse table, so the reserve is a floor the fan-out keeps in the common,
// dense case, not an exact count of free descriptors.)
//
// The soft limit is read with getrlimit when the reserve is configured,
// again on every refusal (the application may have raised it with
// setrlimit) and every kRecheckEvery admissions (it may have lowered it).
class DescriptorReserve {
 public:
  // The default: 10% of the soft limit, and at least kDefaultMinimum.
  static constexpr std::uint32_t kDefaultPerTenThousand = 1000;
  static constexpr std::uint64_t kDefaultMinimum = 64;
  static constexpr std::uint32_t kRecheckEvery = 256;

  DescriptorReserve() noexcept { useDefault(); }

  // The default share of the soft limit (see above).
  void useDefault() noexcept;
  // A fixed number of descriptors (0: no reserve).
  void useCount(std::uint64_t count) noexcept;
  // A share of the soft limit in hundredths of a percent (1000 = 10%), capped
  // at 10000; no minimum.
  void useShare(std::uint32_t perTenThousand) noexcept;

  // Whether a freshly duplicated descriptor may be kept. On false the caller
  // closes it and refuses the registration.
  bool admits(int duplicate) noexcept;

  // The soft limit last read (UINT64_MAX when unlimited) and the number of
  // descriptors kept free under it.
  std::uint64_t softLimit() const noexcept { return softLimit_; }
  std::uint64_t reserve() const noexcept { return reserve_; }

  // Reads the soft limit again and recomputes the reserve.
  void refresh() noexcept;

 private:
  enum class Mode : std::uint8_t { Default, Count, Share };

  Mode mode_ = Mode::Default;
  std::uint64_t count_ = 0;
  std::uint32_t share_ = kDefaultPerTenThousand;
  std::uint64_t softLimit_ = UINT64_MAX;
  std::uint64_t reserve_ = 0;
  std::uint32_t sinceRefresh_ = 0;
};

}  // namespace sio
