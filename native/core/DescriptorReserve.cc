#include "DescriptorReserve.h"

#include <sys/resource.h>

namespace sio {

void DescriptorReserve::useDefault() noexcept {
  mode_ = Mode::Default;
  share_ = kDefaultPerTenThousand;
  refresh();
}

void DescriptorReserve::useCount(std::uint64_t count) noexcept {
  mode_ = Mode::Count;
  count_ = count;
  refresh();
}

void DescriptorReserve::useShare(std::uint32_t perTenThousand) noexcept {
  mode_ = Mode::Share;
  share_ = perTenThousand > 10000 ? 10000 : perTenThousand;
  refresh();
}

void DescriptorReserve::refresh() noexcept {
  sinceRefresh_ = 0;
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    // No limit to keep away from: descriptor numbers never get there.
    softLimit_ = UINT64_MAX;
    reserve_ = 0;
    return;
  }
  softLimit_ = static_cast<std::uint64_t>(limit.rlim_cur);
  std::uint64_t wanted = 0;
  switch (mode_) {
    case Mode::Count:
      wanted = count_;
      break;
    case Mode::Share:
    case Mode::Default:
      // Rounded up, so a non-zero share never keeps nothing.
      wanted = (softLimit_ * share_ + 9999) / 10000;
      if (mode_ == Mode::Default && wanted < kDefaultMinimum) wanted = kDefaultMinimum;
      break;
  }
  reserve_ = wanted > softLimit_ ? softLimit_ : wanted;
}

bool DescriptorReserve::admits(int duplicate) noexcept {
  if (++sinceRefresh_ >= kRecheckEvery) refresh();
  const auto number = static_cast<std::uint64_t>(duplicate);
  if (reserve_ == 0 || number < softLimit_ - reserve_) return true;
  // Refused on what may be an old limit: read it again and decide on that.
  refresh();
  return reserve_ == 0 || number < softLimit_ - reserve_;
}

}  // namespace sio
