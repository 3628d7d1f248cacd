// Layer tests: every module's forward against its functional op, BatchNorm2d and Dropout in
// train vs eval mode (running statistics, num_batches_tracked), Embedding forward/backward,
// a float64 gradcheck through a small Sequential (input and every parameter), constructor
// and forward errors, and the PyTorch repr of each layer.
#include <cmath>

#include "harness/module_gradcheck.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;
using namespace ember::nn;

TEST(Layers, LinearMatchesFunctional) {
  manual_seed(10);
  Linear fc(5, 3);
  EXPECT_EQ(fc.weight().shape(), (Shape{3, 5}));
  EXPECT_EQ(fc.bias().shape(), (Shape{3}));
  Tensor x = rand({2, 4, 5});
  EXPECT_ALLCLOSE(fc.forward(x), linear(x, fc.weight(), fc.bias()), 0, 0);
  EXPECT_EQ(fc(x).shape(), (Shape{2, 4, 3}));
  Linear nb(5, 3, false);
  EXPECT_FALSE(nb.bias().defined());
  EXPECT_EQ(nb.named_parameters().size(), 1u);
  EXPECT_ALLCLOSE(nb.forward(x), matmul(x, nb.weight().t()), 1e-6, 1e-6);
  EXPECT_EMBER_ERROR(fc.forward(rand({2, 4})), "Linear.forward", "in_features=5", "[2,4]");
  EXPECT_EMBER_ERROR(Linear(0, 3), "Linear", "in_features");
}

TEST(Layers, Conv2dMatchesFunctional) {
  manual_seed(11);
  Conv2d conv(Conv2dOptions(4, 6, 3).stride(2).padding(1).groups(2));
  EXPECT_EQ(conv.weight().shape(), (Shape{6, 2, 3, 3}));
  EXPECT_EQ(conv.options().stride(), (std::array<int64_t, 2>{2, 2}));
  Tensor x = rand({2, 4, 7, 7});
  Conv2dParams p;
  p.stride = {2, 2};
  p.padding = {1, 1};
  p.groups = 2;
  EXPECT_ALLCLOSE(conv.forward(x), conv2d(x, conv.weight(), conv.bias(), p), 0, 0);
  EXPECT_EQ(conv.forward(x).shape(), (Shape{2, 6, 4, 4}));
  Conv2d plain(4, 2, 3, 1, 0, 2, 1, false);
  EXPECT_FALSE(plain.bias().defined());
  Conv2dParams q;
  q.dilation = {2, 2};
  EXPECT_ALLCLOSE(plain.forward(x), conv2d(x, plain.weight(), Tensor(), q), 0, 0);
  EXPECT_EMBER_ERROR(conv.forward(rand({2, 3, 7, 7})), "Conv2d.forward", "(N, 4, H, W)", "[2,3,7,7]");
  EXPECT_EMBER_ERROR(conv.forward(rand({4, 7, 7})), "Conv2d.forward");
  EXPECT_EMBER_ERROR(Conv2d(Conv2dOptions(3, 6, 3).groups(2)), "groups=2", "in_channels=3");
  EXPECT_EMBER_ERROR(Conv2d(3, 6, 0), "kernel_size");
  EXPECT_EMBER_ERROR(Conv2d(Conv2dOptions(3, 6, 3).padding(-1)), "padding");
}

TEST(Layers, BatchNorm2dTrainEval) {
  BatchNorm2d bn(3, 1e-5, 0.2);
  EXPECT_ALLCLOSE(bn.weight(), ones({3}), 0, 0);
  EXPECT_ALLCLOSE(bn.bias(), zeros({3}), 0, 0);
  EXPECT_ALLCLOSE(bn.running_mean(), zeros({3}), 0, 0);
  EXPECT_ALLCLOSE(bn.running_var(), ones({3}), 0, 0);
  EXPECT_EQ(bn.num_batches_tracked().dim(), 0);
  EXPECT_EQ(bn.num_batches_tracked().dtype(), kInt64);
  EXPECT_EQ(bn.num_batches_tracked().item<int64_t>(), 0);
  Tensor x = add(mul(uniform({4, 3, 2, 2}, -1, 1, 5), 3.0), 1.0).to(kFloat32);
  Tensor rm = zeros({3}), rv = ones({3});
  Tensor expect = batch_norm(x, rm, rv, bn.weight(), bn.bias(), true, 0.2, 1e-5);
  EXPECT_ALLCLOSE(bn.forward(x), expect, 1e-6, 1e-6);
  EXPECT_ALLCLOSE(bn.running_mean(), rm, 1e-6, 1e-7);
  EXPECT_ALLCLOSE(bn.running_var(), rv, 1e-6, 1e-7);
  EXPECT_FALSE(bn.running_mean().requires_grad());
  EXPECT_EQ(bn.num_batches_tracked().item<int64_t>(), 1);
  bn.forward(x);
  EXPECT_EQ(bn.num_batches_tracked().item<int64_t>(), 2);
  // Eval: running statistics, nothing updated, a different result from training mode.
  bn.eval();
  Tensor rm_before = bn.running_mean().clone();
  Tensor y_eval = bn.forward(x);
  EXPECT_ALLCLOSE(y_eval, batch_norm(x, bn.running_mean(), bn.running_var(), bn.weight(), bn.bias(), false), 1e-6, 1e-6);
  EXPECT_FALSE(allclose(y_eval, expect, 1e-3, 1e-3));
  EXPECT_ALLCLOSE(bn.running_mean(), rm_before, 0, 0);
  EXPECT_EQ(bn.num_batches_tracked().item<int64_t>(), 2);
  // Without running stats: no buffers, batch statistics in both modes.
  BatchNorm2d free(3, 1e-5, 0.1, false, false);
  EXPECT_TRUE(free.named_parameters().empty());
  EXPECT_TRUE(free.named_buffers().empty());
  free.eval();
  EXPECT_ALLCLOSE(free.forward(x), batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true), 1e-6, 1e-6);
  EXPECT_EMBER_ERROR(bn.forward(rand({4, 3, 2})), "BatchNorm2d.forward", "4D", "[4,3,2]");
  EXPECT_EMBER_ERROR(bn.forward(rand({4, 2, 2, 2})), "expected 3 channels");
  EXPECT_EMBER_ERROR(BatchNorm2d(0), "num_features");
  EXPECT_EMBER_ERROR(BatchNorm2d(3, 0.0), "eps");
  EXPECT_EMBER_ERROR(BatchNorm2d(3, 1e-5, 1.5), "momentum");
}

TEST(Layers, LayerNormMatchesFunctional) {
  LayerNorm ln({2, 3});
  EXPECT_EQ(ln.weight().shape(), (Shape{2, 3}));
  Tensor x = rand({4, 2, 3});
  EXPECT_ALLCLOSE(ln.forward(x), layer_norm(x, {2, 3}, ln.weight(), ln.bias()), 0, 0);
  LayerNorm plain({3}, 1e-3, false);
  EXPECT_TRUE(plain.named_parameters().empty());
  EXPECT_ALLCLOSE(plain.forward(x), layer_norm(x, {3}, Tensor(), Tensor(), 1e-3), 0, 0);
  EXPECT_EMBER_ERROR(ln.forward(rand({4, 3, 2})), "LayerNorm.forward", "[2,3]", "[4,3,2]");
  EXPECT_EMBER_ERROR(LayerNorm(Shape{}), "non-empty");
}

TEST(Layers, DropoutTrainEval) {
  Dropout d(0.3);
  Tensor x = ones({4000});
  manual_seed(42);
  Tensor y = d.forward(x);
  manual_seed(42);
  EXPECT_ALLCLOSE(y, dropout(x, 0.3, true), 0, 0);
  double zero_frac = 1.0 - mean(gt(y, 0.0).to(kFloat64)).item();
  EXPECT_NEAR(zero_frac, 0.3, 0.04);
  EXPECT_NEAR(max(y).item(), 1.0 / 0.7, 1e-5);
  d.eval();
  EXPECT_ALLCLOSE(d.forward(x), x, 0, 0);
  EXPECT_EMBER_ERROR(Dropout(1.5), "Dropout", "p must be in [0, 1]");
}

TEST(Layers, PoolingActivationsFlattenMatchFunctional) {
  Tensor x = uniform({2, 3, 6, 5}, -2, 2, 3).to(kFloat32);
  Pool2dParams p;
  p.kernel = {2, 2};
  EXPECT_ALLCLOSE(MaxPool2d(2).forward(x), max_pool2d(x, p), 0, 0);
  EXPECT_EQ(MaxPool2d(2).forward(x).shape(), (Shape{2, 3, 3, 2}));
  p.kernel = {3, 3};
  p.stride = {1, 1};
  p.padding = {1, 1};
  EXPECT_ALLCLOSE(AvgPool2d(3, 1, 1).forward(x), avg_pool2d(x, p), 0, 0);
  EXPECT_ALLCLOSE(AdaptiveAvgPool2d(Size2{2, 3}).forward(x), adaptive_avg_pool2d(x, {2, 3}), 0, 0);
  EXPECT_ALLCLOSE(ReLU().forward(x), relu(x), 0, 0);
  EXPECT_ALLCLOSE(GELU().forward(x), gelu(x), 0, 0);
  EXPECT_ALLCLOSE(LeakyReLU().forward(x), leaky_relu(x), 0, 0);
  EXPECT_ALLCLOSE(LeakyReLU(0.2).forward(x), leaky_relu(x, 0.2), 0, 0);
  EXPECT_ALLCLOSE(Tanh().forward(x), tanh(x), 0, 0);
  EXPECT_ALLCLOSE(Sigmoid().forward(x), sigmoid(x), 0, 0);
  EXPECT_EQ(Flatten().forward(x).shape(), (Shape{2, 90}));
  EXPECT_EQ(Flatten(0, 1).forward(x).shape(), (Shape{6, 6, 5}));
  EXPECT_EQ(Flatten(-2).forward(x).shape(), (Shape{2, 3, 30}));
  EXPECT_EMBER_ERROR(Flatten(4).forward(x), "Flatten.forward", "start_dim=4");
  EXPECT_EMBER_ERROR(MaxPool2d(2).forward(rand({3, 6, 5})), "MaxPool2d.forward", "4D");
  EXPECT_EMBER_ERROR(MaxPool2d(2, 1, 2), "MaxPool2d", "padding");
  EXPECT_EMBER_ERROR(AdaptiveAvgPool2d(0), "output_size");
  EXPECT_EMBER_ERROR(ReLU().forward(Tensor()), "ReLU.forward", "undefined");
}

TEST(Layers, EmbeddingForwardBackward) {
  manual_seed(4);
  Embedding emb(10, 3);
  EXPECT_EQ(emb.weight().shape(), (Shape{10, 3}));
  Tensor idx = from_vector(std::vector<int64_t>{1, 4, 1, 9, 0, 4}, {2, 3});
  Tensor y = emb.forward(idx);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 3}));
  EXPECT_ALLCLOSE(y.select(0, 1).select(0, 0), emb.weight().select(0, 9), 0, 0);
  EXPECT_ALLCLOSE(y.select(0, 0).select(0, 2), emb.weight().select(0, 1), 0, 0);
  // A 0-dim index gives one row; int32 indices work too.
  EXPECT_EQ(emb.forward(scalar_tensor(2, TensorOptions(kInt64))).shape(), (Shape{3}));
  EXPECT_ALLCLOSE(emb.forward(idx.to(kInt32)), y, 0, 0);
  // Backward: each row's gradient counts how often it was looked up.
  sum(y).backward();
  std::vector<double> counts = {1, 2, 0, 0, 2, 0, 0, 0, 0, 1};
  Tensor expect = from_vector(counts, {10, 1}).expand({10, 3});
  EXPECT_ALLCLOSE(emb.weight().grad(), expect, 0, 0);
  EXPECT_EMBER_ERROR(emb.forward(from_vector(std::vector<double>{1.0}, {1})), "Embedding.forward", "int64", "float32");
  EXPECT_EMBER_ERROR(emb.forward(from_vector(std::vector<int64_t>{10}, {1})), "index_select");
  EXPECT_EMBER_ERROR(Embedding(0, 3), "num_embeddings");
}

TEST(Layers, GradcheckTinySequentialFloat64) {
  manual_seed(8);
  Sequential net(std::make_shared<Linear>(3, 4), std::make_shared<Tanh>(), std::make_shared<Linear>(4, 4),
                 std::make_shared<GELU>(), std::make_shared<LayerNorm>(Shape{4}), std::make_shared<Linear>(4, 2));
  net.to(kFloat64);
  for (const Tensor& p : net.parameters()) ASSERT_EQ(p.dtype(), kFloat64);
  Tensor x = uniform({5, 3}, -1, 1, 21);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return net.forward(v[0]); }, {x});
  EXPECT_TRUE(check_param_grads(net, x));
  // A conv/batch-norm/pool stack in training mode.
  manual_seed(9);
  Sequential cnn(std::make_shared<Conv2d>(Conv2dOptions(2, 3, 3).padding(1)), std::make_shared<BatchNorm2d>(3),
                 std::make_shared<Sigmoid>(), std::make_shared<AvgPool2d>(2), std::make_shared<Flatten>(),
                 std::make_shared<Linear>(12, 2));
  cnn.to(kFloat64);
  Tensor img = uniform({2, 2, 4, 4}, -1, 1, 22);
  EXPECT_TRUE(check_param_grads(cnn, img));
}

TEST(Layers, Reprs) {
  EXPECT_EQ(Linear(784, 512).repr(), "Linear(in_features=784, out_features=512, bias=True)");
  EXPECT_EQ(Conv2d(Conv2dOptions(1, 32, 3).padding(1)).repr(),
            "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  EXPECT_EQ(Conv2d(Conv2dOptions(4, 8, {3, 5}).stride({2, 1}).dilation(2).groups(4).bias(false)).repr(),
            "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 1), dilation=(2, 2), groups=4, bias=False)");
  EXPECT_EQ(BatchNorm2d(32).repr(), "BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_EQ(BatchNorm2d(8, 0.001, 0.01, false, false).repr(),
            "BatchNorm2d(8, eps=0.001, momentum=0.01, affine=False, track_running_stats=False)");
  EXPECT_EQ(LayerNorm({10}).repr(), "LayerNorm((10,), eps=1e-05, elementwise_affine=True)");
  EXPECT_EQ(LayerNorm({2, 3}, 1e-6).repr(), "LayerNorm((2, 3), eps=1e-06, elementwise_affine=True)");
  EXPECT_EQ(Dropout(0.3).repr(), "Dropout(p=0.3, inplace=False)");
  EXPECT_EQ(Dropout(1).repr(), "Dropout(p=1.0, inplace=False)");
  EXPECT_EQ(MaxPool2d(2).repr(), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  EXPECT_EQ(AvgPool2d(Size2{3, 2}, Size2{1, 1}).repr(), "AvgPool2d(kernel_size=(3, 2), stride=1, padding=0)");
  EXPECT_EQ(AdaptiveAvgPool2d(7).repr(), "AdaptiveAvgPool2d(output_size=7)");
  EXPECT_EQ(ReLU().repr(), "ReLU()");
  EXPECT_EQ(GELU().repr(), "GELU(approximate='none')");
  EXPECT_EQ(LeakyReLU().repr(), "LeakyReLU(negative_slope=0.01)");
  EXPECT_EQ(LeakyReLU(0.2).repr(), "LeakyReLU(negative_slope=0.2)");
  EXPECT_EQ(Tanh().repr(), "Tanh()");
  EXPECT_EQ(Sigmoid().repr(), "Sigmoid()");
  EXPECT_EQ(Flatten().repr(), "Flatten(start_dim=1, end_dim=-1)");
  EXPECT_EQ(Embedding(10, 3).repr(), "Embedding(10, 3)");
}
