// Included first in sources whose formulas must round exactly as written (optimizer updates,
// schedules), as PyTorch's Python evaluates them: no multiply-add contraction, which would
// change results in the last bit (and break e.g. pct_start * total_steps - 1 == 0 in OneCycle).
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#elif defined(__clang__)
#pragma clang fp contract(off)
#endif
