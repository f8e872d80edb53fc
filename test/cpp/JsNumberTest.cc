#include "JsNumber.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "TestText.h"

namespace sio {
namespace {

using test::js;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Compares bit for bit, so NaN matches NaN and -0 does not match 0. The
// expected values are what Node's Number(string) returns.
void expectNumber(std::u16string_view text, double expected) {
  const double actual = JsNumber::fromString(text);
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << actual;
  } else {
    EXPECT_EQ(actual, expected);
    EXPECT_EQ(std::signbit(actual), std::signbit(expected));
  }
}

void expectNumber(const char* text, double expected) {
  SCOPED_TRACE(text);
  expectNumber(js(text), expected);
}

std::string format(double value) {
  char out[JsNumber::kMaxStringLength];
  return std::string(out, JsNumber::toString(value, out));
}

TEST(JsNumber, WhiteSpaceAndEmpty) {
  expectNumber("", 0.0);
  expectNumber(" ", 0.0);
  expectNumber(R"(\u0009\u000a\u000b\u000c\u000d)", 0.0);
  expectNumber(R"(\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff)", 0.0);
  expectNumber(R"(\u2005)", 0.0);
  // Mongolian vowel separator and zero width space are not JS white space.
  expectNumber(R"(\u180e)", kNaN);
  expectNumber(R"(\u200b)", kNaN);
  expectNumber(R"(\u0085)", kNaN);
  expectNumber(" 12 ", 12.0);
  expectNumber(R"(\u3000 7\u2028)", 7.0);
}

TEST(JsNumber, Decimals) {
  expectNumber("0", 0.0);
  expectNumber("1", 1.0);
  expectNumber("+1", 1.0);
  expectNumber("-1", -1.0);
  expectNumber("-0", -0.0);
  expectNumber("1e0", 1.0);
  expectNumber("1E+1", 10.0);
  expectNumber(".5e1", 5.0);
  expectNumber("1.", 1.0);
  expectNumber("00012", 12.0);
  expectNumber("00.5", 0.5);
  expectNumber("0.1e-5", 9.9999999999999995e-7);
  expectNumber("0.000001", 9.9999999999999995e-7);
}

TEST(JsNumber, Rejected) {
  for (const char* text : {".", "e1", "1e", "1e+", "-", "+", "--1", "+-1", "1_000", "1 2", "1,5",
                           "NaN", "infinity", "INFINITY", "Infinityx", "0x", "-0x1", "+0x1",
                           "0x1.5", "0O8", "0b2", "1e1.5", "1..2", "0x-1", R"(\u0661)",
                           R"(\uff11)", R"(\ud800)", "abc", "1a"}) {
    expectNumber(text, kNaN);
  }
}

TEST(JsNumber, Infinity) {
  expectNumber("Infinity", kInf);
  expectNumber("-Infinity", -kInf);
  expectNumber("+Infinity", kInf);
  expectNumber(" Infinity ", kInf);
}

TEST(JsNumber, RadixIntegers) {
  expectNumber("0x1", 1.0);
  expectNumber("0X1f", 31.0);
  expectNumber("0b101", 5.0);
  expectNumber("0o17", 15.0);
  expectNumber("0x00000000000000000000000000001", 1.0);
  // Correct rounding (half to even, sticky bits) beyond 2^53.
  expectNumber("0x20000000000001", 9007199254740992.0);
  expectNumber("0x20000000000003", 9007199254740996.0);
  expectNumber("0x1fffffffffffff8", 1.4411518807585587e+17);
  expectNumber("0x1fffffffffffff7ff", 3.6893488147419099e+19);
  expectNumber("0x200000000000010000000001", 9.9035203142830444e+27);
  expectNumber("0b111111111111111111111111111111111111111111111111111111111111",
               1.1529215046068470e+18);
  expectNumber(("0x" + std::string(300, 'f')).c_str(), kInf);
}

TEST(JsNumber, RangeAndRounding) {
  expectNumber("1e400", kInf);
  expectNumber("-1e400", -kInf);
  expectNumber("1e-400", 0.0);
  expectNumber("-1e-400", -0.0);
  expectNumber("1e99999999999999999999", kInf);
  expectNumber("1e-99999999999999999999", 0.0);
  expectNumber("0e99999999", 0.0);
  expectNumber("0.0000e99999999999999999999", 0.0);
  expectNumber("2.4703282292062328e-324", 4.9406564584124654e-324);
  expectNumber("5e-324", 4.9406564584124654e-324);
  expectNumber("9007199254740993", 9007199254740992.0);
  expectNumber("9007199254740995", 9007199254740996.0);
  expectNumber("18446744073709551616", 1.8446744073709552e+19);
  expectNumber("123456789012345678901234567890", 1.2345678901234568e+29);
  expectNumber(("1." + std::string(400, '0') + "1").c_str(), 1.0);
  expectNumber(std::string(400, '9').c_str(), kInf);
  expectNumber(std::string(308, '9').c_str(), 1e308);
}

TEST(JsNumber, ToString) {
  EXPECT_EQ(format(0.0), "0");
  EXPECT_EQ(format(-0.0), "0");
  EXPECT_EQ(format(1.0), "1");
  EXPECT_EQ(format(-1.0), "-1");
  EXPECT_EQ(format(7.0), "7");
  EXPECT_EQ(format(kNaN), "NaN");
  EXPECT_EQ(format(kInf), "Infinity");
  EXPECT_EQ(format(-kInf), "-Infinity");
  EXPECT_EQ(format(0.1), "0.1");
  EXPECT_EQ(format(1e21), "1e+21");
  EXPECT_EQ(format(1e20), "100000000000000000000");
  EXPECT_EQ(format(1.2345678901234568e+20), "123456789012345680000");
  EXPECT_EQ(format(1.5e300), "1.5e+300");
  EXPECT_EQ(format(1e-7), "1e-7");
  EXPECT_EQ(format(1e-6), "0.000001");
  EXPECT_EQ(format(1.2345e-7), "1.2345e-7");
  EXPECT_EQ(format(5e-324), "5e-324");
  EXPECT_EQ(format(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(format(9007199254740994.0), "9007199254740994");
  EXPECT_EQ(format(-1.5), "-1.5");
  EXPECT_EQ(format(0.000001234), "0.000001234");
  EXPECT_EQ(format(1.7976931348623157e+308), "1.7976931348623157e+308");
  EXPECT_EQ(format(-1.7976931348623157e+308), "-1.7976931348623157e+308");
  EXPECT_EQ(format(100.0), "100");
  EXPECT_EQ(format(1e100), "1e+100");
  EXPECT_EQ(format(12345.678), "12345.678");
  EXPECT_EQ(format(4294967295.0), "4294967295");
}

}  // namespace
}  // namespace sio
