// Formatting helpers that print numbers the way Python does, so module reprs match PyTorch's
// ("eps=1e-05", "momentum=0.1", "kernel_size=(3, 3)", "bias=True").
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ember::nn::detail {

/// Python's repr of a float: shortest round-trip digits, "1.0", "0.1", "1e-05", "1e+16".
std::string py_float(double v);
/// "True" / "False".
inline std::string py_bool(bool b) { return b ? "True" : "False"; }
/// A Python tuple: "(3, 3)", "(10,)".
std::string py_tuple(const std::vector<int64_t>& v);
/// The int when both entries agree ("2"), else the tuple ("(2, 3)").
std::string py_int_or_pair(const std::array<int64_t, 2>& v);
/// Indents every line but the first by n spaces (PyTorch's _addindent).
std::string add_indent(const std::string& s, int n);

}  // namespace ember::nn::detail
