// ember::Error: the one exception type every bad call throws, plus checking macros.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace ember {

/// Thrown for any bad call (wrong shapes, dtypes, devices, malformed files...).
/// The message names the operation and the offending values so a user can act on it.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

namespace detail {
inline void concat_into(std::ostringstream&) {}
template <class T, class... Rest>
void concat_into(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  concat_into(os, rest...);
}
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  concat_into(os, args...);
  return os.str();
}
}  // namespace detail

}  // namespace ember

/// EMBER_CHECK(cond, parts...): throws ember::Error with the parts streamed together when cond is false.
#define EMBER_CHECK(cond, ...)                                        \
  do {                                                                \
    if (!(cond)) throw ::ember::Error(::ember::detail::concat(__VA_ARGS__)); \
  } while (0)

#define EMBER_FAIL(...) throw ::ember::Error(::ember::detail::concat(__VA_ARGS__))
