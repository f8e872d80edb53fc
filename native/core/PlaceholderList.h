#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sio {

// The candidate placeholder objects ({"_placeholder":true,"num":n}) the JSON
// scanner found, each with its path from the root. Storage is flat (one
// vector of steps, one arena of key bytes) and kept across scans, so a warm
// list does not allocate.
class PlaceholderList {
 public:
  // One step of a path: an array index or an object key (unescaped UTF-8).
  struct Step {
    std::string_view key;
    std::uint64_t index = 0;
    bool isIndex = false;
  };

  struct Entry {
    std::uint32_t firstStep = 0;
    std::uint32_t stepCount = 0;
    bool hasNum = false;  // the effective "num" is a JSON number
    double num = 0;
  };

  void clear();
  void add(const Step* path, std::size_t depth, bool hasNum, double num);

  std::size_t size() const { return entries_.size(); }
  std::size_t totalSteps() const { return steps_.size(); }
  const Entry& entry(std::size_t i) const { return entries_[i]; }
  Step step(const Entry& entry, std::size_t j) const;
  // Whether any key of any path contains these bytes (the binding asks for
  // U+FFFD, which stands for lone surrogates it could not carry over).
  bool anyKeyContains(std::string_view bytes) const;

 private:
  struct StoredStep {
    std::uint64_t indexOrOffset;
    std::uint32_t keyLength;
    bool isIndex;
  };
  std::vector<Entry> entries_;
  std::vector<StoredStep> steps_;
  std::string keys_;
};

}  // namespace sio
