// StagedArg: cached memory objects and reorders between a plain buffer and a primitive's layout.
#include "backends/cpu/onednn/staging.h"

#include "backends/cpu/onednn/onednn_common.h"

namespace ember::cpu::onednn {

StagedArg::StagedArg(const dnnl::memory::desc& plain, const dnnl::memory::desc& wanted, bool input)
    : wanted_(wanted), input_(input), direct_(plain == wanted) {
  user_ = dnnl::memory(plain, engine(), DNNL_MEMORY_NONE);
  if (direct_) return;
  staged_ = dnnl::memory(wanted, engine());  // scratch owned by this argument, allocated once
  reorder_ = input ? dnnl::reorder(user_, staged_) : dnnl::reorder(staged_, user_);
}

const dnnl::memory& StagedArg::bind(void* data, dnnl::stream& s) {
  user_.set_data_handle(data);
  if (direct_) return user_;
  if (input_) reorder_.execute(s, user_, staged_);
  return staged_;
}

void StagedArg::finish(dnnl::stream& s) {
  if (!direct_ && !input_) reorder_.execute(s, staged_, user_);
}

}  // namespace ember::cpu::onednn
