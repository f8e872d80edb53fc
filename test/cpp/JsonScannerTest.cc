#include "JsonScanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sio {
namespace {

constexpr double kNaN = __builtin_nan("");

// A path rendered as text for comparisons: indices bare, keys quoted.
std::string pathOf(const PlaceholderList& list, std::size_t i) {
  std::string out;
  const PlaceholderList::Entry& entry = list.entry(i);
  for (std::size_t j = 0; j < entry.stepCount; ++j) {
    const PlaceholderList::Step step = list.step(entry, j);
    if (!out.empty()) out += '.';
    out += step.isIndex ? std::to_string(step.index) : "'" + std::string(step.key) + "'";
  }
  return out;
}

std::vector<std::string> paths(const PlaceholderList& list) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list.size(); ++i) out.push_back(pathOf(list, i));
  return out;
}

struct ValidateCase {
  const char* json;
  double type;
  Status expected;
};

// Expected results are socket.io-parser's: isPayloadValid(type, JSON.parse(json)),
// a JSON.parse error counting as invalid.
const ValidateCase kValidateCases[] = {
    {R"({})", 0, Status::Ok},
    {R"({"token":"abc"})", 0, Status::Ok},
    {R"([])", 0, Status::InvalidPayload},
    {R"("x")", 0, Status::InvalidPayload},
    {R"(null)", 0, Status::InvalidPayload},
    {R"( {} )", 0, Status::Ok},
    {"\t\r\n{}", 0, Status::Ok},
    {R"({)", 0, Status::InvalidPayload},
    {R"({}x)", 0, Status::InvalidPayload},
    {R"({} {})", 0, Status::InvalidPayload},
    {R"({})", 1, Status::InvalidPayload},
    {R"([])", 1, Status::InvalidPayload},
    {R"("oops")", 4, Status::Ok},
    {R"({"message":"no"})", 4, Status::Ok},
    {R"([])", 4, Status::InvalidPayload},
    {R"(1)", 4, Status::InvalidPayload},
    {R"(["hello",1,{"a":[true,false,null]}])", 2, Status::Ok},
    {R"([1])", 2, Status::Ok},
    {R"([-1.5e3])", 2, Status::Ok},
    {R"([1e-400])", 2, Status::Ok},
    {R"(["error"])", 2, Status::Ok},
    {R"(["connect"])", 2, Status::InvalidPayload},
    {R"(["connect_error"])", 2, Status::InvalidPayload},
    {R"(["disconnect"])", 2, Status::InvalidPayload},
    {R"(["disconnecting"])", 2, Status::InvalidPayload},
    {R"(["newListener"])", 2, Status::InvalidPayload},
    {R"(["removeListener"])", 5, Status::InvalidPayload},
    {R"(["\u0063onnect"])", 2, Status::InvalidPayload},
    {R"(["connect "])", 2, Status::Ok},
    {R"(["Connect"])", 2, Status::Ok},
    {R"([])", 2, Status::InvalidPayload},
    {R"([null])", 2, Status::InvalidPayload},
    {R"([true])", 2, Status::InvalidPayload},
    {R"([["a"]])", 2, Status::InvalidPayload},
    {R"([{"a":1}])", 5, Status::InvalidPayload},
    {R"({"0":"a"})", 2, Status::InvalidPayload},
    {R"("a")", 2, Status::InvalidPayload},
    {R"([])", 3, Status::Ok},
    {R"([null,{}])", 6, Status::Ok},
    {R"({})", 3, Status::InvalidPayload},
    {R"([1,])", 3, Status::InvalidPayload},
    {R"([01])", 3, Status::CannotDecide},  // V8 rejects, simdjson says "number"
    {R"([tru])", 3, Status::InvalidPayload},
    {R"(["a)", 3, Status::InvalidPayload},
    {"[\"a\x01\"]", 3, Status::InvalidPayload},
    {R"([1])", 7, Status::InvalidPayload},
    {R"([1])", kNaN, Status::InvalidPayload},
    {R"([1])", 2.5, Status::InvalidPayload},
    {"", 2, Status::InvalidPayload},
    {" ", 2, Status::InvalidPayload},
    // JSON.parse rejects a byte order mark; simdjson would skip it.
    {"\xef\xbb\xbf[1]", 3, Status::InvalidPayload},
    {"\xef\xbb\xbf{}", 0, Status::InvalidPayload},
    // Where V8 accepts what simdjson cannot represent: cannot decide.
    {R"([1e400])", 3, Status::CannotDecide},
    {R"(["a",-1e400])", 2, Status::CannotDecide},
    {R"([123456789012345678901234567890])", 3, Status::CannotDecide},
    {R"([18446744073709551616])", 3, Status::CannotDecide},
    {R"(["\ud800"])", 3, Status::CannotDecide},
    {R"(["a","\udc00\ud800"])", 2, Status::CannotDecide},
    // Invalid UTF-8 cannot come from a JS string; it is invalid input here.
    {"[\"\xff\"]", 3, Status::InvalidPayload},
    {"[\"\xc0\xaf\"]", 3, Status::InvalidPayload},          // overlong "/"
    {"[\"\xed\xa0\x80\"]", 3, Status::InvalidPayload},      // encoded surrogate
    {"[\"\xe4\xb8\"]", 3, Status::InvalidPayload},          // truncated
    {"[\"\xf4\x90\x80\x80\"]", 3, Status::InvalidPayload},  // beyond U+10FFFF
    {"[\"\xef\xbf\xbd\xe4\xb8\xad\"]", 3, Status::Ok},
};

TEST(JsonScanner, ValidatesLikeSocketIoParser) {
  JsonScanner scanner;
  for (const ValidateCase& c : kValidateCases) {
    EXPECT_EQ(scanner.validate(c.json, c.type), c.expected) << c.json << " type " << c.type;
  }
}

TEST(JsonScanner, EmbeddedNulIsInvalid) {
  JsonScanner scanner;
  EXPECT_EQ(scanner.validate(std::string_view("[1]\0", 4), 3), Status::InvalidPayload);
  EXPECT_EQ(scanner.validate(std::string_view("[\"\0\"]", 5), 3), Status::InvalidPayload);
  EXPECT_EQ(scanner.validate(std::string_view("[\"\\u0000\"]", 10), 3), Status::Ok);
}

TEST(JsonScanner, DeepNesting) {
  JsonScanner scanner;
  const std::size_t depth = 100000;
  const std::string deepArray = std::string(depth, '[') + std::string(depth, ']');
  // V8 parses this; simdjson stops at its depth limit.
  EXPECT_EQ(scanner.validate(deepArray, 3), Status::CannotDecide);
  PlaceholderList list;
  EXPECT_EQ(scanner.findPlaceholders(deepArray, list), Status::CannotDecide);
  // The wrong root kind is invalid whatever follows.
  EXPECT_EQ(scanner.validate(deepArray, 0), Status::InvalidPayload);
  EXPECT_EQ(scanner.validate(deepArray, 1), Status::InvalidPayload);
  // Unbalanced: still no crash, and never a wrong "ok".
  EXPECT_NE(scanner.validate(std::string(depth, '['), 3), Status::Ok);
  std::string deepObject;
  for (std::size_t i = 0; i < depth; ++i) deepObject += "{\"a\":";
  deepObject += "1" + std::string(depth, '}');
  EXPECT_EQ(scanner.validate(deepObject, 0), Status::CannotDecide);
  // Within the limit the answer is exact.
  const std::string nested = "[\"e\"," + std::string(1000, '[') + std::string(1000, ']') + "]";
  EXPECT_EQ(scanner.validate(nested, 2), Status::Ok);
}

TEST(JsonScanner, DepthAndSizeLimits) {
  JsonScanner::Limits limits;
  limits.maxDepth = 4;
  limits.maxBytes = 32;
  JsonScanner scanner(limits);
  EXPECT_EQ(scanner.validate("[[[1]]]", 3), Status::Ok);
  // maxDepth itself is decided, one more level is not.
  EXPECT_EQ(scanner.validate("[[[[1]]]]", 3), Status::Ok);
  EXPECT_EQ(scanner.validate("[[[{\"a\":1}]]]", 3), Status::Ok);
  EXPECT_EQ(scanner.validate("[[[[[1]]]]]", 3), Status::CannotDecide);
  EXPECT_EQ(scanner.validate("[[[[{\"a\":1}]]]]", 3), Status::CannotDecide);
  limits.maxBytes = 1024;
  JsonScanner roomy(limits);
  PlaceholderList list;
  EXPECT_EQ(roomy.findPlaceholders(R"([[[{"_placeholder":true,"num":0}]]])", list), Status::Ok);
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(roomy.findPlaceholders(R"([[[[{"_placeholder":true,"num":0}]]]])", list),
            Status::CannotDecide);
  EXPECT_EQ(scanner.validate("[\"" + std::string(40, 'x') + "\"]", 3), Status::CannotDecide);
}

TEST(JsonScanner, TruncatedInputs) {
  JsonScanner scanner;
  const std::string full = R"(["ev",{"a":[1,2,{"_placeholder":true,"num":0}],"b":"\u00e9\ud83d\ude00"}])";
  PlaceholderList list;
  for (std::size_t n = 0; n < full.size(); ++n) {
    const std::string_view prefix(full.data(), n);
    EXPECT_NE(scanner.validate(prefix, 2), Status::Ok) << prefix;
    EXPECT_NE(scanner.findPlaceholders(prefix, list), Status::Ok) << prefix;
  }
  EXPECT_EQ(scanner.validate(full, 2), Status::Ok);
}

TEST(JsonScanner, FindsPlaceholdersInDocumentOrder) {
  JsonScanner scanner;
  PlaceholderList list;
  ASSERT_EQ(scanner.findPlaceholders(
                R"(["ev",{"_placeholder":true,"num":0},[[{"_placeholder":true,"num":1}]],)"
                R"({"a":{"b":{"_placeholder":true,"num":2}}}])",
                list),
            Status::Ok);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"1", "2.0.0", "3.'a'.'b'"}));
  ASSERT_EQ(list.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(list.entry(i).hasNum);
    EXPECT_EQ(list.entry(i).num, static_cast<double>(i));
  }
}

TEST(JsonScanner, PlaceholderRootAndNone) {
  JsonScanner scanner;
  PlaceholderList list;
  ASSERT_EQ(scanner.findPlaceholders(R"({"_placeholder":true,"num":0})", list), Status::Ok);
  EXPECT_EQ(paths(list), (std::vector<std::string>{""}));
  ASSERT_EQ(scanner.findPlaceholders(R"(["a",{"x":[1,2,3]},"_placeholder",true])", list),
            Status::Ok);
  EXPECT_EQ(list.size(), 0U);
  ASSERT_EQ(scanner.findPlaceholders(R"(1)", list), Status::Ok);
  EXPECT_EQ(list.size(), 0U);
}

TEST(JsonScanner, PlaceholderValueMustBeLiterallyTrue) {
  JsonScanner scanner;
  PlaceholderList list;
  ASSERT_EQ(scanner.findPlaceholders(
                R"([{"_placeholder":1,"num":0},{"_placeholder":"true","num":0},)"
                R"({"_placeholder":false},{"_placeholder":null},{"_Placeholder":true},)"
                R"({"_placeholder ":true},{"_placeholder":[true]}])",
                list),
            Status::Ok);
  EXPECT_EQ(list.size(), 0U);
}

TEST(JsonScanner, EscapedKeysAreUnescaped) {
  JsonScanner scanner;
  PlaceholderList list;
  ASSERT_EQ(scanner.findPlaceholders(
                R"({"a\"b":{"\u005fplaceholder":true,"n\u0075m":3},"\u00e9\n":[{"_placeholder":true}],)"
                R"("\ud83d\ude00":{"_placeholder":true,"num":"0"}})",
                list),
            Status::Ok);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"'a\"b'", "'\xc3\xa9\n'.0", "'\xf0\x9f\x98\x80'"}));
  EXPECT_TRUE(list.entry(0).hasNum);
  EXPECT_EQ(list.entry(0).num, 3);
  EXPECT_FALSE(list.entry(1).hasNum);  // no "num"
  EXPECT_FALSE(list.entry(2).hasNum);  // "num" is a string
}

TEST(JsonScanner, NumValues) {
  JsonScanner scanner;
  PlaceholderList list;
  ASSERT_EQ(scanner.findPlaceholders(
                R"([{"_placeholder":true,"num":-1},{"_placeholder":true,"num":1.5},)"
                R"({"_placeholder":true,"num":18446744073709551615},{"_placeholder":true,"num":null},)"
                R"({"num":2,"_placeholder":true},{"_placeholder":true,"num":1,"num":"x"},)"
                R"({"_placeholder":true,"num":"x","num":4}])",
                list),
            Status::Ok);
  ASSERT_EQ(list.size(), 7U);
  EXPECT_EQ(list.entry(0).num, -1);
  EXPECT_EQ(list.entry(1).num, 1.5);
  EXPECT_EQ(list.entry(2).num, 18446744073709551615.0);
  EXPECT_FALSE(list.entry(3).hasNum);
  EXPECT_EQ(list.entry(4).num, 2);
  // JSON.parse keeps the last duplicate.
  EXPECT_FALSE(list.entry(5).hasNum);
  EXPECT_TRUE(list.entry(6).hasNum);
  EXPECT_EQ(list.entry(6).num, 4);
}

TEST(JsonScanner, DuplicateKeys) {
  JsonScanner scanner;
  PlaceholderList list;
  // The last "_placeholder" is false: JSON.parse's object is not a
  // placeholder, so the scan reports the candidate (callers verify) and still
  // descends to the real placeholder inside.
  ASSERT_EQ(scanner.findPlaceholders(
                R"([{"_placeholder":true,"_placeholder":false,"x":{"_placeholder":true,"num":0}}])",
                list),
            Status::Ok);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"0", "0.'x'"}));
  // The last one is true: a placeholder, not descended into.
  ASSERT_EQ(scanner.findPlaceholders(
                R"([{"_placeholder":false,"_placeholder":true,"x":{"_placeholder":true,"num":0}}])",
                list),
            Status::Ok);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"0"}));
  // Overridden duplicate values are scanned too: extra hints are harmless.
  ASSERT_EQ(scanner.findPlaceholders(
                R"({"a":{"_placeholder":true,"num":0},"a":[{"_placeholder":true,"num":1}]})", list),
            Status::Ok);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"'a'", "'a'.0"}));
}

TEST(JsonScanner, ProtoKeysArePlainKeys) {
  JsonScanner scanner;
  PlaceholderList list;
  ASSERT_EQ(scanner.findPlaceholders(
                R"(["ev",{"__proto__":{"_placeholder":true,"num":0}},{"constructor":{"prototype":)"
                R"({"_placeholder":true,"num":1}}}])",
                list),
            Status::Ok);
  EXPECT_EQ(paths(list),
            (std::vector<std::string>{"1.'__proto__'", "2.'constructor'.'prototype'"}));
}

TEST(JsonScanner, PlaceholderLimits) {
  JsonScanner::Limits limits;
  limits.maxPlaceholders = 2;
  JsonScanner scanner(limits);
  PlaceholderList list;
  const std::string two = R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])";
  const std::string three = R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},)"
                            R"({"_placeholder":true,"num":2}])";
  EXPECT_EQ(scanner.findPlaceholders(two, list), Status::Ok);
  EXPECT_EQ(scanner.findPlaceholders(three, list), Status::CannotDecide);
  EXPECT_EQ(list.size(), 0U);

  limits = JsonScanner::Limits{};
  limits.maxPathSteps = 5;
  JsonScanner shallow(limits);
  EXPECT_EQ(shallow.findPlaceholders(R"([[[{"_placeholder":true}]]])", list), Status::Ok);
  EXPECT_EQ(shallow.findPlaceholders(R"([[[[[[{"_placeholder":true}]]]]]])", list),
            Status::CannotDecide);
}

TEST(JsonScanner, InvalidJsonHasNoPlaceholders) {
  JsonScanner scanner;
  PlaceholderList list;
  EXPECT_EQ(scanner.findPlaceholders(R"([{"_placeholder":true,"num":0},])", list),
            Status::InvalidPayload);
  EXPECT_EQ(list.size(), 0U);
  EXPECT_EQ(scanner.findPlaceholders(R"([{"_placeholder":true,"num":1e400}])", list),
            Status::CannotDecide);
  EXPECT_EQ(scanner.findPlaceholders("\xef\xbb\xbf[]", list), Status::InvalidPayload);
}

TEST(JsonScanner, ReusableAcrossSizes) {
  JsonScanner scanner;
  PlaceholderList list;
  std::string big = "[\"ev\"";
  for (int i = 0; i < 100000; ++i) big += ",{\"k\":\"vvvvvvvvvvvv\"}";
  big += ",{\"_placeholder\":true,\"num\":0}]";
  ASSERT_EQ(scanner.findPlaceholders(big, list), Status::Ok);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"100001"}));
  EXPECT_EQ(scanner.validate(big, 5), Status::Ok);
  EXPECT_EQ(scanner.validate(R"(["small"])", 2), Status::Ok);
  EXPECT_EQ(scanner.validate(big, 5), Status::Ok);
}

}  // namespace
}  // namespace sio
