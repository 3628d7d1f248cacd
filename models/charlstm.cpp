// CharLSTM (see charlstm.h): PyTorch word_language_model's RNNModel layout (encoder, rnn,
// decoder) over bytes.
#include "charlstm.h"

#include "ember/ember.h"

namespace ember::models {

CharLSTM::CharLSTM(const TextModelConfig& c) : TextModel("CharLSTM"), c_(c) {
  encoder_ = register_module("encoder", std::make_shared<nn::Embedding>(c.vocab_size, c.embedding));
  nn::RNNOptions o;
  o.input_size = c.embedding;
  o.hidden_size = c.width;
  o.num_layers = c.layers;
  o.batch_first = true;
  o.dropout = c.dropout;
  rnn_ = register_module("rnn", std::make_shared<nn::LSTM>(o));
  drop_ = register_module("drop", std::make_shared<nn::Dropout>(c.dropout));
  decoder_ = register_module("decoder", std::make_shared<nn::Linear>(c.width, c.vocab_size));
}

Tensor CharLSTM::forward(const Tensor& tokens) {
  EMBER_CHECK(tokens.dim() == 2, "charlstm: tokens must be (batch, time), got ", shape_str(tokens.shape()));
  return (*decoder_)((*drop_)((*rnn_)((*encoder_)(tokens))));
}

namespace {
struct LSTMState : GenerationState {
  nn::LSTM::State s;  // undefined until the first feed: zeros
};
}  // namespace

std::unique_ptr<GenerationState> CharLSTM::begin_generation(int64_t) { return std::make_unique<LSTMState>(); }

Tensor CharLSTM::feed(const Tensor& tokens, GenerationState& state) {
  auto& s = dynamic_cast<LSTMState&>(state);
  NoGradGuard ng;
  EMBER_CHECK(tokens.dim() == 2, "charlstm: tokens must be (batch, time), got ", shape_str(tokens.shape()));
  auto [out, next] = rnn_->forward_with_state((*encoder_)(tokens), s.s);
  s.s = next;
  s.position += tokens.size(1);
  return (*decoder_)(out.select(1, tokens.size(1) - 1));
}

}  // namespace ember::models
