// Embedding module: index_select on the weight, reshaped to the indices' shape.
#include "ember/nn/embedding.h"

#include "ember/nn/init.h"
#include "ember/ops/shape.h"

namespace ember::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim)
    : Module("Embedding"), num_(num_embeddings), dim_(embedding_dim) {
  EMBER_CHECK(num_embeddings >= 1 && embedding_dim >= 1, "Embedding: num_embeddings and embedding_dim must be >= 1, got ",
              num_embeddings, " and ", embedding_dim);
  register_parameter("weight", empty({num_, dim_}));
  reset_parameters();
}

void Embedding::reset_parameters() { init::normal_(weight(), 0.0, 1.0); }

Tensor Embedding::forward(const Tensor& indices) {
  EMBER_CHECK(indices.defined(), "Embedding.forward: undefined indices");
  EMBER_CHECK(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32,
              "Embedding.forward: indices must be int64 or int32, got ", dtype_name(indices.dtype()));
  Shape out = indices.shape();
  out.push_back(dim_);
  Tensor rows = index_select(weight(), 0, indices.reshape({indices.numel()}));
  return rows.reshape(out);
}

std::string Embedding::extra_repr() const { return std::to_string(num_) + ", " + std::to_string(dim_); }

}  // namespace ember::nn
