#pragma once

#include <cstdint>

namespace sio::wsbench {

// Raises RLIMIT_NOFILE so that `wanted` descriptors can be open. The soft
// limit goes up to the hard limit; if that is still too low and the process
// may raise the hard limit (root in CI), both go up to `wanted`. Returns the
// soft limit in effect afterwards, so the caller can say why it stops short.
std::uint64_t raiseFileLimit(std::uint64_t wanted);

}  // namespace sio::wsbench
