#include "PlaceholderList.h"

namespace sio {

void PlaceholderList::clear() {
  entries_.clear();
  steps_.clear();
  keys_.clear();
}

void PlaceholderList::add(const Step* path, std::size_t depth, bool hasNum, double num) {
  Entry entry;
  entry.firstStep = static_cast<std::uint32_t>(steps_.size());
  entry.stepCount = static_cast<std::uint32_t>(depth);
  entry.hasNum = hasNum;
  entry.num = hasNum ? num : 0;
  for (std::size_t i = 0; i < depth; ++i) {
    if (path[i].isIndex) {
      steps_.push_back(StoredStep{path[i].index, 0, true});
    } else {
      // Offsets, not pointers: the arena may move when it grows.
      steps_.push_back(StoredStep{keys_.size(), static_cast<std::uint32_t>(path[i].key.size()), false});
      keys_.append(path[i].key);
    }
  }
  entries_.push_back(entry);
}

PlaceholderList::Step PlaceholderList::step(const Entry& entry, std::size_t j) const {
  const StoredStep& stored = steps_[entry.firstStep + j];
  Step step;
  step.isIndex = stored.isIndex;
  if (stored.isIndex) {
    step.index = stored.indexOrOffset;
  } else {
    step.key = std::string_view(keys_).substr(stored.indexOrOffset, stored.keyLength);
  }
  return step;
}

bool PlaceholderList::anyKeyContains(std::string_view bytes) const {
  return std::string_view(keys_).find(bytes) != std::string_view::npos;
}

}  // namespace sio
