#pragma once

#include <string_view>

namespace sio::wsbench {

// The value of header `name` in an HTTP message head (request or status line
// plus header lines, without the final blank line), matched
// case-insensitively as RFC 9110 requires; empty when absent.
std::string_view headerValue(std::string_view head, std::string_view name);

// True if the comma-separated header value contains `token`, ignoring case
// ("Connection: keep-alive, Upgrade").
bool hasToken(std::string_view value, std::string_view token);

}  // namespace sio::wsbench
