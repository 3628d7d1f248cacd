// Number formatting for tables (see units.h).
#include "units.h"

#include <cmath>
#include <cstdio>

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
  while (std::fabs(v) >= 999.995 && u < 4) v /= 1000, ++u;
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 ? "%.1f%s" : "%.2f%s", v, kUnits[u]);
  return buf;
}

}  // namespace ember::cli
