// ModuleObserver tests: pre/post once per module call in nested call order with the input and
// output shapes, nothing without an observer or for direct forward() calls, the guard
// restoring the previous observer (also when an exception leaves its scope), failed() instead
// of post when forward throws, observers not seeing their own module calls, per-thread
// installation, and Sequential's fused BatchNorm2d → ReLU → MaxPool2d run reported as three calls.
#include <stdexcept>
#include <thread>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;
using namespace ember::nn;

namespace {

/// Logs "pre Type [shape]", "post Type [in] -> [out]" and "failed Type".
class Log : public ModuleObserver {
 public:
  void pre(Module& m, const Tensor& x) override { lines.push_back("pre " + m.name() + " " + shape_str(x.shape())); }
  void post(Module& m, const Tensor& x, const Tensor& y) override {
    lines.push_back("post " + m.name() + " " + shape_str(x.shape()) + " -> " + shape_str(y.shape()));
  }
  void failed(Module& m, const Tensor&) override { lines.push_back("failed " + m.name()); }
  std::vector<std::string> lines;
};

/// A custom composite calling its children through operator(), as models do.
class Block : public Module {
 public:
  Block() : Module("Block") {
    fc = register_module("fc", std::make_shared<Linear>(3, 2));
    act = register_module("act", std::make_shared<Tanh>());
  }
  Tensor forward(const Tensor& x) override { return (*act)((*fc)(x)); }
  std::shared_ptr<Linear> fc;
  std::shared_ptr<Tanh> act;
};

/// Throws from forward.
class Boom : public Module {
 public:
  Boom() : Module("Boom") {}
  Tensor forward(const Tensor&) override { throw std::runtime_error("boom"); }
};

using Lines = std::vector<std::string>;

}  // namespace

TEST(ModuleObserver, NestedCallsInOrderWithShapes) {
  auto net = std::make_shared<Sequential>(std::make_shared<Block>(), std::make_shared<ReLU>());
  Log log;
  Tensor y;
  {
    ModuleObserverGuard g(log);
    y = (*net)(ones({4, 3}));
  }
  EXPECT_EQ(y.shape(), (Shape{4, 2}));
  EXPECT_EQ(log.lines, (Lines{"pre Sequential [4,3]", "pre Block [4,3]", "pre Linear [4,3]",
                              "post Linear [4,3] -> [4,2]", "pre Tanh [4,2]", "post Tanh [4,2] -> [4,2]",
                              "post Block [4,3] -> [4,2]", "pre ReLU [4,2]", "post ReLU [4,2] -> [4,2]",
                              "post Sequential [4,3] -> [4,2]"}));
}

TEST(ModuleObserver, SameResultObserved) {
  auto net = std::make_shared<Sequential>(std::make_shared<Linear>(3, 5), std::make_shared<ReLU>(),
                                          std::make_shared<Linear>(5, 2));
  Tensor x = randn({4, 3});
  Tensor plain = (*net)(x);
  Log log;
  ModuleObserverGuard g(log);
  EXPECT_ALLCLOSE((*net)(x), plain, 0, 0);
  EXPECT_EQ(log.lines.size(), 8u);
}

TEST(ModuleObserver, NothingWithoutObserverOrForDirectForward) {
  auto block = std::make_shared<Block>();
  Log log;
  {
    ModuleObserverGuard g(log);
  }
  EXPECT_EQ(current_module_observer(), nullptr);
  (*block)(ones({1, 3}));  // no observer installed any more
  EXPECT_TRUE(log.lines.empty());
  ModuleObserverGuard g(log);
  block->forward(ones({1, 3}));  // the block itself is called directly: only its children are seen
  EXPECT_EQ(log.lines, (Lines{"pre Linear [1,3]", "post Linear [1,3] -> [1,2]", "pre Tanh [1,2]",
                              "post Tanh [1,2] -> [1,2]"}));
}

TEST(ModuleObserver, GuardRestoresThePreviousObserver) {
  Log outer, inner;
  auto relu = std::make_shared<ReLU>();
  {
    ModuleObserverGuard a(outer);
    EXPECT_EQ(current_module_observer(), &outer);
    {
      ModuleObserverGuard b(inner);
      EXPECT_EQ(current_module_observer(), &inner);
      (*relu)(ones({2}));
    }
    EXPECT_EQ(current_module_observer(), &outer);
    (*relu)(ones({3}));
  }
  EXPECT_EQ(current_module_observer(), nullptr);
  EXPECT_EQ(inner.lines, (Lines{"pre ReLU [2]", "post ReLU [2] -> [2]"}));  // replaced, not chained
  EXPECT_EQ(outer.lines, (Lines{"pre ReLU [3]", "post ReLU [3] -> [3]"}));
}

TEST(ModuleObserver, ExceptionSafety) {
  auto net = std::make_shared<Sequential>(std::make_shared<ReLU>(), std::make_shared<Boom>());
  Log log;
  try {
    ModuleObserverGuard g(log);
    (*net)(ones({2}));
    FAIL() << "Boom did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");  // propagated unchanged
  }
  EXPECT_EQ(current_module_observer(), nullptr);  // the guard was unwound
  EXPECT_EQ(log.lines, (Lines{"pre Sequential [2]", "pre ReLU [2]", "post ReLU [2] -> [2]", "pre Boom [2]",
                              "failed Boom", "failed Sequential"}));
}

TEST(ModuleObserver, ThrowingPreSkipsForwardAndKeepsTheObserver) {
  struct Refuse : ModuleObserver {
    void pre(Module&, const Tensor&) override { throw std::runtime_error("refused"); }
    void post(Module&, const Tensor&, const Tensor&) override { ++posts; }
    int posts = 0;
  } refuse;
  auto boom = std::make_shared<Boom>();  // would throw "boom" if forward ran
  ModuleObserverGuard g(refuse);
  EXPECT_THROW(
      {
        try {
          (*boom)(ones({1}));
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "refused");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_EQ(current_module_observer(), &refuse);
  EXPECT_EQ(refuse.posts, 0);
}

TEST(ModuleObserver, ObserverDoesNotSeeItsOwnCalls) {
  // An observer that runs a module in pre: its call must not be reported (nor recurse).
  struct Probe : ModuleObserver {
    void pre(Module& m, const Tensor& x) override {
      EXPECT_EQ(current_module_observer(), nullptr);
      if (&m != probe.get()) (*probe)(x);
      ++pres;
    }
    void post(Module&, const Tensor&, const Tensor&) override { ++posts; }
    std::shared_ptr<ReLU> probe = std::make_shared<ReLU>();
    int pres = 0, posts = 0;
  } obs;
  auto net = std::make_shared<Sequential>(std::make_shared<Tanh>(), std::make_shared<Sigmoid>());
  ModuleObserverGuard g(obs);
  (*net)(ones({2}));
  EXPECT_EQ(obs.pres, 3);
  EXPECT_EQ(obs.posts, 3);
  EXPECT_EQ(current_module_observer(), &obs);
}

TEST(ModuleObserver, PerThread) {
  Log log;
  ModuleObserverGuard g(log);
  ModuleObserver* seen = &log;
  std::thread t([&] {
    seen = current_module_observer();
    (*std::make_shared<ReLU>())(ones({2}));
  });
  t.join();
  EXPECT_EQ(seen, nullptr);
  EXPECT_TRUE(log.lines.empty());
}

TEST(ModuleObserver, SequentialReportsTheFusedBatchNormReluPoolRun) {
  auto net = std::make_shared<Sequential>(std::make_shared<BatchNorm2d>(2), std::make_shared<ReLU>(),
                                          std::make_shared<MaxPool2d>(2));
  net->train();
  Tensor x = randn({2, 2, 4, 4});
  Tensor fused = (*net)(x);  // fused (no observer)
  Log log;
  Tensor observed;
  {
    ModuleObserverGuard g(log);
    observed = (*net)(x);
  }
  EXPECT_ALLCLOSE(observed, fused, 1e-5, 1e-6);
  EXPECT_EQ(log.lines, (Lines{"pre Sequential [2,2,4,4]", "pre BatchNorm2d [2,2,4,4]",
                              "post BatchNorm2d [2,2,4,4] -> [2,2,4,4]", "pre ReLU [2,2,4,4]",
                              "post ReLU [2,2,4,4] -> [2,2,4,4]", "pre MaxPool2d [2,2,4,4]",
                              "post MaxPool2d [2,2,4,4] -> [2,2,2,2]",
                              "post Sequential [2,2,4,4] -> [2,2,2,2]"}));
}
