// Backend cases for conv2d: values and gradients (input, weight, bias) with stride + padding,
// dilation, groups (including depthwise), 1x1 kernels, non-square kernels/strides, LeNet's and
// ResNet's shapes, float64 and float16.
#include <cstdlib>

#include "harness/backend_cases.h"

namespace ember::test {
namespace {

/// conv2d of x (xs) with weight (ws) and, when with_bias, a bias: value and all gradients.
BackendCase conv_case(const char* name, Shape xs, Shape ws, bool with_bias, Conv2dParams p, double tol = 1e-4,
                      DType t = DType::Float32) {
  return {name, [xs, ws, with_bias, p, t](const Device& d) {
            Tensor x = input_on(d, xs, 201, true, t), w = input_on(d, ws, 202, true, t);
            if (!with_bias) return with_grads(conv2d(x, w, Tensor(), p), {x, w});
            Tensor b = input_on(d, {ws[0]}, 203, true, t);
            return with_grads(conv2d(x, w, b, p), {x, w, b});
          }, tol, tol};
}

Conv2dParams params(std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
                    std::array<int64_t, 2> dilation = {1, 1}, int64_t groups = 1) {
  Conv2dParams p;
  p.stride = stride, p.padding = padding, p.dilation = dilation, p.groups = groups;
  return p;
}

}  // namespace

std::vector<BackendCase> conv_cases() {
  std::vector<BackendCase> v;
  v.push_back(conv_case("conv2d_stride2_pad1_bias", {2, 3, 9, 11}, {4, 3, 3, 3}, true, params({2, 2}, {1, 1})));
  v.push_back(conv_case("conv2d_dilation2_no_bias", {2, 2, 10, 9}, {3, 2, 3, 2}, false, params({1, 1}, {2, 1}, {2, 2})));
  v.push_back(conv_case("conv2d_groups2_bias", {2, 4, 7, 8}, {6, 2, 3, 3}, true, params({1, 2}, {1, 0}, {1, 1}, 2)));
  v.push_back(conv_case("conv2d_depthwise", {3, 4, 6, 5}, {8, 1, 3, 3}, true, params({1, 1}, {1, 1}, {1, 1}, 4)));
  v.push_back(conv_case("conv2d_1x1_bias", {3, 5, 4, 6}, {7, 5, 1, 1}, true, params({1, 1}, {0, 0})));
  v.push_back(conv_case("conv2d_nonsquare_everything", {1, 3, 6, 13}, {2, 3, 2, 5}, false,
                        params({2, 3}, {1, 2}, {2, 1})));
  v.push_back(conv_case("conv2d_single_output_pixel", {2, 3, 4, 4}, {5, 3, 4, 4}, true, params({1, 1}, {0, 0})));
  // ResNet's shapes: the shortcut's conv1x1 stride 2 and torchvision's 7x7/2 stem (no bias).
  v.push_back(conv_case("conv2d_resnet_downsample_1x1_s2", {2, 6, 7, 8}, {5, 6, 1, 1}, false, params({2, 2}, {0, 0})));
  v.push_back(conv_case("conv2d_resnet_stem_7x7_s2", {2, 3, 13, 12}, {4, 3, 7, 7}, false, params({2, 2}, {3, 3}), 2e-4));
  v.push_back(conv_case("conv2d_lenet_conv1", {8, 1, 28, 28}, {6, 1, 5, 5}, true, params({1, 1}, {0, 0}), 1e-4));
  v.push_back(conv_case("conv2d_lenet_conv2", {8, 6, 12, 12}, {16, 6, 5, 5}, true, params({1, 1}, {0, 0}), 2e-4));
  v.push_back({"conv2d_batch_in_chunks", [](const Device& d) {
                 // A scratch cap of ~2 images' columns makes a backend that honours
                 // EMBER_OPENCL_CONV_SCRATCH_BYTES run the batch in several chunks (the weight
                 // gradient summed across them); the CPU ignores it.
                 ScopedEnv scratch("EMBER_OPENCL_CONV_SCRATCH_BYTES", "40000");
                 Tensor x = input_on(d, {7, 3, 9, 8}, 211, true), w = input_on(d, {4, 3, 3, 3}, 212, true);
                 Tensor b = input_on(d, {4}, 213, true);
                 Conv2dParams p;
                 p.padding = {1, 1};
                 return with_grads(conv2d(x, w, b, p), {x, w, b});
               }, 1e-4, 1e-4});
  v.push_back(conv_case("conv2d_float64_groups_stride", {2, 4, 9, 7}, {6, 2, 3, 3}, true,
                        params({2, 1}, {1, 1}, {1, 2}, 2), 1e-12, DType::Float64));
  v.push_back(conv_case("conv2d_float16", {2, 3, 7, 6}, {4, 3, 3, 3}, true, params({1, 1}, {1, 1}), 2e-2,
                        DType::Float16));
  return v;
}

}  // namespace ember::test
