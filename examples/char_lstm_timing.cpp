// Times one training step (forward + backward, no optimizer) of a character-level LSTM language
// model: Embedding(vocab, embed) -> LSTM(embed, hidden, layers) -> Linear(hidden, vocab) ->
// cross-entropy against the next characters, on random tokens. Prints one JSON line with the
// median milliseconds per step; bench/rnn_vs_pytorch.py runs it beside the same model in PyTorch.
//   char_lstm_timing [--batch 32] [--seq 128] [--embed 128] [--hidden 256] [--layers 2]
//                    [--vocab 256] [--repeats 10] [--warmup 3] [--threads N] [--gru]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ember/ember.h"

using namespace ember;

int main(int argc, char** argv) {
  int64_t batch = 32, seq = 128, embed = 128, hidden = 256, layers = 2, vocab = 256, repeats = 10, warmup = 3,
          threads = 0;
  bool gru = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> int64_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "char_lstm_timing: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      const int64_t v = std::atoll(argv[++i]);
      if (v < 0 || (v == 0 && a != "--warmup" && a != "--threads")) {
        std::fprintf(stderr, "char_lstm_timing: %s must be a positive integer, got '%s'\n", a.c_str(), argv[i]);
        std::exit(2);
      }
      return v;
    };
    if (a == "--batch") batch = value();
    else if (a == "--seq") seq = value();
    else if (a == "--embed") embed = value();
    else if (a == "--hidden") hidden = value();
    else if (a == "--layers") layers = value();
    else if (a == "--vocab") vocab = value();
    else if (a == "--repeats") repeats = value();
    else if (a == "--warmup") warmup = value();
    else if (a == "--threads") threads = value();
    else if (a == "--gru") gru = true;
    else {
      std::fprintf(stderr, "char_lstm_timing: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  manual_seed(0);
  nn::Embedding emb(vocab, embed);
  nn::RNNOptions o;
  o.input_size = embed, o.hidden_size = hidden, o.num_layers = layers, o.batch_first = true;
  nn::LSTM lstm(o);
  nn::GRU gru_m(o);
  nn::Linear head(hidden, vocab);
  Tensor tokens = (rand({batch, seq + 1}) * (static_cast<double>(vocab) - 0.01)).to(kInt64);  // in [0, vocab)
  Tensor in = tokens.slice(1, 0, seq).contiguous(), target = tokens.slice(1, 1, seq + 1).contiguous();

  std::vector<double> ms;
  for (int64_t r = 0; r < warmup + repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    Tensor x = emb(in);                                   // (B,T,E)
    Tensor h = gru ? gru_m(x) : lstm(x);                  // (B,T,H)
    Tensor logits = head(h).reshape({batch * seq, vocab});
    Tensor loss = cross_entropy(logits, target.reshape({batch * seq}));
    loss.backward();
    for (nn::Module* m : std::initializer_list<nn::Module*>{&emb, &lstm, &gru_m, &head}) m->zero_grad();
    const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r >= warmup) ms.push_back(dt);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("{\"model\": \"%s\", \"ms_per_step\": %.3f, \"min_ms\": %.3f}\n", gru ? "gru" : "lstm",
              ms[ms.size() / 2], ms.front());
  return 0;
}
