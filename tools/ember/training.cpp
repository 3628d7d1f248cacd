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
#include <cmath>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "evaluation.h"
#include "train_task.h"
#include "models/zoo.h"
#include "progress.h"
#include "run_folder.h"
#include "flag_checks.h"

namespace ember::cli {
namespace fs = std::filesystem;

nlohmann::json TrainSummary::to_json(const TrainConfig& c) const {
  nlohmann::json j = {{"test_accuracy", test_accuracy}, {"test_loss", test_loss}, {"epochs", epochs},
          {"steps", steps}, {"train_seconds", train_seconds}, {"samples_per_s", samples_per_s},
          {"resumed", resumed}, {"model", c.model}, {"device", c.device}, {"precision", precision},
          {"precision_support", precision_support}, {"skipped_steps", skipped_steps}, {"lr", lr}, {"out", c.out}};
  if (c.is_text()) {  // test_* are the validation text's; samples are characters
    j["dataset"] = "text";
    j["test_bits_per_char"] = test_loss / std::log(2.0);
  }
  return j;
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

void write_curves(const std::string& out, const nlohmann::json& history, bool text) {
  io::PlotSeries train_loss{"train loss", {31, 119, 180}, {}}, test_loss{text ? "validation loss" : "test loss", {255, 127, 14}, {}};
  io::PlotSeries train_acc{text ? "train" : "train accuracy", {31, 119, 180}, {}},
      test_acc{text ? "validation" : "test accuracy", {255, 127, 14}, {}};
  for (const auto& h : history) {
    double e = h["epoch"].get<double>();
    train_loss.points.push_back({e, h["train_loss"].get<double>()});
    test_loss.points.push_back({e, h["test_loss"].get<double>()});
    if (text) {  // the second panel: the same losses in bits per character
      train_acc.points.push_back({e, h["train_bits_per_char"].get<double>()});
      test_acc.points.push_back({e, h["test_bits_per_char"].get<double>()});
    } else {
      train_acc.points.push_back({e, 100 * h["train_accuracy"].get<double>()});
      test_acc.points.push_back({e, 100 * h["test_accuracy"].get<double>()});
    }
  }
  if (text)
    io::write_line_plot_png(out + "/curves.png",
                            {io::PlotPanel{"loss", "epoch", {train_loss, test_loss}, "nats/char"},
                             io::PlotPanel{"bits per character", "epoch", {train_acc, test_acc}, "bits/char"}});
  else
    io::write_line_plot_png(out + "/curves.png",
                            {io::PlotPanel{"loss", "epoch", {train_loss, test_loss}, "cross-entropy"},
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

/// Checkpoint metadata entry k (ember::Error when a checkpoint lacks it).
const std::string& meta_of(const io::Checkpoint& ck, const std::string& path, const char* k) {
  auto it = ck.meta.find(k);
  EMBER_CHECK(it != ck.meta.end(), "checkpoint ", path, " lacks '", k, "'; it was not written by ember train");
  return it->second;
}

RunState restore(const io::Checkpoint& ck, const std::string& path, nn::Module& model, optim::Optimizer& opt,
                 optim::LRScheduler* sched, amp::GradScaler& scaler) {
  auto meta = [&](const char* k) -> const std::string& { return meta_of(ck, path, k); };
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

/// Whether every parameter of model is finite (checked before anything is saved).
bool parameters_finite(const nn::Module& model) {
  NoGradGuard ng;
  for (const Tensor& p : model.parameters())
    if (!all(isfinite(p)).item<bool>()) return false;
  return true;
}

/// The error that stops a diverged run: where, what went non-finite, and what is kept.
[[noreturn]] void throw_diverged(const TrainConfig& c, const RunState& s, const std::string& what,
                                 const std::string& ckpt) {
  EMBER_FAIL("training diverged at epoch ", s.epoch + 1, ", step ", s.step + 1, ": ", what, " (lr ", c.effective_lr(),
             "); stopped without saving: ",
             fs::exists(ckpt) ? ckpt + " and the files beside it hold the last finite state" : std::string("nothing was saved"),
             ". Try a lower --lr");
}

/// Evaluates on the task's held-out data with a bar on a terminal (erased when done); returns the seconds taken.
EvalResult evaluate_with_bar(nn::Module& model, TrainTask& task, Device device, std::FILE* log, double& seconds) {
  Progress bar(log, /*plain_lines=*/false);
  auto t0 = std::chrono::steady_clock::now();
  EvalResult r = task.evaluate(model, device, [&](int64_t done, int64_t total) {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bar.update({"eval", done, total, NAN, NAN, eta_seconds(done, el, total - done)});
  });
  bar.clear();
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

TrainSummary run_training(const TrainConfig& config, std::FILE* log) {
  TrainConfig c = config;  // a resumed run takes its --lr / --weight-decay from the checkpoint
  // Every check comes before the first write: a refused run leaves no folder behind.
  check_out_folder(c);
  const Device device = resolve_device(c.device);
  const std::string ckpt_path = c.out + "/checkpoint";
  const bool resuming = c.resume && fs::exists(ckpt_path);
  io::Checkpoint ck;
  if (resuming) {
    ck = io::load_checkpoint(ckpt_path);
    reconcile_resume_config(ckpt_path, meta_of(ck, ckpt_path, "config"), c);
  }
  manual_seed(c.seed);

  std::unique_ptr<TrainTask> task = make_train_task(c);
  const int64_t per_epoch = task->batches_per_epoch();
  const bool text = c.is_text();
  const char* unit = task->unit();

  nn::ModulePtr model = task->make_model();
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
  if (resuming) {
    s = restore(ck, ckpt_path, *model, *opt, sched.get(), scaler);
    ck = io::Checkpoint{};
    summary.resumed = true;
  }
  // All checks passed: now the folder may be created (and, with --force, the old run removed).
  if (c.force) remove_run_files(c.out);
  fs::create_directories(c.out);
  if (resuming) {
    std::fprintf(log, "resuming from %s: epoch %lld, batch %lld (step %lld)\n", ckpt_path.c_str(),
                 static_cast<long long>(s.epoch + 1), static_cast<long long>(s.batch), static_cast<long long>(s.step));
  } else if (c.resume) {
    std::fprintf(log, "no checkpoint in %s; starting from scratch\n", c.out.c_str());
  }
  std::fprintf(log, "training %s (%lld parameters) on %s: %s, %lld epochs of %lld steps, "
               "%s lr %g%s, schedule %s\n", c.model.c_str(), static_cast<long long>(model->num_parameters()),
               device.str().c_str(), task->describe().c_str(),
               static_cast<long long>(c.epochs), static_cast<long long>(per_epoch), c.optimizer.c_str(),
               c.effective_lr(), resuming ? " (from the checkpoint)" : "", c.schedule.c_str());
  if (autocast) std::fprintf(log, "precision %s: %s\n", summary.precision.c_str(), support.detail.c_str());
  if (autocast && support.support == amp::PrecisionSupport::Reference && log != stderr)
    std::fprintf(stderr, "ember: note: %s on %s runs on ember's reference loops, slower than fp32 (see 'ember device')\n",
                 summary.precision.c_str(), device.str().c_str());

  EvalResult last_eval;
  bool evaluated = false;
  // This process's pace, for the ETAs: steps restored from a checkpoint took no time here.
  int64_t steps_here = 0;
  double seconds_here = 0, eval_seconds = 0;
  for (; s.epoch < c.epochs; ++s.epoch, s.batch = 0, s.partial = EpochStats{}) {
    model->train();
    const std::string label = "epoch " + std::to_string(s.epoch + 1) + "/" + std::to_string(c.epochs);
    Progress bar(log);
    auto it = task->epoch(s.epoch, s.batch);
    data::Batch batch;
    auto t0 = std::chrono::steady_clock::now();
    const double seconds_before = s.partial.seconds, seconds_here_before = seconds_here;
    const int64_t samples_before = s.partial.samples;
    while (it->next(batch)) {
      Tensor x = batch.inputs.to(device), y = batch.targets.to(device);
      Tensor logits, loss;
      {
        amp::AutocastGuard ac(autocast ? precision : kBFloat16, autocast);
        logits = (*model)(x);
        loss = task_loss(logits, y, c.label_smoothing);  // float32 under autocast
      }
      opt->zero_grad();
      scaler.scale(loss).backward();
      scaler.step(*opt);  // plain opt->step() unless fp16 (then: unscale, skip on inf/NaN)
      if (sched) sched->step();
      // Read after the whole step is queued, so a GPU is not made to wait between forward and backward.
      const double loss_value = loss.item();
      // A non-finite loss means the run has diverged (fp16 aside, whose loss scaler skips such
      // steps): stop before anything is saved, leaving the last checkpoint and weights as they were.
      if (!std::isfinite(loss_value) && precision != kFloat16)
        throw_diverged(c, s, std::string("the loss became ") + (std::isnan(loss_value) ? "nan" : "inf"), ckpt_path);
      {
        NoGradGuard ng;
        s.partial.loss_sum += loss_value * static_cast<double>(y.numel());
        s.partial.correct += task_correct(logits, y);
        s.partial.samples += y.numel();
      }
      s.batch = it->batch_index();
      s.step++;
      steps_here++;
      const double epoch_here = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      s.partial.seconds = seconds_before + epoch_here;
      seconds_here = seconds_here_before + epoch_here;
      const int64_t run_steps_left = (c.epochs - s.epoch - 1) * per_epoch + (per_epoch - s.batch);
      bar.update({label, s.batch, per_epoch, samples_per_second(s.partial.samples - samples_before, epoch_here),
                  s.partial.loss_sum / std::max<int64_t>(1, s.partial.samples),
                  eta_seconds(steps_here, seconds_here, per_epoch - s.batch),
                  eta_seconds(steps_here, seconds_here, run_steps_left) + eval_seconds * (c.epochs - s.epoch), unit});
      if (c.checkpoint_every > 0 && s.step % c.checkpoint_every == 0 && s.batch < per_epoch) {
        if (!parameters_finite(*model)) throw_diverged(c, s, "the weights became non-finite", ckpt_path);
        save(ckpt_path, *model, *opt, sched.get(), scaler, s, c);
      }
    }
    s.train_seconds += s.partial.seconds - seconds_before;
    // One samples/s for the epoch: the bar's last line, the epoch line and metrics.jsonl.
    const double epoch_rate = samples_per_second(s.partial.samples, s.partial.seconds);
    const double train_loss = s.partial.loss_sum / std::max<int64_t>(1, s.partial.samples);
    bar.finish({label, s.batch, per_epoch, epoch_rate, train_loss, 0.0,
                eta_seconds(steps_here, seconds_here, (c.epochs - s.epoch - 1) * per_epoch) +
                    eval_seconds * (c.epochs - s.epoch),
                unit});
    last_eval = evaluate_with_bar(*model, *task, device, log, eval_seconds);
    evaluated = true;
    nlohmann::json rec = {{"epoch", s.epoch + 1},
                          {"train_loss", train_loss},
                          {"train_accuracy", static_cast<double>(s.partial.correct) / std::max<int64_t>(1, s.partial.samples)},
                          {"test_loss", last_eval.loss},
                          {"test_accuracy", last_eval.accuracy()},
                          {"lr", opt->lr()},
                          {"epoch_seconds", s.partial.seconds},
                          {"train_samples", s.partial.samples},
                          {"samples_per_s", epoch_rate}};
    if (text) {  // samples are characters; the losses also in bits per character
      rec["train_bits_per_char"] = train_loss / std::log(2.0);
      rec["test_bits_per_char"] = last_eval.loss / std::log(2.0);
      rec["steps"] = s.step;
    }
    s.history.push_back(rec);
    if (text)
      std::fprintf(log, "epoch %lld/%lld  train loss %.4f nats/char (%.3f bits)  validation loss %.4f nats/char "
                   "(%.3f bits) next-char acc %.2f%%  %.1fs  %.0f chars/s\n",
                   static_cast<long long>(s.epoch + 1), static_cast<long long>(c.epochs), train_loss,
                   train_loss / std::log(2.0), last_eval.loss, last_eval.loss / std::log(2.0), 100 * last_eval.accuracy(),
                   s.partial.seconds, epoch_rate);
    else
      std::fprintf(log, "epoch %lld/%lld  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1fs  %.0f samples/s\n",
                   static_cast<long long>(s.epoch + 1), static_cast<long long>(c.epochs), train_loss,
                   100 * rec["train_accuracy"].get<double>(), last_eval.loss, 100 * last_eval.accuracy(), s.partial.seconds,
                   epoch_rate);
    std::fflush(log);
    // Weights, metrics and curves first; then the checkpoint that says this epoch is done.
    if (!parameters_finite(*model)) throw_diverged(c, s, "the weights became non-finite", ckpt_path);
    io::save_safetensors(c.out + "/model.safetensors", model->state_dict(), task->weights_metadata());
    write_metrics(c.out, s.history);
    write_curves(c.out, s.history, text);
    RunState next = s;
    next.epoch = s.epoch + 1;
    next.batch = 0;
    next.partial = EpochStats{};
    save(ckpt_path, *model, *opt, sched.get(), scaler, next, c);
  }
  if (!evaluated) {  // resumed a finished run: report the saved weights
    last_eval = evaluate_with_bar(*model, *task, device, log, eval_seconds);
  }
  summary.test_accuracy = last_eval.accuracy();
  summary.test_loss = last_eval.loss;
  summary.epochs = c.epochs;
  summary.steps = s.step;
  summary.skipped_steps = scaler.skipped_steps();
  // The whole run's figures from the epochs' records (what metrics.jsonl holds), by the same formula.
  int64_t train_samples = 0;
  double train_seconds = 0;
  for (const auto& h : s.history) {
    train_samples += h["train_samples"].get<int64_t>();
    train_seconds += h["epoch_seconds"].get<double>();
  }
  summary.train_seconds = train_seconds;
  summary.samples_per_s = samples_per_second(train_samples, train_seconds);
  summary.lr = c.effective_lr();
  return summary;
}

}  // namespace ember::cli
