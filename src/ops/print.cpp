// Printing tensors, PyTorch style: nested brackets, elided in the middle past 1000 elements.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "core/tensor_impl.h"

namespace ember {
namespace {

void print_rec(std::ostream& os, const std::vector<double>& v, const Shape& s, size_t d, int64_t base, int64_t stride,
               bool integral, bool elide, int indent) {
  if (s.empty()) {
    os << v[0];
    return;
  }
  int64_t n = s[d];
  int64_t inner = stride / std::max<int64_t>(n, 1);
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (elide && n > 6 && i == 3) {
      os << "...";
      i = n - 4;
      os << (d + 1 == s.size() ? ", " : ",\n" + std::string(indent + 1, ' '));
      continue;
    }
    if (d + 1 == s.size()) {
      double x = v[base + i];
      if (integral) os << static_cast<int64_t>(x);
      else os << std::setprecision(4) << std::fixed << x;
    } else {
      print_rec(os, v, s, d + 1, base + i * inner, inner, integral, elide, indent + 1);
    }
    if (i + 1 < n) os << (d + 1 == s.size() ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << ']';
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "Tensor(undefined)";
  std::vector<double> v = t.numel() ? t.to_vector<double>() : std::vector<double>{};
  std::ostringstream body;
  bool integral = !is_floating(t.dtype());
  if (t.numel() == 0) body << "[]";
  else print_rec(body, v, t.shape(), 0, 0, t.numel(), integral, t.numel() > 1000, 7);
  os << "tensor(" << body.str() << ", shape=" << shape_str(t.shape()) << ", dtype=" << dtype_name(t.dtype());
  if (!t.device().is_cpu()) os << ", device=" << t.device().str();
  if (t.requires_grad()) os << ", requires_grad";
  return os << ")";
}

}  // namespace ember
