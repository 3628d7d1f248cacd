// Backend cases for copy/convert and fill: dtype conversions, strided views, broadcasts.
#include "harness/backend_cases.h"

namespace ember::test {

std::vector<BackendCase> copy_cases() {
  std::vector<BackendCase> v;
  v.push_back({"copy_transpose_contiguous", [](const Device& d) {
                 return on_cpu({input_on(d, {7, 13}, 1).t().contiguous(),
                                input_on(d, {2, 3, 4, 5}, 2).permute({2, 0, 3, 1}).contiguous()});
               }});
  v.push_back({"copy_convert_dtypes", [](const Device& d) {
                 Tensor x = input_on(d, {5, 6}, 3, false, DType::Float32, -4, 4);
                 return on_cpu({x.to(DType::Int64), x.to(DType::Int32), x.to(DType::Bool), x.to(DType::Float16),
                                x.to(DType::BFloat16), x.to(DType::Float64), x.t().to(DType::Float16).to(DType::Float32),
                                x.to(DType::Int64).to(DType::Float32)});
               }});
  v.push_back({"copy_broadcast_into_view", [](const Device& d) {
                 Tensor dst = zeros({4, 6}, TensorOptions().with_device(d));
                 dst.slice(1, 1, 5).copy_(input_on(d, {4}, 4));           // broadcast row into a strided slice
                 dst.select(0, 2).copy_(input_on(d, {6}, 5, false, DType::Float64));  // converting copy
                 return on_cpu({dst});
               }});
  v.push_back({"fill_strided_and_factories", [](const Device& d) {
                 Tensor a = zeros({3, 8}, TensorOptions().with_device(d));
                 a.slice(1, 0, 8, 3).fill_(2.5);
                 Tensor i = full({5}, -7, TensorOptions(DType::Int64).with_device(d));
                 Tensor h = full({4}, 1.0 / 3.0, TensorOptions(DType::BFloat16).with_device(d));
                 return on_cpu({a, i, h, ones({2, 2}, TensorOptions(DType::Bool).with_device(d)),
                                arange(0.0, 10.0, 1.5, DType::Float32).to(d)});
               }, 0, 0});
  return v;
}

}  // namespace ember::test
