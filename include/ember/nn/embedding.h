// Embedding: a lookup table of num_embeddings vectors of size embedding_dim (torch::nn::Embedding).
#pragma once
#include "ember/nn/module.h"

namespace ember::nn {

/// Parameter "weight" (num_embeddings, embedding_dim), float32, initialised N(0, 1) from the
/// default generator. Requires both sizes >= 1. forward: int64/int32 indices of any shape,
/// each in [0, num_embeddings) -> (*indices.shape, embedding_dim). Gradients of repeated
/// indices accumulate.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim);
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  void reset_parameters();

  const Tensor& weight() const { return parameter("weight"); }
  int64_t num_embeddings() const { return num_; }
  int64_t embedding_dim() const { return dim_; }

 private:
  int64_t num_, dim_;
};

}  // namespace ember::nn
