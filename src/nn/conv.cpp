// Conv2d module: parameter layout, PyTorch's default initialisation, forward via conv2d.
#include "ember/nn/conv.h"

#include <cmath>

#include "ember/nn/init.h"
#include "nn/repr.h"

namespace ember::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride, int64_t padding,
               int64_t dilation, int64_t groups, bool bias)
    : Conv2d(Conv2dOptions(in_channels, out_channels, kernel_size)
                 .stride(stride)
                 .padding(padding)
                 .dilation(dilation)
                 .groups(groups)
                 .bias(bias)) {}

Conv2d::Conv2d(const Conv2dOptions& o) : Module("Conv2d"), opts_(o) {
  const auto &k = o.kernel_size(), &s = o.stride(), &p = o.padding(), &d = o.dilation();
  EMBER_CHECK(o.in_channels() >= 1 && o.out_channels() >= 1, "Conv2d: channels must be >= 1, got in_channels=",
              o.in_channels(), " out_channels=", o.out_channels());
  EMBER_CHECK(k[0] >= 1 && k[1] >= 1 && s[0] >= 1 && s[1] >= 1 && d[0] >= 1 && d[1] >= 1 && p[0] >= 0 && p[1] >= 0,
              "Conv2d: needs kernel_size, stride, dilation >= 1 and padding >= 0, got kernel_size=",
              detail::py_tuple({k[0], k[1]}), " stride=", detail::py_tuple({s[0], s[1]}),
              " padding=", detail::py_tuple({p[0], p[1]}), " dilation=", detail::py_tuple({d[0], d[1]}));
  EMBER_CHECK(o.groups() >= 1 && o.in_channels() % o.groups() == 0 && o.out_channels() % o.groups() == 0,
              "Conv2d: groups=", o.groups(), " must be >= 1 and divide in_channels=", o.in_channels(),
              " and out_channels=", o.out_channels());
  register_parameter("weight", empty({o.out_channels(), o.in_channels() / o.groups(), k[0], k[1]}));
  if (o.bias()) register_parameter("bias", empty({o.out_channels()}));
  reset_parameters();
}

void Conv2d::reset_parameters() {
  init::kaiming_uniform_(weight(), std::sqrt(5.0));
  if (has_parameter("bias")) {
    auto fans = init::calculate_fan_in_and_fan_out(weight());
    double bound = 1.0 / std::sqrt(static_cast<double>(fans.first));
    init::uniform_(parameter("bias"), -bound, bound);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  EMBER_CHECK(x.defined(), "Conv2d.forward: undefined input");
  EMBER_CHECK(x.dim() == 4 && x.size(1) == opts_.in_channels(), "Conv2d.forward: expected input (N, ",
              opts_.in_channels(), ", H, W), got shape ", shape_str(x.shape()));
  Conv2dParams p;
  p.stride = opts_.stride();
  p.padding = opts_.padding();
  p.dilation = opts_.dilation();
  p.groups = opts_.groups();
  return conv2d(x, weight(), bias(), p);
}

std::string Conv2d::extra_repr() const {
  const auto& o = opts_;
  auto tup = [](const Conv2dOptions::Pair& v) { return detail::py_tuple({v[0], v[1]}); };
  std::string s = std::to_string(o.in_channels()) + ", " + std::to_string(o.out_channels()) +
                  ", kernel_size=" + tup(o.kernel_size()) + ", stride=" + tup(o.stride());
  if (o.padding() != Conv2dOptions::Pair{0, 0}) s += ", padding=" + tup(o.padding());
  if (o.dilation() != Conv2dOptions::Pair{1, 1}) s += ", dilation=" + tup(o.dilation());
  if (o.groups() != 1) s += ", groups=" + std::to_string(o.groups());
  if (!o.bias()) s += ", bias=False";
  return s;
}

}  // namespace ember::nn
