// Flag checks shared by the subcommands (see flag_checks.h).
#include "flag_checks.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

#include "ember/device_info.h"

namespace ember::cli {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

}  // namespace

CLI::Validator real_in(double lo, double hi, bool lo_open) {
  auto op = [lo, hi, lo_open](std::string& s) -> std::string {
    const char* b = s.c_str();
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(b, &end);
    if (s.empty() || end == b || *end != '\0' || !std::isfinite(v)) return in_quotes(s) + " is not a number";
    const bool low = lo_open ? !(v > lo) : v < lo;
    if (!low && v <= hi) return "";
    const char* rel = lo_open ? " > " : " >= ";
    if (std::isinf(hi)) return in_quotes(s) + " must be" + rel + num(lo);
    return in_quotes(s) + " must be" + (lo_open ? " greater than " + num(lo) + " and at most " : " between " + num(lo) + " and ") + num(hi);
  };
  return CLI::Validator(op, "NUMBER");
}

CLI::Validator whole_in(int64_t lo, int64_t hi) {
  auto op = [lo, hi](std::string& s) -> std::string {
    const char* b = s.c_str();
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(b, &end, 10);
    bool digits = !s.empty() && s.find_first_not_of("-0123456789") == std::string::npos;
    if (!digits || end == b || *end != '\0') return in_quotes(s) + " is not a whole number";
    if (errno == ERANGE || v < lo || v > hi) {
      if (hi == std::numeric_limits<int64_t>::max()) return in_quotes(s) + " must be a whole number >= " + std::to_string(lo);
      return in_quotes(s) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
    }
    return "";
  };
  return CLI::Validator(op, "INT");
}

CLI::Validator unsigned_whole() {
  auto op = [](std::string& s) -> std::string {
    if (!s.empty() && s[0] == '-' && s.size() > 1 && s.find_first_not_of("0123456789", 1) == std::string::npos)
      return in_quotes(s) + " must be a whole number >= 0";
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return in_quotes(s) + " is not a whole number";
    errno = 0;
    (void)std::strtoull(s.c_str(), nullptr, 10);
    if (errno == ERANGE) return in_quotes(s) + " is too large (at most 18446744073709551615)";
    return "";
  };
  return CLI::Validator(op, "UINT");
}

CLI::Validator device_syntax() {
  auto op = [](std::string& s) -> std::string {
    try {
      Device d(s);
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  };
  return CLI::Validator(op, "DEVICE");
}

Device resolve_device(const std::string& spec) {
  const Device d(spec);
  std::string names;
  for (const DeviceInfo& info : list_devices()) {
    if (info.device.kind == d.kind && info.device.index == d.index) return info.device;
    names += (names.empty() ? "" : ", ") + info.device.str();
  }
  std::string why;
  for (const BackendStatus& b : backend_statuses())
    if (b.name == device_kind_name(d.kind) && !b.available)
      why = "; " + b.name + (b.built ? ": " : " backend not built: ") + b.detail;
  EMBER_FAIL("device '", spec, "' is not available (devices here: ", names, ")", why, "; see 'ember device'");
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggest_flag(const CLI::App& cmd, const std::string& unknown) {
  std::string u = unknown.substr(0, unknown.find('='));
  while (!u.empty() && u[0] == '-') u.erase(0, 1);
  if (u.empty()) return "";
  std::vector<std::string> names;
  for (const CLI::Option* o : cmd.get_options())
    for (const std::string& n : o->get_lnames()) names.push_back(n);
  std::string prefix_hit;
  int prefix_hits = 0;
  for (const std::string& n : names)
    if (n.size() > u.size() && n.compare(0, u.size(), u) == 0) prefix_hit = n, ++prefix_hits;
  if (prefix_hits == 1) return "--" + prefix_hit;
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const std::string& n : names) {
    size_t d = edit_distance(u, n);
    if (d < best_d && d <= std::max<size_t>(2, n.size() / 3)) best_d = d, best = n;
  }
  return best.empty() ? "" : "--" + best;
}

}  // namespace ember::cli
