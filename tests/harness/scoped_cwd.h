// ScopedCwd: changes the process's working directory for one scope and changes it back, even
// when the scope throws (tests of relative paths).
#pragma once
#include <filesystem>
#include <string>

namespace ember::test {

class ScopedCwd {
 public:
  /// Requires dir to exist.
  explicit ScopedCwd(const std::string& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedCwd() {
    std::error_code ec;
    std::filesystem::current_path(old_, ec);
  }
  ScopedCwd(const ScopedCwd&) = delete;
  ScopedCwd& operator=(const ScopedCwd&) = delete;

 private:
  std::filesystem::path old_;
};

}  // namespace ember::test
