// nn::Module: the base of every layer and model, after torch::nn::Module. A module owns named
// parameters (trainable leaves), buffers (state such as running statistics) and child modules,
// and exposes them recursively under PyTorch's dotted names ("features.3.running_mean") so
// state dicts are interchangeable with PyTorch's. Every call through Module::operator() can be
// watched by a ModuleObserver (PyTorch's forward hooks, for all modules of a thread at once).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/tensor.h"

namespace ember::nn {

/// (name, tensor) pairs in registration order, as PyTorch's OrderedDict.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module;
using ModulePtr = std::shared_ptr<Module>;
using NamedModules = std::vector<std::pair<std::string, ModulePtr>>;

/// Sees every module call made through Module::operator() on the thread where it is installed
/// (with ModuleObserverGuard), nested calls included, in call order: pre(A), pre(A's child B),
/// post(B), ..., post(A). Direct calls of forward() are not seen, nor are ops a forward runs
/// itself (a functional relu inside a block). While pre, post or failed runs, no observer is
/// installed, so module calls an observer makes are not reported back to it.
class ModuleObserver {
 public:
  virtual ~ModuleObserver() = default;
  /// Before m.forward(input). An exception thrown here propagates and forward does not run.
  virtual void pre(Module& m, const Tensor& input) = 0;
  /// After m.forward(input) returned output.
  virtual void post(Module& m, const Tensor& input, const Tensor& output) = 0;
  /// Instead of post when m.forward(input) threw; the exception then propagates unchanged.
  virtual void failed(Module& /*m*/, const Tensor& /*input*/) {}
};

namespace detail {
/// The observer of this thread's module calls (null: none); change it only through
/// ModuleObserverGuard. Constant-initialised (no TLS wrapper) and in the initial-exec TLS model,
/// so reading it is a %fs-relative load, no __tls_get_addr call, also inside libember.so.
extern constinit thread_local ModuleObserver* module_observer [[gnu::tls_model("initial-exec")]];
}  // namespace detail

/// The observer installed on this thread, or null.
inline ModuleObserver* current_module_observer() { return detail::module_observer; }

/// Installs `observer` for this thread's module calls for the guard's lifetime, replacing
/// (not chaining) the one installed before, which the destructor puts back. Guards must be
/// destroyed in reverse order of construction (as scoped objects are); the observer must
/// outlive the guard.
class ModuleObserverGuard {
 public:
  explicit ModuleObserverGuard(ModuleObserver& observer) : prev_(detail::module_observer) {
    detail::module_observer = &observer;
  }
  ~ModuleObserverGuard() { detail::module_observer = prev_; }
  ModuleObserverGuard(const ModuleObserverGuard&) = delete;
  ModuleObserverGuard& operator=(const ModuleObserverGuard&) = delete;

 private:
  ModuleObserver* prev_;
};

class Module {
 public:
  /// type_name is what repr() and error messages call the module ("Linear", "Sequential").
  explicit Module(std::string type_name = "Module");
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The computation. The base class throws ember::Error (a module without a forward).
  virtual Tensor forward(const Tensor& x);
  /// forward(x), reported to this thread's ModuleObserver when one is installed. Modules call
  /// their children this way (never child->forward directly) so observers see every call.
  Tensor operator()(const Tensor& x) {
    if (ModuleObserver* o = detail::module_observer) [[unlikely]]
      return observed_call(*o, x);
    return forward(x);
  }

  /// The type name given at construction.
  const std::string& name() const { return type_name_; }

  // ---- registration ---------------------------------------------------------------------
  /// Registers a trainable tensor: a defined floating tensor, made a leaf (detached) with
  /// requires_grad set to `requires_grad`. Names must be non-empty, contain no '.', and be
  /// unique among this module's parameters, buffers and children. Returns (a handle to) the
  /// stored tensor; modules that convert with to() should look it up again by name afterwards.
  Tensor register_parameter(const std::string& name, const Tensor& t, bool requires_grad = true);
  /// Registers non-trainable state (any dtype, detached); same naming rules.
  Tensor register_buffer(const std::string& name, const Tensor& t);
  /// Registers a child module (non-null); same naming rules. Returns the child.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }

  // ---- access ---------------------------------------------------------------------------
  /// This module's own parameter / buffer by name; throws ember::Error when absent.
  Tensor& parameter(const std::string& name);
  const Tensor& parameter(const std::string& name) const;
  Tensor& buffer(const std::string& name);
  const Tensor& buffer(const std::string& name) const;
  bool has_parameter(const std::string& name) const;
  bool has_buffer(const std::string& name) const;

  /// Parameters with dotted names: own first, then each child's, depth first, as PyTorch.
  /// A tensor shared by several modules appears once (under its first name).
  NamedTensors named_parameters(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  /// Direct children in registration order.
  NamedModules named_children() const { return children_; }
  std::vector<ModulePtr> children() const;
  /// Every descendant with its dotted path (this module itself excluded).
  NamedModules named_modules() const;

  /// Total number of elements over parameters() (shared parameters counted once).
  int64_t num_parameters() const;

  // ---- modes and state ------------------------------------------------------------------
  /// Sets training mode on this module and every descendant.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Clears the gradient of every parameter (set_to_none, PyTorch's default) or fills it
  /// with zeros when set_to_none is false.
  void zero_grad(bool set_to_none = true);

  /// Moves every parameter and buffer to device d. Parameters are replaced by new leaves
  /// (keeping requires_grad and a converted grad), so build optimizers after calling to().
  Module& to(Device d);
  /// Converts floating parameters and buffers to the floating dtype t (integer buffers such
  /// as num_batches_tracked keep theirs). Same replacement rules as to(Device).
  Module& to(DType t);

  /// Parameters and buffers by dotted name, detached (sharing storage with the module).
  std::map<std::string, Tensor> state_dict() const;
  /// Copies values into the module's parameters and buffers in place (no autograd),
  /// converting dtype and device as needed. Shapes must match exactly. strict: throws one
  /// ember::Error listing every missing key, unexpected key and shape mismatch; non-strict
  /// ignores missing and unexpected keys but still rejects shape mismatches. Nothing is
  /// written when an error is thrown.
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  // ---- printing -------------------------------------------------------------------------
  /// PyTorch's module repr: "Linear(in_features=4, out_features=2, bias=True)", children
  /// listed one per line as "(name): ..." with nested indentation.
  virtual std::string repr() const;
  /// The part inside the parentheses for modules without children (PyTorch's extra_repr).
  virtual std::string extra_repr() const { return ""; }

 protected:
  void add_child(const std::string& name, ModulePtr m);

 private:
  Tensor observed_call(ModuleObserver& o, const Tensor& x);
  void check_new_name(const std::string& kind, const std::string& name) const;
  template <class F> void apply_tensors(F&& f);
  void collect(const std::string& prefix, bool params, bool recurse, NamedTensors& out,
               std::vector<const void*>& seen) const;

  std::string type_name_;
  bool training_ = true;
  NamedTensors params_;
  NamedTensors buffers_;
  NamedModules children_;
};

/// Prints m.repr().
std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace ember::nn
