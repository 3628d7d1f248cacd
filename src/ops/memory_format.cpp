// to_channels_last: a copy into the channels-last layout, recorded for autograd as a copy.
#include "ops/memory_format.h"

#include "autograd/record.h"
#include "core/tensor_impl.h"

namespace ember {

Tensor to_channels_last(const Tensor& t) {
  EMBER_CHECK(t.defined() && t.dim() == 4, "to_channels_last: needs a 4-D tensor, got ",
              t.defined() ? shape_str(t.shape()) : std::string("an undefined tensor"));
  if (is_channels_last(t)) return t;
  Tensor out = make_empty_channels_last(t.shape(), t.dtype(), t.impl()->backend());
  {
    NoGradGuard ng;
    out.copy_(t);
  }
  autograd::record("to_channels_last", {t}, {out}, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0]}; });
  return out;
}

}  // namespace ember
