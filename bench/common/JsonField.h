#pragma once

#include <cstdint>
#include <string>

namespace sio::wsbench {

// Appends `,"name":value` to a JSON object being built by hand: both bench
// programs report their counters as one JSON line on stdout.
void appendJsonField(std::string& json, const char* name, std::int64_t value);

}  // namespace sio::wsbench
