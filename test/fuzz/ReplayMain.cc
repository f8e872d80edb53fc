// A stand-in for libFuzzer's main: runs every input named on the command line
// once through the target's LLVMFuzzerTestOneInput. A directory stands for the
// regular files in it, in name order so that a failure reproduces the same
// way everywhere. This lets the fuzz targets build with any compiler and run
// their seed corpus as ordinary ctest tests; the real fuzzing needs clang and
// SIO_FUZZ=ON (scripts/fuzz.js).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Reads the file into a heap block of exactly its size, so that a target that
// reads one byte past its input trips AddressSanitizer here as it would under
// libFuzzer, instead of landing in a container's spare capacity.
bool runFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot open %s\n", file.string().c_str());
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[bytes.size() + (bytes.empty() ? 1 : 0)]);
  std::copy(bytes.begin(), bytes.end(), exact.get());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.string().c_str(), bytes.size());
  LLVMFuzzerTestOneInput(exact.get(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code error;
    if (fs::is_directory(arg, error)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(arg, error)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      if (error) {
        std::fprintf(stderr, "replay: cannot list %s\n", arg.string().c_str());
        return 1;
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        if (!runFile(file)) return 1;
        ++ran;
      }
    } else {
      if (!runFile(arg)) return 1;
      ++ran;
    }
  }
  // An empty run would pass while testing nothing, which is how a corpus
  // that went missing would otherwise go unnoticed.
  if (ran == 0) {
    std::fprintf(stderr, "replay: no inputs; usage: %s <file or directory>...\n", argv[0]);
    return 1;
  }
  std::printf("replayed %zu inputs\n", ran);
  return 0;
}
