// Where a line plot's legend goes: the candidate spot (corners first, then edge middles) that
// covers the least of the drawn lines. Internal to src/io; its own header so tests can check it.
#pragma once
#include <utility>
#include <vector>

#include "io/plot_canvas.h"

namespace ember::io::detail {

/// A bw x bh box inside `area` (6 px from its edges) that the polylines `lines` (pixel
/// coordinates; a line of one point is a lone marker) cross the least, preferring top right,
/// bottom right, top left, bottom left, then the middles of the top, bottom, left and right
/// edges. Requires bw, bh > 0; a box that does not fit the area is never chosen unless none fits.
Rect place_legend(const Rect& area, int bw, int bh, const std::vector<std::vector<std::pair<double, double>>>& lines);

}  // namespace ember::io::detail
