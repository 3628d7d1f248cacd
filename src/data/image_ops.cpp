// Float-image helpers for the digit preprocessing: quantiles, blur, robust background fit,
// area-averaging resize, connected components, distance transform (see image_ops.h).
#include "data/image_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ember::data::detail {

float quantile(std::vector<float> values, double q) {
  size_t k = static_cast<size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return values[k];
}

Gray box_blur3(const Gray& g) {
  Gray out(g.w, g.h);
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < g.w; ++x) {
      float s = 0;
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx)
          s += g.at(std::clamp<int64_t>(x + dx, 0, g.w - 1), std::clamp<int64_t>(y + dy, 0, g.h - 1));
      out.at(x, y) = s / 9;
    }
  return out;
}

std::vector<float> border_band(const Gray& g, int64_t band) {
  std::vector<float> out;
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < g.w; ++x)
      if (x < band || y < band || x >= g.w - band || y >= g.h - band) out.push_back(g.at(x, y));
  return out;
}

namespace {

void basis(const Surface& s, int64_t x, int64_t y, double b[6]) {
  double u = s.w > 1 ? 2.0 * x / (s.w - 1) - 1 : 0, v = s.h > 1 ? 2.0 * y / (s.h - 1) - 1 : 0;
  b[0] = 1, b[1] = u, b[2] = v, b[3] = u * u, b[4] = u * v, b[5] = v * v;
}

/// Solves the n x n system a x = r (row-major a, n <= 6) by Gaussian elimination with partial
/// pivoting; false when it is (nearly) singular.
bool solve(double a[6][6], double r[6], int n, double x[6]) {
  for (int c = 0; c < n; ++c) {
    int p = c;
    for (int i = c + 1; i < n; ++i)
      if (std::fabs(a[i][c]) > std::fabs(a[p][c])) p = i;
    if (std::fabs(a[p][c]) < 1e-9 * std::max(1.0, std::fabs(a[0][0]))) return false;
    std::swap(a[p], a[c]);
    std::swap(r[p], r[c]);
    for (int i = c + 1; i < n; ++i) {
      double f = a[i][c] / a[c][c];
      for (int j = c; j < n; ++j) a[i][j] -= f * a[c][j];
      r[i] -= f * r[c];
    }
  }
  for (int i = n - 1; i >= 0; --i) {
    double s = r[i];
    for (int j = i + 1; j < n; ++j) s -= a[i][j] * x[j];
    x[i] = s / a[i][i];
  }
  return true;
}

}  // namespace

double Surface::at(int64_t x, int64_t y) const {
  double b[6];
  basis(*this, x, y, b);
  double s = 0;
  for (int i = 0; i < 6; ++i) s += c[i] * b[i];
  return s;
}

Surface fit_background(const Gray& g, int64_t band, float& sigma) {
  Surface s;
  s.w = g.w;
  s.h = g.h;
  s.c[0] = quantile(border_band(g, band), 0.5);
  // Least squares on a subsample of at most ~65k pixels.
  const int64_t step = std::max<int64_t>(1, static_cast<int64_t>(std::sqrt(static_cast<double>(g.w * g.h) / 65536.0)));
  for (int iter = 0; iter < 5; ++iter) {
    std::vector<float> res;
    for (int64_t y = 0; y < g.h; ++y)
      for (int64_t x = 0; x < g.w; ++x)
        if (x < band || y < band || x >= g.w - band || y >= g.h - band)
          res.push_back(static_cast<float>(std::fabs(g.at(x, y) - s.at(x, y))));
    sigma = std::max(0.004f, 1.4826f * quantile(res, 0.5));
    const double keep = std::max(3.0 * sigma, 0.03);
    double a[6][6] = {}, r[6] = {}, b[6];
    int64_t n = 0;
    for (int64_t y = 0; y < g.h; y += step)
      for (int64_t x = 0; x < g.w; x += step) {
        double v = g.at(x, y);
        if (std::fabs(v - s.at(x, y)) > keep) continue;
        basis(s, x, y, b);
        for (int i = 0; i < 6; ++i) {
          r[i] += b[i] * v;
          for (int j = 0; j < 6; ++j) a[i][j] += b[i] * b[j];
        }
        ++n;
      }
    if (n == 0) break;
    for (int terms : {6, 3, 1}) {  // quadratic, else a plane, else a constant
      if (n < 8 * terms) continue;
      double aa[6][6], rr[6], x[6] = {};
      for (int i = 0; i < 6; ++i) {
        rr[i] = r[i];
        for (int j = 0; j < 6; ++j) aa[i][j] = a[i][j];
      }
      if (!solve(aa, rr, terms, x)) continue;
      for (int i = 0; i < 6; ++i) s.c[i] = i < terms ? x[i] : 0;
      break;
    }
  }
  return s;
}

namespace {

struct Tap {
  int64_t src;
  float w;
};

/// For each of dst output positions along an axis of src pixels scaled by `scale`, the source
/// pixels and weights. Shrinking, output pixel i averages source [i/scale, (i+1)/scale) (the
/// last one may be partly outside: it is then partly covered, so the total mass is kept).
std::vector<std::vector<Tap>> axis_taps(int64_t src, int64_t dst, double scale) {
  std::vector<std::vector<Tap>> taps(static_cast<size_t>(dst));
  for (int64_t i = 0; i < dst; ++i) {
    auto& t = taps[static_cast<size_t>(i)];
    if (scale <= 1) {
      double lo = i / scale, hi = (i + 1) / scale;
      for (int64_t j = static_cast<int64_t>(lo); j < src && j < hi; ++j) {
        double overlap = std::min<double>(hi, j + 1) - std::max<double>(lo, j);
        if (overlap > 0) t.push_back({j, static_cast<float>(overlap * scale)});
      }
    } else {
      double c = (i + 0.5) / scale - 0.5;
      int64_t j = static_cast<int64_t>(std::floor(c));
      float f = static_cast<float>(c - static_cast<double>(j));
      t.push_back({std::clamp<int64_t>(j, 0, src - 1), 1 - f});
      t.push_back({std::clamp<int64_t>(j + 1, 0, src - 1), f});
    }
  }
  return taps;
}

}  // namespace

Gray resize(const Gray& g, double scale) {
  auto size = [&](int64_t n) { return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(n) * scale - 1e-6))); };
  const int64_t nw = size(g.w), nh = size(g.h);
  auto tx = axis_taps(g.w, nw, scale), ty = axis_taps(g.h, nh, scale);
  Gray rows(nw, g.h);
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < nw; ++x) {
      float s = 0;
      for (const Tap& t : tx[static_cast<size_t>(x)]) s += t.w * g.at(t.src, y);
      rows.at(x, y) = s;
    }
  Gray out(nw, nh);
  for (int64_t y = 0; y < nh; ++y)
    for (int64_t x = 0; x < nw; ++x) {
      float s = 0;
      for (const Tap& t : ty[static_cast<size_t>(y)]) s += t.w * rows.at(x, t.src);
      out.at(x, y) = s;
    }
  return out;
}

std::vector<int32_t> label_components(const Gray& g, int32_t& count) {
  std::vector<int32_t> labels(g.v.size(), 0);
  std::vector<int64_t> stack;
  count = 0;
  for (int64_t start = 0; start < static_cast<int64_t>(g.v.size()); ++start) {
    if (g.v[static_cast<size_t>(start)] <= 0 || labels[static_cast<size_t>(start)]) continue;
    labels[static_cast<size_t>(start)] = ++count;
    stack.push_back(start);
    while (!stack.empty()) {
      int64_t p = stack.back();
      stack.pop_back();
      int64_t px = p % g.w, py = p / g.w;
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx) {
          int64_t x = px + dx, y = py + dy;
          if (x < 0 || y < 0 || x >= g.w || y >= g.h) continue;
          size_t q = static_cast<size_t>(y * g.w + x);
          if (g.v[q] > 0 && !labels[q]) {
            labels[q] = count;
            stack.push_back(static_cast<int64_t>(q));
          }
        }
    }
  }
  return labels;
}

namespace {

/// Felzenszwalb & Huttenlocher's 1-D squared distance transform of f (n values) into d.
void edt_1d(const std::vector<double>& f, int64_t n, std::vector<double>& d) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::vector<double> z(static_cast<size_t>(n + 1));
  int64_t k = 0;
  v[0] = 0;
  z[0] = -std::numeric_limits<double>::infinity();
  z[1] = std::numeric_limits<double>::infinity();
  auto sq = [](int64_t q) { return static_cast<double>(q) * static_cast<double>(q); };
  auto cut = [&](int64_t q, int64_t p) {  // where the parabolas rooted at p and q intersect
    return ((f[static_cast<size_t>(q)] + sq(q)) - (f[static_cast<size_t>(p)] + sq(p))) / (2.0 * static_cast<double>(q - p));
  };
  for (int64_t q = 1; q < n; ++q) {
    double s = cut(q, v[static_cast<size_t>(k)]);
    while (s <= z[static_cast<size_t>(k)]) {  // z[0] is -inf, so k stays >= 0
      --k;
      s = cut(q, v[static_cast<size_t>(k)]);
    }
    ++k;
    v[static_cast<size_t>(k)] = q;
    z[static_cast<size_t>(k)] = s;
    z[static_cast<size_t>(k + 1)] = std::numeric_limits<double>::infinity();
  }
  k = 0;
  for (int64_t q = 0; q < n; ++q) {
    while (z[static_cast<size_t>(k + 1)] < static_cast<double>(q)) ++k;
    int64_t p = v[static_cast<size_t>(k)];
    d[static_cast<size_t>(q)] = sq(q - p) + f[static_cast<size_t>(p)];
  }
}

}  // namespace

std::vector<float> distance_to_mask(const std::vector<uint8_t>& mask, int64_t w, int64_t h) {
  const double far = 1e12;
  std::vector<double> grid(mask.size()), f(static_cast<size_t>(std::max(w, h))), d(f.size());
  for (size_t i = 0; i < mask.size(); ++i) grid[i] = mask[i] ? 0 : far;
  for (int64_t x = 0; x < w; ++x) {
    for (int64_t y = 0; y < h; ++y) f[static_cast<size_t>(y)] = grid[static_cast<size_t>(y * w + x)];
    edt_1d(f, h, d);
    for (int64_t y = 0; y < h; ++y) grid[static_cast<size_t>(y * w + x)] = d[static_cast<size_t>(y)];
  }
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) f[static_cast<size_t>(x)] = grid[static_cast<size_t>(y * w + x)];
    edt_1d(f, w, d);
    for (int64_t x = 0; x < w; ++x) grid[static_cast<size_t>(y * w + x)] = d[static_cast<size_t>(x)];
  }
  std::vector<float> out(mask.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(std::sqrt(grid[i]));
  return out;
}

}  // namespace ember::data::detail
