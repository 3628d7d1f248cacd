// nn::Module: registration, recursive traversal with PyTorch's dotted names, modes,
// device/dtype conversion, state dicts, the PyTorch-style repr and observed calls.
#include "ember/nn/module.h"

#include <algorithm>
#include <sstream>

#include "ember/autograd.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {

const Tensor* find(const NamedTensors& v, const std::string& name) {
  for (const auto& [n, t] : v)
    if (n == name) return &t;
  return nullptr;
}

std::string join_quoted(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
  return s;
}

/// Uninstalls this thread's observer for a scope (while an observer's callback runs).
class ObserverPause {
 public:
  ObserverPause() : prev_(detail::module_observer) { detail::module_observer = nullptr; }
  ~ObserverPause() { detail::module_observer = prev_; }
  ObserverPause(const ObserverPause&) = delete;
  ObserverPause& operator=(const ObserverPause&) = delete;

 private:
  ModuleObserver* prev_;
};

}  // namespace

namespace detail {
constinit thread_local ModuleObserver* module_observer [[gnu::tls_model("initial-exec")]] = nullptr;
}  // namespace detail

Tensor Module::observed_call(ModuleObserver& o, const Tensor& x) {
  {
    ObserverPause pause;
    o.pre(*this, x);
  }
  Tensor y;
  try {
    y = forward(x);
  } catch (...) {
    ObserverPause pause;
    o.failed(*this, x);
    throw;
  }
  ObserverPause pause;
  o.post(*this, x, y);
  return y;
}

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

Tensor Module::forward(const Tensor&) {
  EMBER_FAIL(type_name_, ".forward: this module does not implement forward(Tensor)");
}

void Module::check_new_name(const std::string& kind, const std::string& name) const {
  EMBER_CHECK(!name.empty(), type_name_, ".register_", kind, ": name must be non-empty");
  EMBER_CHECK(name.find('.') == std::string::npos, type_name_, ".register_", kind, ": name '", name,
              "' must not contain '.'");
  bool taken = find(params_, name) || find(buffers_, name) ||
               std::any_of(children_.begin(), children_.end(), [&](const auto& c) { return c.first == name; });
  EMBER_CHECK(!taken, type_name_, ".register_", kind, ": name '", name, "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, const Tensor& t, bool requires_grad) {
  check_new_name("parameter", name);
  EMBER_CHECK(t.defined(), type_name_, ".register_parameter: '", name, "' is an undefined tensor");
  EMBER_CHECK(!requires_grad || is_floating(t.dtype()), type_name_, ".register_parameter: '", name,
              "' must be floating to require grad, got ", dtype_name(t.dtype()));
  // A leaf keeps its identity (a caller's handle sees the gradients); a non-leaf is detached.
  Tensor p = t.is_leaf() ? t : t.detach();
  p.set_requires_grad(requires_grad);
  params_.emplace_back(name, p);
  return params_.back().second;
}

Tensor Module::register_buffer(const std::string& name, const Tensor& t) {
  check_new_name("buffer", name);
  EMBER_CHECK(t.defined(), type_name_, ".register_buffer: '", name, "' is an undefined tensor");
  buffers_.emplace_back(name, t.detach());
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, ModulePtr m) {
  check_new_name("module", name);
  EMBER_CHECK(m != nullptr, type_name_, ".register_module: '", name, "' is null");
  children_.emplace_back(name, std::move(m));
}

Tensor& Module::parameter(const std::string& name) {
  return const_cast<Tensor&>(static_cast<const Module*>(this)->parameter(name));
}
const Tensor& Module::parameter(const std::string& name) const {
  const Tensor* t = find(params_, name);
  EMBER_CHECK(t, type_name_, ": no parameter named '", name, "'");
  return *t;
}
Tensor& Module::buffer(const std::string& name) {
  return const_cast<Tensor&>(static_cast<const Module*>(this)->buffer(name));
}
const Tensor& Module::buffer(const std::string& name) const {
  const Tensor* t = find(buffers_, name);
  EMBER_CHECK(t, type_name_, ": no buffer named '", name, "'");
  return *t;
}
bool Module::has_parameter(const std::string& name) const { return find(params_, name) != nullptr; }
bool Module::has_buffer(const std::string& name) const { return find(buffers_, name) != nullptr; }

void Module::collect(const std::string& prefix, bool params, bool recurse, NamedTensors& out,
                     std::vector<const void*>& seen) const {
  for (const auto& [n, t] : params ? params_ : buffers_) {
    const void* key = t.impl();
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    out.emplace_back(prefix + n, t);
  }
  if (!recurse) return;
  for (const auto& [n, c] : children_) c->collect(prefix + n + ".", params, true, out, seen);
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  std::vector<const void*> seen;
  collect("", true, recurse, out, seen);
  return out;
}
std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}
NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  std::vector<const void*> seen;
  collect("", false, recurse, out, seen);
  return out;
}
std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}

std::vector<ModulePtr> Module::children() const {
  std::vector<ModulePtr> out;
  for (const auto& [n, c] : children_) out.push_back(c);
  return out;
}

NamedModules Module::named_modules() const {
  NamedModules out;
  for (const auto& [n, c] : children_) {
    out.emplace_back(n, c);
    for (auto& [cn, cc] : c->named_modules()) out.emplace_back(n + "." + cn, cc);
  }
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (set_to_none || !p.grad().defined()) {
      p.zero_grad();
    } else {
      NoGradGuard ng;
      p.grad().fill_(0.0);
    }
  }
}

template <class F>
void Module::apply_tensors(F&& f) {
  for (auto& [n, t] : params_) {
    Tensor nt = f(t);
    if (nt.is_same(t)) continue;
    nt.set_requires_grad(t.requires_grad());
    if (t.grad().defined()) nt.set_grad(f(t.grad()));
    t = nt;
  }
  for (auto& [n, t] : buffers_) t = f(t);
  for (auto& [n, c] : children_) c->apply_tensors(f);
}

Module& Module::to(Device d) {
  NoGradGuard ng;
  apply_tensors([&](const Tensor& t) { return t.device() == d ? t : t.detach().to(d); });
  return *this;
}

Module& Module::to(DType dt) {
  EMBER_CHECK(is_floating(dt), type_name_, ".to: modules convert to floating dtypes only, got ", dtype_name(dt));
  NoGradGuard ng;
  apply_tensors([&](const Tensor& t) {
    return (!is_floating(t.dtype()) || t.dtype() == dt) ? t : t.detach().to(dt);
  });
  return *this;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  // Every name, as PyTorch: a tensor shared by two modules appears under both.
  std::vector<std::pair<std::string, const Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [prefix, m] = stack.back();
    stack.pop_back();
    for (const auto& [n, t] : m->params_) out[prefix + n] = t.detach();
    for (const auto& [n, t] : m->buffers_) out[prefix + n] = t.detach();
    for (const auto& [n, c] : m->children_) stack.emplace_back(prefix + n + ".", c.get());
  }
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  // Destination slots by dotted name (parameters and buffers, every name).
  std::map<std::string, Tensor> dst = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [k, v] : dst)
    if (!state.count(k)) missing.push_back(k);
  for (const auto& [k, v] : state) {
    auto it = dst.find(k);
    if (it == dst.end()) {
      unexpected.push_back(k);
    } else if (!v.defined()) {
      mismatched.push_back("for \"" + k + "\": the checkpoint holds an undefined tensor");
    } else if (v.shape() != it->second.shape()) {
      mismatched.push_back("for \"" + k + "\": copying a tensor of shape " + shape_str(v.shape()) +
                           " from the checkpoint, the shape in the current model is " +
                           shape_str(it->second.shape()));
    }
  }
  bool bad = !mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()));
  if (bad) {
    std::ostringstream os;
    os << "load_state_dict: error(s) in loading state_dict for " << type_name_ << ":";
    if (strict && !missing.empty()) os << "\n  missing keys: " << join_quoted(missing);
    if (strict && !unexpected.empty()) os << "\n  unexpected keys: " << join_quoted(unexpected);
    for (const auto& m : mismatched) os << "\n  size mismatch " << m;
    throw Error(os.str());
  }
  NoGradGuard ng;
  for (const auto& [k, v] : state) {
    auto it = dst.find(k);
    if (it != dst.end()) it->second.copy_(v);
  }
}

std::string Module::repr() const {
  std::vector<std::string> lines;
  std::string extra = extra_repr();
  size_t n_extra = 0;
  if (!extra.empty()) {
    std::istringstream is(extra);
    for (std::string l; std::getline(is, l);) lines.push_back(l), ++n_extra;
  }
  for (const auto& [n, c] : children_) lines.push_back("(" + n + "): " + detail::add_indent(c->repr(), 2));
  std::string s = type_name_ + "(";
  if (n_extra == 1 && children_.empty()) {
    s += lines[0];
  } else if (!lines.empty()) {
    s += "\n";
    for (const auto& l : lines) s += "  " + l + "\n";
  }
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.repr(); }

}  // namespace ember::nn
