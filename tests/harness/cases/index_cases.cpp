// Backend cases for indexing: index_select and gather forward and backward (the backward runs
// index_add / scatter_add) with repeated indices, int32 and int64 indices, strided operands,
// an embedding-like lookup, the index_add / scatter_add ops themselves, other dtypes, float64.
#include "harness/backend_cases.h"

namespace ember::test {
namespace {

/// Indices in [0,n) of shape s on d (many repeats when the shape is larger than n).
Tensor indices_on(const Device& d, const Shape& s, uint64_t seed, int64_t n, DType t = DType::Int64) {
  return input_on(Device("cpu"), s, seed, false, DType::Float32, 0, static_cast<double>(n) - 1e-3).to(t).to(d);
}

}  // namespace

std::vector<BackendCase> index_cases() {
  std::vector<BackendCase> v;
  v.push_back({"index_select_repeated", [](const Device& d) {
                 Tensor x = input_on(d, {7, 5}, 401, true);
                 Tensor i64 = from_vector(std::vector<int64_t>{3, 0, 3, 6, 3, 1}, {6}).to(d);
                 Tensor i32 = from_vector(std::vector<int64_t>{4, 4, 0, 2, 4, 1, 1}, {7}).to(DType::Int32).to(d);
                 Tensor y = add(sum(index_select(x, 0, i64), {0}),
                                sum(index_select(x.t(), 1, i32), {1}).slice(0, 0, 5));
                 return with_grads(y, {x});
               }});
  v.push_back({"index_select_strided_index", [](const Device& d) {
                 Tensor x = input_on(d, {4, 9, 3}, 402, true);
                 Tensor idx = indices_on(d, {2, 11}, 403, 9).select(0, 1);  // stride 1 view at an offset
                 Tensor idx2 = indices_on(d, {12, 2}, 404, 4, DType::Int32).select(1, 0);  // stride 2
                 Tensor y = add(sum(index_select(x, 1, idx), {1}),
                                sum(index_select(x.permute({1, 0, 2}), 1, idx2), {0, 1}));
                 return with_grads(y, {x});
               }});
  v.push_back({"gather_repeated", [](const Device& d) {
                 Tensor x = input_on(d, {4, 6}, 405, true);
                 Tensor i1 = indices_on(d, {4, 8}, 406, 6);
                 Tensor i0 = indices_on(d, {9, 5}, 407, 4, DType::Int32);
                 Tensor y = add(sum(gather(x, 1, i1), {1}), sum(gather(x, 0, i0), {0}).slice(0, 0, 4));
                 return with_grads(y, {x});
               }});
  v.push_back({"gather_3d_strided", [](const Device& d) {
                 Tensor x = input_on(d, {5, 4, 3}, 408, true);
                 Tensor xp = x.permute({2, 1, 0});  // (3,4,5)
                 Tensor idx = indices_on(d, {5, 6, 2}, 409, 4).permute({2, 1, 0});  // (2,6,5), strided
                 return with_grads(gather(xp, 1, idx), {x});
               }});
  v.push_back({"embedding_lookup", [](const Device& d) {
                 Tensor w = input_on(d, {50, 16}, 410, true);
                 Tensor tokens = indices_on(d, {8, 12}, 411, 20);  // many repeats among 20 of 50 rows
                 Tensor e = index_select(w, 0, tokens.reshape({-1})).reshape({8, 12, 16});
                 return with_grads(e, {w});
               }});
  v.push_back({"index_add_scatter_add_ops", [](const Device& d) {
                 Tensor x = input_on(d, {6, 5}, 412, true), src = input_on(d, {6, 9}, 413, true);
                 Tensor idx = indices_on(d, {9}, 414, 5, DType::Int32);
                 Tensor y = index_add(x, 1, idx, src);
                 Tensor x2 = input_on(d, {4, 7}, 415, true), src2 = input_on(d, {5, 9}, 416, true);
                 Tensor sidx = indices_on(d, {4, 6}, 417, 7);
                 Tensor z = scatter_add(x2, 1, sidx, src2);  // src larger than index
                 std::vector<Tensor> a = with_grads(y, {x, src});
                 std::vector<Tensor> b = with_grads(z, {x2, src2});
                 a.insert(a.end(), b.begin(), b.end());
                 return a;
               }});
  v.push_back({"index_other_dtypes", [](const Device& d) {
                 std::vector<Tensor> out;
                 Tensor idx = indices_on(d, {10}, 418, 6);
                 Tensor gi = indices_on(d, {6, 4}, 419, 3, DType::Int32);
                 for (DType t :
                      {DType::Int64, DType::Int32, DType::UInt8, DType::Bool, DType::Float16, DType::BFloat16}) {
                   Tensor x = input_on(d, {6, 3}, 420, false, DType::Float32, 0, 4).to(t);
                   out.push_back(index_select(x, 0, idx));
                   out.push_back(gather(x, 1, gi));
                   out.push_back(index_add(x, 0, idx, index_select(x, 0, idx)));
                   out.push_back(scatter_add(x, 1, gi, gather(x, 1, gi)));
                 }
                 return on_cpu(out);
               }, 0, 0});
  v.push_back({"index_float64", [](const Device& d) {
                 Tensor x = input_on(d, {8, 3}, 421, true, DType::Float64);
                 Tensor idx = indices_on(d, {20}, 422, 8);
                 Tensor gi = indices_on(d, {8, 7}, 423, 3, DType::Int32);
                 Tensor y = add(sum(index_select(x, 0, idx), {0}), sum(gather(x, 1, gi), {1}).slice(0, 0, 3));
                 return with_grads(y, {x});
               }, 1e-12, 1e-12});
  return v;
}

}  // namespace ember::test
