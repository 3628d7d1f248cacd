// The training loop (see training.h). A checkpoint holds everything a resumed run needs to
// continue bit-for-bit: model, optimizer and schedule state, the default generator (dropout),
// the epoch and batch to continue from, the partial statistics of the current epoch and the
// history of finished epochs. The data order and augmentation depend only on (seed, epoch,
// batch), so the resumed run sees exactly the batches the uninterrupted one would.
// With --precision bf16/fp16 the forward pass and loss run under amp::AutocastGuard (the
// parameters, gradients and optimizer stay float32); fp16 also scales the loss with an
// amp::GradScaler whose state the checkpoint keeps (scheduler section, "grad_scaler." keys).
// Evaluation always runs in float32.
#include "training.h"

#include <algorithm>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "evaluation.h"
#include "models/zoo.h"
#include "progress.h"

namespace ember::cli {
namespace fs = std::filesystem;

nlohmann::json TrainSummary::to_json(const TrainConfig& c) const {
  return {{"test_accuracy", test_accuracy}, {"test_loss", test_loss}, {"epochs", epochs},
          {"steps", steps}, {"train_seconds", train_seconds}, {"samples_per_s", samples_per_s},
          {"resumed", resumed}, {"model", c.model}, {"device", c.device}, {"precision", precision},
          {"precision_support", precision_support}, {"skipped_steps", skipped_steps}, {"out", c.out}};
}

namespace {

constexpr const char* kScalerPrefix = "grad_scaler.";  // GradScaler state inside the scheduler section

struct EpochStats {  // partial sums of the epoch in progress
  double loss_sum = 0;
  int64_t correct = 0, samples = 0;
  double seconds = 0;
  nlohmann::json to_json() const { return {{"loss_sum", loss_sum}, {"correct", correct}, {"samples", samples}, {"seconds", seconds}}; }
  static EpochStats from_json(const nlohmann::json& j) {
    return {j.at("loss_sum").get<double>(), j.at("correct").get<int64_t>(), j.at("samples").get<int64_t>(),
            j.at("seconds").get<double>()};
  }
};

struct RunState {
  int64_t epoch = 0, batch = 0, step = 0;
  double train_seconds = 0;
  EpochStats partial;
  nlohmann::json history = nlohmann::json::array();
};

void write_metrics(const std::string& out, const nlohmann::json& history) {
  std::string text;
  for (const auto& h : history) text += h.dump() + "\n";
  io::write_file_atomic(out + "/metrics.jsonl", text);
}

void write_curves(const std::string& out, const nlohmann::json& history) {
  io::PlotSeries train_loss{"train loss", {31, 119, 180}, {}}, test_loss{"test loss", {255, 127, 14}, {}};
  io::PlotSeries train_acc{"train accuracy", {31, 119, 180}, {}}, test_acc{"test accuracy", {255, 127, 14}, {}};
  for (const auto& h : history) {
    double e = h["epoch"].get<double>();
    train_loss.points.push_back({e, h["train_loss"].get<double>()});
    test_loss.points.push_back({e, h["test_loss"].get<double>()});
    train_acc.points.push_back({e, 100 * h["train_accuracy"].get<double>()});
    test_acc.points.push_back({e, 100 * h["test_accuracy"].get<double>()});
  }
  io::write_line_plot_png(out + "/curves.png", {io::PlotPanel{"loss", "epoch", {train_loss, test_loss}, "cross-entropy"},
                                                 io::PlotPanel{"accuracy", "epoch", {train_acc, test_acc}, "%"}});
}

void save(const std::string& path, const nn::Module& model, const optim::Optimizer& opt,
          const optim::LRScheduler* sched, const amp::GradScaler& scaler, const RunState& s, const TrainConfig& c) {
  io::Checkpoint ck;
  ck.model = model.state_dict();
  ck.optimizer = opt.state_dict();
  if (sched) ck.scheduler = sched->state_dict();
  if (scaler.enabled())
    for (auto& [k, v] : scaler.state_dict()) ck.scheduler[kScalerPrefix + k] = v;
  ck.meta = {{"epoch", std::to_string(s.epoch)},
             {"batch", std::to_string(s.batch)},
             {"step", std::to_string(s.step)},
             {"train_seconds", std::to_string(s.train_seconds)},
             {"partial", s.partial.to_json().dump()},
             {"history", s.history.dump()},
             {"rng", io::generator_state(default_generator())},
             {"config", c.to_json().dump()}};
  io::save_checkpoint(path, ck);
}

/// Throws when c would run a learning-rate schedule of another length than the checkpoint's run:
/// the saved schedule would be stretched or run past its end (onecycle refuses to).
void check_schedule_length(const std::string& path, const std::string& saved_config, const TrainConfig& c) {
  if (c.schedule == "none") return;
  const nlohmann::json saved = nlohmann::json::parse(saved_config, nullptr, false);
  if (saved.is_discarded()) EMBER_FAIL("checkpoint ", path, " has a malformed config");
  const nlohmann::json now = c.to_json();
  for (const char* k : {"schedule", "epochs", "batch_size", "train_limit"}) {
    if (!saved.contains(k) || saved[k] == now[k]) continue;
    std::string flag = k;
    std::replace(flag.begin(), flag.end(), '_', '-');
    EMBER_FAIL("checkpoint ", path, " was written with --", flag, " ", saved[k].dump(), " but this run has ", now[k].dump(),
               "; the ", c.schedule, " learning-rate schedule was laid out for the saved run's length. Resume with --",
               flag, " ", saved[k].dump(), ", or train into a new --out");
  }
}

RunState restore(const std::string& path, nn::Module& model, optim::Optimizer& opt, optim::LRScheduler* sched,
                 amp::GradScaler& scaler, const TrainConfig& c) {
  io::Checkpoint ck = io::load_checkpoint(path);
  auto meta = [&](const char* k) -> const std::string& {
    auto it = ck.meta.find(k);
    EMBER_CHECK(it != ck.meta.end(), "checkpoint ", path, " lacks '", k, "'; it was not written by ember train");
    return it->second;
  };
  check_schedule_length(path, meta("config"), c);
  model.load_state_dict(ck.model);
  opt.load_state_dict(ck.optimizer);
  optim::StateDict sched_state, scaler_state;  // the scheduler section holds both
  for (auto& [k, v] : ck.scheduler)
    if (k.rfind(kScalerPrefix, 0) == 0) scaler_state[k.substr(std::string(kScalerPrefix).size())] = v;
    else sched_state[k] = v;
  if (sched) sched->load_state_dict(sched_state);
  // A checkpoint of an fp32/bf16 run resumed in fp16 starts with a fresh scale.
  if (scaler.enabled() && !scaler_state.empty()) scaler.load_state_dict(scaler_state);
  RunState s;
  try {
    s.epoch = std::stoll(meta("epoch"));
    s.batch = std::stoll(meta("batch"));
    s.step = std::stoll(meta("step"));
    s.train_seconds = std::stod(meta("train_seconds"));
    s.partial = EpochStats::from_json(nlohmann::json::parse(meta("partial")));
    s.history = nlohmann::json::parse(meta("history"));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    EMBER_FAIL("checkpoint ", path, " has malformed training state: ", e.what());
  }
  io::set_generator_state(default_generator(), meta("rng"));
  return s;
}

}  // namespace

TrainSummary run_training(const TrainConfig& c, std::FILE* log) {
  Device device(c.device);
  fs::create_directories(c.out);
  const std::string ckpt_path = c.out + "/checkpoint";
  manual_seed(c.seed);

  auto train_set = make_dataset(c.dataset, c.data_dir, data::Split::Train, c.train_limit);
  auto test_set = make_dataset(c.dataset, c.data_dir, data::Split::Test);
  data::Normalize norm = input_normalization(c.dataset);
  data::DataLoaderOptions lo;
  lo.batch_size = c.batch_size;
  lo.seed = c.seed;
  lo.transform = data::Compose({c.shift > 0 ? data::BatchTransform(data::RandomShift(c.shift)) : data::BatchTransform(),
                                data::BatchTransform(norm)});
  data::DataLoader loader(train_set, lo);
  const int64_t per_epoch = loader.batches_per_epoch();

  nn::ModulePtr model = models::make_model(c.model);
  model->to(device);
  auto opt = make_optimizer(c, *model);
  auto sched = make_scheduler(c, *opt, per_epoch);
  // Mixed precision: refuse a precision the device cannot run rather than fall back silently.
  const DType precision = amp::parse_precision(c.precision);
  const amp::PrecisionInfo support = amp::require_precision(device, precision);
  const bool autocast = precision != kFloat32;
  amp::GradScalerOptions scaler_options;
  scaler_options.enabled = precision == kFloat16;  // bfloat16 has float32's range: no scaling
  amp::GradScaler scaler(scaler_options);

  RunState s;
  TrainSummary summary;
  summary.precision = amp::precision_name(precision);
  summary.precision_support = support.detail;
  if (c.resume && fs::exists(ckpt_path)) {
    s = restore(ckpt_path, *model, *opt, sched.get(), scaler, c);
    summary.resumed = true;
    std::fprintf(log, "resuming from %s: epoch %lld, batch %lld (step %lld)\n", ckpt_path.c_str(),
                 static_cast<long long>(s.epoch + 1), static_cast<long long>(s.batch), static_cast<long long>(s.step));
  } else if (c.resume) {
    std::fprintf(log, "no checkpoint in %s; starting from scratch\n", c.out.c_str());
  }
  std::fprintf(log, "training %s (%lld parameters) on %s: %lld train / %lld test samples, %lld epochs of %lld steps, "
               "%s lr %g, schedule %s\n", c.model.c_str(), static_cast<long long>(model->num_parameters()),
               device.str().c_str(), static_cast<long long>(train_set->size()), static_cast<long long>(test_set->size()),
               static_cast<long long>(c.epochs), static_cast<long long>(per_epoch), c.optimizer.c_str(),
               c.effective_lr(), c.schedule.c_str());
  if (autocast) std::fprintf(log, "precision %s: %s\n", summary.precision.c_str(), support.detail.c_str());

  EvalResult last_eval;
  bool evaluated = false;
  for (; s.epoch < c.epochs; ++s.epoch, s.batch = 0, s.partial = EpochStats{}) {
    model->train();
    Progress bar(log, "epoch " + std::to_string(s.epoch + 1) + "/" + std::to_string(c.epochs), per_epoch);
    auto it = loader.epoch(s.epoch, s.batch);
    data::Batch batch;
    auto t0 = std::chrono::steady_clock::now();
    double seconds_before = s.partial.seconds;
    while (it.next(batch)) {
      Tensor x = batch.inputs.to(device), y = batch.targets.to(device);
      Tensor logits, loss;
      {
        amp::AutocastGuard ac(autocast ? precision : kBFloat16, autocast);
        logits = (*model)(x);
        loss = cross_entropy(logits, y, c.label_smoothing);  // float32 under autocast
      }
      opt->zero_grad();
      scaler.scale(loss).backward();
      scaler.step(*opt);  // plain opt->step() unless fp16 (then: unscale, skip on inf/NaN)
      if (sched) sched->step();
      {
        NoGradGuard ng;
        s.partial.loss_sum += loss.item() * static_cast<double>(y.numel());
        s.partial.correct += sum(eq(argmax(logits, 1), y)).item<int64_t>();
        s.partial.samples += y.numel();
      }
      s.batch = it.batch_index();
      s.step++;
      s.partial.seconds = seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      bar.update(s.batch, s.partial.samples, s.partial.loss_sum / std::max<int64_t>(1, s.partial.samples));
      if (c.checkpoint_every > 0 && s.step % c.checkpoint_every == 0 && s.batch < per_epoch)
        save(ckpt_path, *model, *opt, sched.get(), scaler, s, c);
    }
    bar.finish();
    s.train_seconds += s.partial.seconds - seconds_before;
    last_eval = evaluate(*model, *test_set, norm, device, 10);
    evaluated = true;
    nlohmann::json rec = {{"epoch", s.epoch + 1},
                          {"train_loss", s.partial.loss_sum / std::max<int64_t>(1, s.partial.samples)},
                          {"train_accuracy", static_cast<double>(s.partial.correct) / std::max<int64_t>(1, s.partial.samples)},
                          {"test_loss", last_eval.loss},
                          {"test_accuracy", last_eval.accuracy()},
                          {"lr", opt->lr()},
                          {"epoch_seconds", s.partial.seconds},
                          {"train_samples", s.partial.samples},
                          {"samples_per_s", s.partial.samples / std::max(1e-9, s.partial.seconds)}};
    s.history.push_back(rec);
    std::fprintf(log, "epoch %lld/%lld  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1fs\n",
                 static_cast<long long>(s.epoch + 1), static_cast<long long>(c.epochs), rec["train_loss"].get<double>(),
                 100 * rec["train_accuracy"].get<double>(), last_eval.loss, 100 * last_eval.accuracy(), s.partial.seconds);
    std::fflush(log);
    // Weights, metrics and curves first; then the checkpoint that says this epoch is done.
    io::save_safetensors(c.out + "/model.safetensors", model->state_dict(),
                         {{"format", "pt"}, {"model", c.model}, {"producer", "ember"}});
    write_metrics(c.out, s.history);
    write_curves(c.out, s.history);
    RunState next = s;
    next.epoch = s.epoch + 1;
    next.batch = 0;
    next.partial = EpochStats{};
    save(ckpt_path, *model, *opt, sched.get(), scaler, next, c);
  }
  if (!evaluated) {  // resumed a finished run: report the saved weights
    last_eval = evaluate(*model, *test_set, norm, device, 10);
  }
  summary.test_accuracy = last_eval.accuracy();
  summary.test_loss = last_eval.loss;
  summary.epochs = c.epochs;
  summary.steps = s.step;
  summary.skipped_steps = scaler.skipped_steps();
  summary.train_seconds = s.train_seconds;
  int64_t train_samples = 0;
  for (const auto& h : s.history) train_samples += h["train_samples"].get<int64_t>();
  summary.samples_per_s = s.train_seconds > 0 ? train_samples / s.train_seconds : 0;
  return summary;
}

}  // namespace ember::cli
