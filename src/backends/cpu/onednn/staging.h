// Staging between ember's plain (row-major) buffers and the layout a oneDNN primitive prefers
// (e.g. nChw16c activations, OIhw16i16o weights for convolutions chosen with format_tag::any).
// A StagedArg is built once per cached primitive: it owns the memory object that wraps the
// caller's buffer (re-pointed with set_data_handle on each call), and, when the layouts differ,
// a scratch buffer in the primitive's layout plus the reorder between the two. So a call creates
// no oneDNN objects; it only re-points handles and runs the reorders it needs.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace ember::cpu::onednn {

class StagedArg {
 public:
  StagedArg() = default;
  /// plain: the layout of the caller's buffer; wanted: the primitive's. input: the primitive
  /// reads the argument (reorder plain -> wanted before it runs), otherwise it writes it
  /// (reorder wanted -> plain after it runs).
  StagedArg(const dnnl::memory::desc& plain, const dnnl::memory::desc& wanted, bool input);

  /// Points at the caller's buffer and, for a staged input, reorders it into the scratch
  /// buffer. Returns the memory object to hand to the primitive.
  const dnnl::memory& bind(void* data, dnnl::stream& s);
  /// For a staged output: reorders the primitive's result into the caller's buffer.
  void finish(dnnl::stream& s);
  /// True when the caller's layout is the primitive's (no scratch, no reorder).
  bool direct() const { return direct_; }
  /// The primitive's layout of this argument.
  const dnnl::memory::desc& wanted() const { return wanted_; }

 private:
  dnnl::memory user_, staged_;
  dnnl::reorder reorder_;
  dnnl::memory::desc wanted_;
  bool input_ = true, direct_ = true;
};

}  // namespace ember::cpu::onednn
