#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace sio::fuzz {

// A deliberately plain JSON reader (RFC 8259, as JSON.parse applies it to the
// UTF-8 form of a JS string), written independently of the core so the fuzz
// targets can check the simdjson-based JsonScanner against it: validity,
// socket.io's payload rules and the exact placeholder list. Speed does not
// matter; obviousness does. Values live in one flat vector (children by
// index), so nothing recurses on destruction, and parsing stops at maxDepth
// with Result::TooDeep, which the targets treat as "no verdict".
class ReferenceJson {
 public:
  enum class Kind { Null, False, True, Number, String, Array, Object };
  enum class Result { Valid, Invalid, TooDeep };

  struct Node {
    Kind kind = Kind::Null;
    double number = 0;
    std::string text;                   // a string's unescaped UTF-8
    std::vector<std::size_t> children;  // array items or object values, in order
    std::vector<std::string> keys;      // object keys (unescaped), duplicates kept
  };

  // Where V8 and simdjson legitimately part ways (the scanner answers
  // CannotDecide there), so a disagreement is not a bug.
  struct Quirks {
    bool loneSurrogateEscape = false;  // "\uD800": V8 accepts, simdjson rejects
    bool numberOutOfRange = false;     // beyond double range: V8 gives Infinity
    bool bigInteger = false;           // an integer literal beyond 64 bits
    bool any() const { return loneSurrogateEscape || numberOutOfRange || bigInteger; }
  };

  explicit ReferenceJson(std::size_t maxDepth) : maxDepth_(maxDepth) {}

  Result parse(std::string_view text) {
    nodes_.clear();
    quirks_ = Quirks{};
    text_ = text;
    pos_ = 0;
    tooDeep_ = false;
    depthSeen_ = 0;
    if (!validUtf8(text)) return Result::Invalid;
    skipSpace();
    std::size_t root = 0;
    const bool ok = value(0, root);
    if (tooDeep_) return Result::TooDeep;
    if (!ok) return Result::Invalid;
    skipSpace();
    return pos_ == text_.size() ? Result::Valid : Result::Invalid;
  }

  const Node& node(std::size_t i) const { return nodes_[i]; }
  // The root is always node 0 after a Valid parse.
  const Node& root() const { return nodes_[0]; }
  std::size_t nodeCount() const { return nodes_.size(); }
  const Quirks& quirks() const { return quirks_; }
  // Nesting of the deepest container, the root container counting as 1.
  std::size_t depth() const { return depthSeen_; }

 private:
  static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  // Well-formed UTF-8 only: no overlong forms, no surrogates, nothing above
  // U+10FFFF, as a JS string's UTF-8 form always is.
  static bool validUtf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      std::size_t extra = 0;
      std::uint32_t cp = 0;
      if (c < 0x80) {
        ++i;
        continue;
      } else if (c >= 0xC2 && c <= 0xDF) {
        extra = 1;
        cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        extra = 2;
        cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        extra = 3;
        cp = c & 0x07;
      } else {
        return false;
      }
      if (i + extra >= s.size()) return false;  // truncated sequence
      for (std::size_t k = 1; k <= extra; ++k) {
        const unsigned char t = static_cast<unsigned char>(s[i + k]);
        if ((t & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (t & 0x3F);
      }
      if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)) return false;
      if (cp >= 0xD800 && cp <= 0xDFFF) return false;
      if (cp > 0x10FFFF) return false;
      i += extra + 1;
    }
    return true;
  }

  void skipSpace() {
    while (pos_ < text_.size() && isSpace(text_[pos_])) ++pos_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::size_t newNode(Kind kind) {
    nodes_.push_back(Node{});
    nodes_.back().kind = kind;
    return nodes_.size() - 1;
  }

  bool value(std::size_t depth, std::size_t& out) {
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      // simdjson counts the root container as depth 1, as we do here.
      if (depth + 1 > maxDepth_) {
        tooDeep_ = true;
        return false;
      }
      if (depth + 1 > depthSeen_) depthSeen_ = depth + 1;
      return c == '{' ? object(depth + 1, out) : array(depth + 1, out);
    }
    if (c == '"') {
      std::string s;
      if (!string(s)) return false;
      out = newNode(Kind::String);
      nodes_[out].text = std::move(s);
      return true;
    }
    if (c == 't') return literal("true") && (out = newNode(Kind::True), true);
    if (c == 'f') return literal("false") && (out = newNode(Kind::False), true);
    if (c == 'n') return literal("null") && (out = newNode(Kind::Null), true);
    return number(out);
  }

  bool array(std::size_t depth, std::size_t& out) {
    ++pos_;  // [
    out = newNode(Kind::Array);
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skipSpace();
      std::size_t child = 0;
      if (!value(depth, child)) return false;
      nodes_[out].children.push_back(child);
      bool closed = false;
      if (!nextMember(']', closed)) return false;
      if (closed) return true;
    }
  }

  // After a container's member: a comma (another member follows) or the
  // closing bracket (`closed`); anything else is a syntax error.
  bool nextMember(char close, bool& closed) {
    skipSpace();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c != ',' && c != close) return false;
    ++pos_;
    closed = c == close;
    return true;
  }

  bool object(std::size_t depth, std::size_t& out) {
    ++pos_;  // {
    out = newNode(Kind::Object);
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return false;
      std::string key;
      if (!string(key)) return false;
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return false;
      ++pos_;
      skipSpace();
      std::size_t child = 0;
      if (!value(depth, child)) return false;
      nodes_[out].keys.push_back(std::move(key));
      nodes_[out].children.push_back(child);
      bool closed = false;
      if (!nextMember('}', closed)) return false;
      if (closed) return true;
    }
  }

  bool hex4(std::uint32_t& out) {
    if (pos_ + 4 > text_.size()) return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = text_[pos_++];
      out <<= 4;
      if (h >= '0' && h <= '9') out |= static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') out |= static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') out |= static_cast<std::uint32_t>(h - 'A' + 10);
      else return false;
    }
    return true;
  }

  static void appendUtf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          std::uint32_t unit = 0;
          if (!hex4(unit)) return false;
          if (unit >= 0xD800 && unit <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            const std::size_t save = pos_;
            pos_ += 2;
            std::uint32_t low = 0;
            if (!hex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              appendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
              break;
            }
            pos_ = save;
          }
          if (unit >= 0xD800 && unit <= 0xDFFF) {
            // JSON.parse keeps it; its UTF-8 form does not exist.
            quirks_.loneSurrogateEscape = true;
            appendUtf8(out, 0xFFFD);
          } else {
            appendUtf8(out, unit);
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool number(std::size_t& out) {
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !isDigit(text_[pos_])) return false;
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < text_.size() && isDigit(text_[pos_])) ++pos_;
    }
    bool integer = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integer = false;
      ++pos_;
      if (pos_ >= text_.size() || !isDigit(text_[pos_])) return false;
      while (pos_ < text_.size() && isDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integer = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !isDigit(text_[pos_])) return false;
      while (pos_ < text_.size() && isDigit(text_[pos_])) ++pos_;
    }
    const std::string literalText(text_.substr(start, pos_ - start));
    const double value = std::strtod(literalText.c_str(), nullptr);
    if (value > 1.7976931348623157e308 || value < -1.7976931348623157e308) {
      quirks_.numberOutOfRange = true;
    }
    if (integer) {
      // Beyond int64 for negatives, beyond uint64 for the rest.
      const bool negative = literalText[0] == '-';
      const std::string digits = negative ? literalText.substr(1) : literalText;
      const std::string limit = negative ? "9223372036854775808" : "18446744073709551615";
      if (digits.size() > limit.size() || (digits.size() == limit.size() && digits > limit)) {
        quirks_.bigInteger = true;
      }
    }
    out = newNode(Kind::Number);
    nodes_[out].number = value;
    return true;
  }

  std::size_t maxDepth_;
  std::vector<Node> nodes_;
  Quirks quirks_;
  std::string_view text_;
  std::size_t pos_ = 0;
  bool tooDeep_ = false;
  std::size_t depthSeen_ = 0;
};

}  // namespace sio::fuzz
