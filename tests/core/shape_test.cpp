// Shape tests: the inline small vector behaves like std::vector<int64_t> for every operation
// tensor code uses, below and above its inline capacity, and converts to and from std::vector.
#include <numeric>
#include <stdexcept>

#include "harness/op_harness.h"

using namespace ember;

namespace {

/// Shape and std::vector hold the same values.
::testing::AssertionResult same(const Shape& s, const std::vector<int64_t>& v) {
  if (s.size() != v.size()) return ::testing::AssertionFailure() << "size " << s.size() << " vs " << v.size();
  for (size_t i = 0; i < v.size(); ++i)
    if (s[i] != v[i]) return ::testing::AssertionFailure() << "element " << i << ": " << s[i] << " vs " << v[i];
  return ::testing::AssertionSuccess();
}

std::vector<int64_t> iota(size_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 1);
  return v;
}

}  // namespace

TEST(Shape, ConstructorsMatchVector) {
  EXPECT_TRUE(same(Shape(), {}));
  EXPECT_TRUE(same(Shape{2, 3, 4}, {2, 3, 4}));
  EXPECT_TRUE(same(Shape(3), {0, 0, 0}));
  EXPECT_TRUE(same(Shape(2, 7), {7, 7}));
  std::vector<int64_t> v = iota(9);
  EXPECT_TRUE(same(Shape(v), v));
  EXPECT_TRUE(same(Shape(v.begin() + 2, v.end()), std::vector<int64_t>(v.begin() + 2, v.end())));
  std::vector<int64_t> back = Shape{5, 6};
  EXPECT_EQ(back, (std::vector<int64_t>{5, 6}));
  EXPECT_TRUE(Shape{}.empty());
}

TEST(Shape, CopyAndMoveInlineAndHeap) {
  for (size_t n : {size_t{0}, size_t{3}, Shape::kInline, Shape::kInline + 1, size_t{40}}) {
    std::vector<int64_t> v = iota(n);
    Shape a(v);
    Shape b = a;  // copy
    EXPECT_TRUE(same(b, v)) << n;
    b[0 % std::max<size_t>(n, 1)] = n ? -1 : 0;
    EXPECT_TRUE(same(a, v)) << "copy shares storage, n=" << n;
    Shape c = std::move(a);
    EXPECT_TRUE(same(c, v)) << n;
    EXPECT_TRUE(a.empty());  // NOLINT: moved-from is empty and usable
    a.push_back(1);
    EXPECT_TRUE(same(a, {1}));
    Shape d{9};
    d = c;  // copy-assign over a smaller shape
    EXPECT_TRUE(same(d, v)) << n;
    Shape e(50, 1);
    e = std::move(d);  // move-assign over a heap shape
    EXPECT_TRUE(same(e, v)) << n;
    e = e;  // self-assignment keeps the values
    EXPECT_TRUE(same(e, v)) << n;
  }
}

TEST(Shape, ModifiersMatchVector) {
  Shape s;
  std::vector<int64_t> v;
  for (int64_t i = 0; i < 20; ++i) {  // grows past the inline capacity
    s.push_back(i);
    v.push_back(i);
  }
  EXPECT_TRUE(same(s, v));
  s.insert(s.begin() + 3, 100);
  v.insert(v.begin() + 3, 100);
  s.insert(s.end(), {7, 8});
  v.insert(v.end(), {7, 8});
  s.insert(s.begin(), s.begin() + 1, s.begin() + 4);  // a range from itself
  const std::vector<int64_t> part(v.begin() + 1, v.begin() + 4);
  v.insert(v.begin(), part.begin(), part.end());
  EXPECT_TRUE(same(s, v));
  s.erase(s.begin() + 2);
  v.erase(v.begin() + 2);
  s.erase(s.begin(), s.begin() + 5);
  v.erase(v.begin(), v.begin() + 5);
  EXPECT_TRUE(same(s, v));
  s.pop_back();
  v.pop_back();
  s.resize(4);
  v.resize(4);
  EXPECT_TRUE(same(s, v));
  s.resize(8, -2);
  v.resize(8, -2);
  EXPECT_TRUE(same(s, v));
  EXPECT_EQ(s.back(), -2);
  EXPECT_EQ(s.front(), v.front());
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_THROW(s.at(0), std::out_of_range);
}

TEST(Shape, ComparisonsAndStrings) {
  EXPECT_EQ((Shape{1, 2}), (Shape{1, 2}));
  EXPECT_NE((Shape{1, 2}), (Shape{1, 2, 3}));
  EXPECT_NE((Shape{1, 2}), (Shape{1, 3}));
  EXPECT_TRUE((Shape{1, 2}) < (Shape{1, 3}));
  EXPECT_EQ(Shape(iota(10)), Shape(iota(10)));
  EXPECT_EQ(shape_str(Shape{2, 3}), "[2,3]");
  EXPECT_EQ(shape_numel(Shape(iota(7))), 5040);
}

TEST(Shape, HighRankTensorsWork) {
  // Rank 8 spills to the heap in sizes and strides; views and ops still work.
  Shape s(8, 2);
  Tensor x = arange(256, TensorOptions(kFloat32)).reshape(s);
  EXPECT_EQ(x.shape(), s);
  EXPECT_EQ(x.strides()[0], 128);
  Tensor y = add(x, x.permute({7, 6, 5, 4, 3, 2, 1, 0}).contiguous().permute({7, 6, 5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(sum(y).item<double>(), 2.0 * (255 * 256 / 2));
  EXPECT_EQ(x.unsqueeze(3).dim(), 9);
  EXPECT_EMBER_ERROR(x.view({3, -1}), "view");
}
