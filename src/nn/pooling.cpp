// Pooling modules: argument checks at construction, forward via the pooling ops.
#include "ember/nn/pooling.h"

#include "nn/repr.h"

namespace ember::nn {

namespace {

Pool2dParams make_params(const char* who, Size2 k, Size2 s, Size2 p) {
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(k[i] >= 1 && s[i] >= 0 && p[i] >= 0 && p[i] <= k[i] / 2, who,
                ": needs kernel_size >= 1, stride >= 0 and 0 <= padding <= kernel_size/2, got kernel_size=",
                detail::py_int_or_pair(k), " stride=", detail::py_int_or_pair(s), " padding=",
                detail::py_int_or_pair(p));
  }
  Pool2dParams out;
  out.kernel = k;
  out.stride = {s[0] == 0 ? k[0] : s[0], s[1] == 0 ? k[1] : s[1]};
  out.padding = p;
  return out;
}

void check_input(const char* who, const Tensor& x) {
  EMBER_CHECK(x.defined(), who, ".forward: undefined input");
  EMBER_CHECK(x.dim() == 4, who, ".forward: expected 4D input (N, C, H, W), got shape ", shape_str(x.shape()));
}

std::string pool_repr(const Pool2dParams& p) {
  return "kernel_size=" + detail::py_int_or_pair(p.kernel) + ", stride=" + detail::py_int_or_pair(p.stride) +
         ", padding=" + detail::py_int_or_pair(p.padding);
}

}  // namespace

MaxPool2d::MaxPool2d(Size2 k, Size2 s, Size2 p) : Module("MaxPool2d"), p_(make_params("MaxPool2d", k, s, p)) {}

Tensor MaxPool2d::forward(const Tensor& x) {
  check_input("MaxPool2d", x);
  return max_pool2d(x, p_);
}

std::string MaxPool2d::extra_repr() const { return pool_repr(p_) + ", dilation=1, ceil_mode=False"; }

AvgPool2d::AvgPool2d(Size2 k, Size2 s, Size2 p) : Module("AvgPool2d"), p_(make_params("AvgPool2d", k, s, p)) {}

Tensor AvgPool2d::forward(const Tensor& x) {
  check_input("AvgPool2d", x);
  return avg_pool2d(x, p_);
}

std::string AvgPool2d::extra_repr() const { return pool_repr(p_); }

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 out) : Module("AdaptiveAvgPool2d"), out_(out) {
  EMBER_CHECK(out[0] >= 1 && out[1] >= 1, "AdaptiveAvgPool2d: output_size must be >= 1, got ",
              detail::py_int_or_pair(out));
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  check_input("AdaptiveAvgPool2d", x);
  return adaptive_avg_pool2d(x, out_);
}

std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + detail::py_int_or_pair(out_); }

}  // namespace ember::nn
