#include "Utf16ToUtf8.h"

#include <gtest/gtest.h>

#include <string>

#include "TestText.h"

namespace sio {
namespace {

std::string convert(const std::u16string& text, bool& lone) {
  std::string out(Utf16ToUtf8::maxBytes(text.size()), '\0');
  out.resize(Utf16ToUtf8::convert(text.data(), text.size(), out.data(), lone));
  return out;
}

TEST(Utf16ToUtf8, AsciiAndMultibyte) {
  bool lone = false;
  EXPECT_EQ(convert(u"", lone), "");
  EXPECT_EQ(convert(u"[\"bench\",{\"a\":1}]", lone), "[\"bench\",{\"a\":1}]");
  EXPECT_EQ(convert(u"\u00e9\u4e2d\U0001F600x", lone), "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80x");
  EXPECT_EQ(convert(u"abc\u00e9defgh\uffff", lone), "abc\xc3\xa9" "defgh\xef\xbf\xbf");
  EXPECT_FALSE(lone);
}

TEST(Utf16ToUtf8, LoneSurrogatesBecomeReplacementCharacters) {
  const char* replacement = "\xef\xbf\xbd";
  for (const char* text : {R"(\ud800)", R"(\udc00)", R"(\ud800x)", R"(\udbff\ud800)",
                           R"(\udc00\ud800)", R"(abcd\ud83d)"}) {
    bool lone = false;
    const std::string out = convert(test::js(text), lone);
    EXPECT_TRUE(lone) << text;
    EXPECT_NE(out.find(replacement), std::string::npos) << text;
  }
  bool lone = false;
  EXPECT_EQ(convert(test::js(R"(\ud800\ud83d\ude00)"), lone), "\xef\xbf\xbd\xf0\x9f\x98\x80");
  EXPECT_TRUE(lone);
}

}  // namespace
}  // namespace sio
