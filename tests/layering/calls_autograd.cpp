// A probe for layers.calls_run_down: code compiled with core's include scope that calls a
// function of the layer above (autograd's grad_enabled(), declared by hand as an upward call
// would be). It must fail to link against core alone and link against core + ops.
#include "core/backend.h"

namespace ember {
bool grad_enabled();
}

bool ember_layer_probe() { return ember::grad_enabled(); }
