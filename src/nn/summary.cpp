// nn::summarize and module_flops (see summary.h): a ModuleObserver that turns one forward pass
// into rows, and the per-layer FLOP convention.
#include "ember/nn/summary.h"

#include <unordered_map>
#include <utility>

#include "ember/autograd.h"
#include "ember/nn/activation.h"
#include "ember/nn/container.h"
#include "ember/nn/conv.h"
#include "ember/nn/embedding.h"
#include "ember/nn/linear.h"
#include "ember/nn/norm.h"
#include "ember/nn/pooling.h"
#include "ember/nn/rnn.h"

namespace ember::nn {

namespace {

template <class T>
bool is(const Module& m) {
  return dynamic_cast<const T*>(&m) != nullptr;
}

int64_t bytes_of(const Tensor& t) { return t.numel() * static_cast<int64_t>(dtype_size(t.dtype())); }

/// Puts every module's training flag back as it was when constructed.
class TrainingModes {
 public:
  explicit TrainingModes(Module& root) {
    saved_.emplace_back(&root, root.is_training());
    for (auto& [name, m] : root.named_modules()) saved_.emplace_back(m.get(), m->is_training());
  }
  ~TrainingModes() {
    // Pre-order: a module's train() sets its descendants, which then get their own flag back.
    for (auto& [m, on] : saved_) m->train(on);
  }
  TrainingModes(const TrainingModes&) = delete;
  TrainingModes& operator=(const TrainingModes&) = delete;

 private:
  std::vector<std::pair<Module*, bool>> saved_;
};

/// Records module calls as rows; a container's FLOPs are accumulated from the calls inside it.
class Recorder : public ModuleObserver {
 public:
  explicit Recorder(const Module& root) {
    names_[&root] = "";
    for (auto& [name, m] : root.named_modules()) names_.emplace(m.get(), name);  // first name wins
  }

  void pre(Module& m, const Tensor& input) override {
    SummaryRow r;
    auto it = names_.find(&m);
    r.name = it == names_.end() ? "<unregistered>" : it->second;
    r.type = m.name();
    r.depth = static_cast<int>(open_.size());
    r.input_shape = input.shape();
    r.input_bytes = bytes_of(input);
    for (const Tensor& p : m.parameters()) {
      r.params += p.numel();
      if (p.requires_grad()) r.trainable_params += p.numel();
    }
    if (!open_.empty()) rows_[open_.back()].innermost = false;
    open_.push_back(rows_.size());
    rows_.push_back(std::move(r));
  }

  void post(Module& m, const Tensor& /*input*/, const Tensor& output) override {
    SummaryRow& r = rows_[open_.back()];
    open_.pop_back();
    r.output_shape = output.shape();
    r.output_bytes = bytes_of(output);
    if (r.innermost) {
      std::optional<int64_t> f = module_flops(m, r.input_shape, r.output_shape);
      r.flops = f.value_or(0);
      r.flops_known = f.has_value();
    }
    if (!open_.empty()) {  // the enclosing call sums its calls (its own flops start at 0)
      SummaryRow& parent = rows_[open_.back()];
      parent.flops += r.flops;
      parent.flops_known = parent.flops_known && r.flops_known;
    }
  }

  void failed(Module& /*m*/, const Tensor& /*input*/) override {
    if (!failed_row_) failed_row_ = open_.back();  // the innermost call fails first
    open_.pop_back();
  }

  std::vector<SummaryRow>& rows() { return rows_; }
  std::optional<size_t> failed_row() const { return failed_row_; }

 private:
  std::unordered_map<const Module*, std::string> names_;
  std::vector<SummaryRow> rows_;
  std::vector<size_t> open_;  // rows whose call has not returned yet, outermost first
  std::optional<size_t> failed_row_;
};

}  // namespace

std::optional<int64_t> module_flops(const Module& m, const Shape& input, const Shape& output) {
  const int64_t in_n = shape_numel(input), out_n = shape_numel(output);
  if (const auto* c = dynamic_cast<const Conv2d*>(&m)) {
    const Conv2dOptions& o = c->options();
    const int64_t per_output = (o.in_channels() / o.groups()) * o.kernel_size()[0] * o.kernel_size()[1];
    return 2 * out_n * per_output + (c->bias().defined() ? out_n : 0);
  }
  if (const auto* l = dynamic_cast<const Linear*>(&m)) {
    const int64_t rows = in_n / l->in_features();
    return 2 * rows * l->in_features() * l->out_features() + (l->bias().defined() ? rows * l->out_features() : 0);
  }
  if (const auto* bn = dynamic_cast<const BatchNorm2d*>(&m))
    return in_n * (2 + (bn->weight().defined() ? 2 : 0) + (bn->is_training() ? 4 : 0));
  if (const auto* ln = dynamic_cast<const LayerNorm*>(&m)) return in_n * (6 + (ln->weight().defined() ? 2 : 0));
  if (is<ReLU>(m) || is<LeakyReLU>(m) || is<GELU>(m) || is<Tanh>(m) || is<Sigmoid>(m)) return in_n;
  if (is<MaxPool2d>(m) || is<AvgPool2d>(m) || is<AdaptiveAvgPool2d>(m)) return in_n;
  if (is<Dropout>(m)) return m.is_training() ? in_n : 0;
  if (is<Flatten>(m) || is<Embedding>(m)) return 0;
  if (const auto* r = dynamic_cast<const RNNBase*>(&m)) {
    const RNNOptions& o = r->options();
    const int64_t H = o.hidden_size, D = r->num_directions(), G = is<LSTM>(m) ? 4 : 3;
    const int64_t rows = out_n / (D * H);  // T*B whatever the layout
    int64_t f = 0;
    for (int64_t k = 0; k < o.num_layers; ++k) {
      const int64_t in = k == 0 ? o.input_size : D * H;
      f += D * rows * (2 * G * H * (in + H) + (o.bias ? 2 * G * H : 0) + (G == 4 ? 9 : 10) * H);
    }
    return f;
  }
  if (const auto* s = dynamic_cast<const Sequential*>(&m); s && s->empty()) return 0;
  return std::nullopt;
}

Summary summarize(Module& m, const Shape& input_shape, const SummaryOptions& options) {
  for (int64_t d : input_shape)
    EMBER_CHECK(d >= 1, "summarize: input sizes must be >= 1, got ", shape_str(input_shape));
  Summary s;
  s.input_shape = input_shape;
  Tensor x = zeros(input_shape, TensorOptions(options.dtype).with_device(options.device));
  s.input_bytes = bytes_of(x);

  Recorder rec(m);
  {
    TrainingModes restore(m);
    NoGradGuard no_grad;
    m.eval();
    ModuleObserverGuard watch(rec);
    try {
      s.output_shape = m(x).shape();
    } catch (const Error& e) {
      if (!rec.failed_row()) throw;
      const SummaryRow& r = rec.rows()[*rec.failed_row()];
      EMBER_FAIL("summarize: ", r.name.empty() ? "the module" : "'" + r.name + "'", " (", r.type,
                 ") failed on an input of shape ", shape_str(r.input_shape), ": ", e.what());
    }
  }
  s.rows = std::move(rec.rows());

  for (const Tensor& p : m.parameters()) {
    s.params += p.numel();
    if (p.requires_grad()) s.trainable_params += p.numel();
    s.param_bytes_by_dtype[p.dtype()] += bytes_of(p);
    s.param_bytes += bytes_of(p);
  }
  s.non_trainable_params = s.params - s.trainable_params;
  for (const Tensor& b : m.buffers()) s.buffer_bytes += bytes_of(b);
  for (const SummaryRow& r : s.rows) {
    if (!r.innermost) continue;
    s.flops += r.flops;
    s.activation_bytes += r.output_bytes;
    if (!r.flops_known) ++s.unknown_flop_calls;
  }
  return s;
}

}  // namespace ember::nn
