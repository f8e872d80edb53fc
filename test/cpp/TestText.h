#pragma once

#include <string>
#include <string_view>

namespace sio::test {

// Builds a UTF-16 string from ASCII text in which "\uXXXX" stands for one
// code unit, so tests can spell lone surrogates and JS white space the way a
// JS string literal would.
inline std::u16string js(std::string_view text) {
  std::u16string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 5 < text.size() && text[i + 1] == 'u') {
      out.push_back(static_cast<char16_t>(std::stoul(std::string(text.substr(i + 2, 4)), nullptr, 16)));
      i += 5;
    } else {
      out.push_back(static_cast<char16_t>(static_cast<unsigned char>(text[i])));
    }
  }
  return out;
}

}  // namespace sio::test
