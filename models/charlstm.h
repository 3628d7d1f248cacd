// The character-level LSTM language model (see ember/models/text.h, "charlstm").
#pragma once
#include "ember/models/text.h"
#include "ember/nn/rnn.h"

namespace ember::models {

class CharLSTM : public TextModel {
 public:
  /// Requires a resolved config (resolve_text_config("charlstm", ...)).
  explicit CharLSTM(const TextModelConfig& c);
  Tensor forward(const Tensor& tokens) override;
  int64_t vocab_size() const override { return c_.vocab_size; }
  int64_t max_context() const override { return 0; }
  std::unique_ptr<GenerationState> begin_generation(int64_t batch) override;
  Tensor feed(const Tensor& tokens, GenerationState& state) override;

 private:
  TextModelConfig c_;
  std::shared_ptr<nn::Embedding> encoder_;
  std::shared_ptr<nn::LSTM> rnn_;
  std::shared_ptr<nn::Dropout> drop_;
  std::shared_ptr<nn::Linear> decoder_;
};

}  // namespace ember::models
