// Number formatting shared by the commands that print tables: thousands separators
// ("11,689,512") and short SI forms ("11.69M", "3.64G").
#pragma once
#include <cstdint>
#include <string>

namespace ember::cli {

/// v with a comma every three digits: 11689512 -> "11,689,512", -1234 -> "-1,234".
std::string with_commas(int64_t v);
/// v in K/M/G/T (powers of 1000) with 3-4 significant digits: 11689512 -> "11.69M",
/// 669706 -> "669.7K", 999960 -> "1.00M"; below 1000 rounded to a whole number (512 -> "512").
std::string si(double v);

}  // namespace ember::cli
