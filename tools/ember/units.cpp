// Number formatting for tables (see units.h).
#include "units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ember::cli {

std::string with_commas(int64_t v) {
  const std::string digits = std::to_string(v < 0 ? -static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string si(double v) {
  static const char* const kUnits[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (std::fabs(v) >= 1000 && u < 4) v /= 1000, ++u;
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // Three or four significant digits, decided after rounding (99.996K is 100.0K, 999.96K 1.00M).
  std::snprintf(buf, sizeof buf, "%.2f", v);
  if (std::fabs(std::strtod(buf, nullptr)) >= 100) std::snprintf(buf, sizeof buf, "%.1f", v);
  if (std::fabs(std::strtod(buf, nullptr)) >= 1000 && u < 4) std::snprintf(buf, sizeof buf, "%.2f", v / 1000), ++u;
  return std::string(buf) + kUnits[u];
}

}  // namespace ember::cli
