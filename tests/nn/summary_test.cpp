// nn::summarize tests: a small hand-made Sequential whose rows, FLOPs, parameters and memory
// are worked out by hand below; output shapes equal what forward returns; training modes and
// running statistics left as they were (also after a failing forward, whose error names the
// layer); unknown layers counted as 0 FLOPs and flagged; module_flops' convention per layer.
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;
using namespace ember::nn;

namespace {

/// Conv(2->4, 3x3, pad 1, bias) → BN(4) → ReLU → MaxPool(2) → Flatten → Dropout → Linear(16->3).
std::shared_ptr<Sequential> small_net() {
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(Conv2dOptions(2, 4, 3).padding(1)), std::make_shared<BatchNorm2d>(4),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
      std::make_shared<Dropout>(0.5), std::make_shared<Linear>(16, 3));
}

/// A layer module_flops does not know: x * 2.
class Double : public Module {
 public:
  Double() : Module("Double") {}
  Tensor forward(const Tensor& x) override { return mul(x, 2.0); }
};

}  // namespace

TEST(Summary, HandMadeSequential) {
  auto net = small_net();
  net->at<Conv2d>(0)->parameter("bias").set_requires_grad(false);
  const Summary s = summarize(*net, {2, 2, 4, 4});

  // Input (2, 2, 4, 4): the conv keeps 4x4 (128 outputs), the pool halves it (32), the head sees 16.
  struct Want {
    const char* name;
    const char* type;
    int depth;
    Shape out;
    int64_t params, flops;
  };
  const std::vector<Want> want = {
      {"", "Sequential", 0, {2, 3}, 135, 5702},
      {"0", "Conv2d", 1, {2, 4, 4, 4}, 4 * 2 * 9 + 4, 2 * 128 * (2 * 9) + 128},  // 2 MACs x 18 per output + bias
      {"1", "BatchNorm2d", 1, {2, 4, 4, 4}, 8, 4 * 128},                           // eval, affine: 4 per element
      {"2", "ReLU", 1, {2, 4, 4, 4}, 0, 128},
      {"3", "MaxPool2d", 1, {2, 4, 2, 2}, 0, 128},  // elements read
      {"4", "Flatten", 1, {2, 16}, 0, 0},
      {"5", "Dropout", 1, {2, 16}, 0, 0},  // eval: the identity
      {"6", "Linear", 1, {2, 3}, 16 * 3 + 3, 2 * 2 * 16 * 3 + 2 * 3},
  };
  ASSERT_EQ(s.rows.size(), want.size());
  int64_t leaf_flops = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const SummaryRow& r = s.rows[i];
    SCOPED_TRACE("row " + std::to_string(i));
    EXPECT_EQ(r.name, want[i].name);
    EXPECT_EQ(r.type, want[i].type);
    EXPECT_EQ(r.depth, want[i].depth);
    EXPECT_EQ(r.output_shape, want[i].out);
    EXPECT_EQ(r.output_bytes, shape_numel(want[i].out) * 4);
    EXPECT_EQ(r.params, want[i].params);
    EXPECT_EQ(r.flops, want[i].flops);
    EXPECT_TRUE(r.flops_known);
    EXPECT_EQ(r.innermost, i > 0);
    if (i > 0) leaf_flops += r.flops;
    if (i > 0) {
      EXPECT_EQ(r.input_shape, (i == 1 ? Shape{2, 2, 4, 4} : want[i - 1].out));
    }
  }
  EXPECT_EQ(leaf_flops, 5702);  // the container's row is the sum of its calls
  EXPECT_EQ(s.rows[1].trainable_params, 72);
  EXPECT_EQ(s.rows[0].trainable_params, 131);

  EXPECT_EQ(s.input_shape, (Shape{2, 2, 4, 4}));
  EXPECT_EQ(s.output_shape, (Shape{2, 3}));
  EXPECT_EQ(s.params, 135);
  EXPECT_EQ(s.trainable_params, 131);
  EXPECT_EQ(s.non_trainable_params, 4);
  EXPECT_EQ(s.flops, 5702);
  EXPECT_EQ(s.unknown_flop_calls, 0);
  EXPECT_EQ(s.param_bytes, 135 * 4);
  EXPECT_EQ(s.param_bytes_by_dtype, (std::map<DType, int64_t>{{DType::Float32, 540}}));
  EXPECT_EQ(s.buffer_bytes, 4 * 4 + 4 * 4 + 8);  // running_mean, running_var, int64 num_batches_tracked
  EXPECT_EQ(s.input_bytes, 2 * 2 * 4 * 4 * 4);
  // Outputs of the innermost calls: 128 (conv) + 128 (bn) + 128 (relu) + 32 x 3 + 6 floats.
  EXPECT_EQ(s.activation_bytes, (3 * 128 + 3 * 32 + 6) * 4);
  EXPECT_EQ(s.total_bytes(), 256 + 540 + 40 + 1944);
}

TEST(Summary, ShapesMatchForwardAndStateIsLeftAlone) {
  auto net = small_net();
  net->train();
  net->at<Dropout>(5)->eval();  // a mixed state, restored module by module
  const Tensor mean_before = net->at<BatchNorm2d>(1)->running_mean().clone();
  const Summary s = summarize(*net, {3, 2, 4, 4});
  EXPECT_TRUE(net->is_training());
  EXPECT_TRUE(net->at<BatchNorm2d>(1)->is_training());
  EXPECT_FALSE(net->at<Dropout>(5)->is_training());
  EXPECT_EQ(net->at<BatchNorm2d>(1)->num_batches_tracked().item<int64_t>(), 0);  // ran in eval mode
  EXPECT_ALLCLOSE(net->at<BatchNorm2d>(1)->running_mean(), mean_before, 0, 0);
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());

  net->eval();
  EXPECT_EQ(s.output_shape, (*net)(zeros({3, 2, 4, 4})).shape());
  for (const SummaryRow& r : s.rows) {
    if (r.name.empty()) continue;
    Module& m = *(*net)[std::stoul(r.name)];
    EXPECT_EQ(m(zeros(r.input_shape)).shape(), r.output_shape) << r.name;
  }
}

TEST(Summary, FailingForwardNamesTheLayerAndRestoresModes) {
  auto net = small_net();
  net->train();
  EXPECT_EMBER_ERROR(summarize(*net, {2, 3, 4, 4}), "summarize: '0' (Conv2d) failed on an input of shape [2,3,4,4]");
  EXPECT_TRUE(net->is_training());
  EXPECT_TRUE(net->at<BatchNorm2d>(1)->is_training());
  EXPECT_EQ(current_module_observer(), nullptr);
  EXPECT_EMBER_ERROR(summarize(*net, {2, 0, 4, 4}), "input sizes must be >= 1", "[2,0,4,4]");
}

TEST(Summary, UnknownLayersAreFlagged) {
  auto inner = std::make_shared<Sequential>(std::make_shared<Double>(), std::make_shared<ReLU>());
  auto net = std::make_shared<Sequential>(inner, std::make_shared<Linear>(5, 2, false));
  const Summary s = summarize(*net, {4, 5});
  ASSERT_EQ(s.rows.size(), 5u);
  EXPECT_EQ(s.rows[1].name, "0");
  EXPECT_EQ(s.rows[2].name, "0.0");
  EXPECT_EQ(s.rows[2].depth, 2);
  EXPECT_FALSE(s.rows[2].flops_known);  // Double
  EXPECT_EQ(s.rows[2].flops, 0);
  EXPECT_FALSE(s.rows[1].flops_known);  // contains it
  EXPECT_EQ(s.rows[1].flops, 20);       // the ReLU's
  EXPECT_FALSE(s.rows[0].flops_known);
  EXPECT_TRUE(s.rows[4].flops_known);
  EXPECT_EQ(s.rows[4].flops, 2 * 4 * 5 * 2);  // no bias
  EXPECT_EQ(s.flops, 20 + 80);
  EXPECT_EQ(s.unknown_flop_calls, 1);
}

TEST(Summary, OtherDtypeAndALeafAsTheRoot) {
  Linear fc(3, 4);
  fc.to(DType::Float64);
  const Summary s = summarize(fc, {2, 3}, {.dtype = DType::Float64});
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(s.rows[0].name, "");
  EXPECT_TRUE(s.rows[0].innermost);
  EXPECT_EQ(s.flops, 2 * 2 * 3 * 4 + 2 * 4);
  EXPECT_EQ(s.param_bytes_by_dtype, (std::map<DType, int64_t>{{DType::Float64, 16 * 8}}));
  EXPECT_EQ(s.input_bytes, 6 * 8);
  EXPECT_EQ(s.activation_bytes, 8 * 8);
}

TEST(ModuleFlops, Convention) {
  // Grouped, strided, no bias: (1, 6, 3, 3) outputs, each (4/2) x 3 x 3 multiply-accumulates.
  Conv2d conv(Conv2dOptions(4, 6, 3).stride(2).padding(1).groups(2).bias(false));
  EXPECT_EQ(module_flops(conv, {1, 4, 5, 5}, {1, 6, 3, 3}), 2 * 54 * 18);
  Linear fc(8, 5);  // (2, 3, 8) input: 6 rows
  EXPECT_EQ(module_flops(fc, {2, 3, 8}, {2, 3, 5}), 2 * 6 * 8 * 5 + 6 * 5);
  BatchNorm2d bn(2), plain_bn(2, 1e-5, 0.1, false);
  bn.eval(), plain_bn.eval();
  EXPECT_EQ(module_flops(bn, {1, 2, 2, 2}, {1, 2, 2, 2}), 4 * 8);
  EXPECT_EQ(module_flops(plain_bn, {1, 2, 2, 2}, {1, 2, 2, 2}), 2 * 8);
  bn.train();
  EXPECT_EQ(module_flops(bn, {1, 2, 2, 2}, {1, 2, 2, 2}), 8 * 8);
  LayerNorm ln({4}), plain_ln({4}, 1e-5, false);
  EXPECT_EQ(module_flops(ln, {3, 4}, {3, 4}), 8 * 12);
  EXPECT_EQ(module_flops(plain_ln, {3, 4}, {3, 4}), 6 * 12);
  EXPECT_EQ(module_flops(GELU(), {7}, {7}), 7);
  EXPECT_EQ(module_flops(AdaptiveAvgPool2d(1), {1, 3, 4, 4}, {1, 3, 1, 1}), 48);
  EXPECT_EQ(module_flops(AvgPool2d(2), {1, 1, 4, 4}, {1, 1, 2, 2}), 16);
  Dropout drop(0.5);
  EXPECT_EQ(module_flops(drop, {10}, {10}), 10);  // training: the mask multiply
  drop.eval();
  EXPECT_EQ(module_flops(drop, {10}, {10}), 0);
  EXPECT_EQ(module_flops(Flatten(), {2, 3, 4}, {2, 12}), 0);
  EXPECT_EQ(module_flops(Sequential(), {2}, {2}), 0);
  EXPECT_EQ(module_flops(*small_net(), {2, 2, 4, 4}, {2, 3}), std::nullopt);  // a container
  EXPECT_EQ(module_flops(Double(), {2}, {2}), std::nullopt);
}

// Recurrent layers: the two matrix products, the biases and the cell per layer and direction.
TEST(Summary, RecurrentLayerFlops) {
  RNNOptions o;
  o.input_size = 3, o.hidden_size = 4, o.num_layers = 2, o.bidirectional = true, o.batch_first = true;
  LSTM lstm(o);
  const Summary s = summarize(lstm, {2, 5, 3});  // B=2, T=5
  const int64_t rows = 10;
  const int64_t layer0 = rows * (2 * 16 * (3 + 4) + 2 * 16 + 9 * 4), layer1 = rows * (2 * 16 * (8 + 4) + 2 * 16 + 9 * 4);
  EXPECT_EQ(s.flops, 2 * (layer0 + layer1));
  EXPECT_EQ(s.output_shape, (Shape{2, 5, 8}));
  EXPECT_EQ(s.unknown_flop_calls, 0);
  o = RNNOptions{};
  o.input_size = 3, o.hidden_size = 4, o.bias = false;
  GRU gru(o);
  EXPECT_EQ(module_flops(gru, {5, 3}, {5, 4}), 5 * (2 * 12 * (3 + 4) + 10 * 4));  // unbatched (T,I)
}
