"""Learning parity for the language models: the same model and recipe trained in PyTorch and in
ember (`ember train --dataset text`) on the same windows in the same order for the same number of
steps, validation loss (nats/char) side by side after every epoch.

usage: /usr/bin/python3 bench/text_parity.py --data-file F [--model gpt|charlstm] [--epochs 3]
       [--steps-per-epoch 200] [--batch-size 32] [--context 128] [--lr 3e-3] [--weight-decay 0.1]
       [--seed 0] [--threads 2] [--ember build/tools/ember/ember] [--out DIR] [--side both|pytorch|ember]
       [--minutes M]

The recipe is ember's text recipe: AdamW (lr, weight decay, PyTorch's betas/eps), OneCycleLR over all
steps (PyTorch's defaults: 30% warm-up, cosine, beta1 cycled 0.85-0.95), no gradient clipping, no
dropout. Windows come from bench/text_models.Corpus, which reimplements ember's text_window_offset and
validation windows exactly. Initial weights differ (each framework draws its own from the same init
distributions). With --minutes M the PyTorch run stops once its training time (evaluations excluded)
passes M minutes and reports the validation loss reached then: the "same model in PyTorch in the same
time" comparison. Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import text_models  # noqa: E402


def evaluate(model, corpus, context):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for x, y in corpus.validation_batches(context):
            out = model(x)
            logits = out[0] if isinstance(out, tuple) else out
            total += F.cross_entropy(logits.reshape(-1, 256), y.reshape(-1), reduction="sum").item()
            n += y.numel()
    model.train()
    return total / n


def run_pytorch(a, corpus):
    torch.manual_seed(a.seed)
    model = text_models.GPT(context=a.context) if a.model == "gpt" else text_models.CharLSTM()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    total = a.epochs * a.steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=total)
    history, train_s, step = [], 0.0, 0
    for epoch in range(a.epochs):
        loss_sum = 0.0
        for b in range(a.steps_per_epoch):
            t0 = time.perf_counter()
            x, y = corpus.training_batch(a.seed, step, a.batch_size, a.context)
            out = model(x)
            logits = out[0] if isinstance(out, tuple) else out
            loss = F.cross_entropy(logits.reshape(-1, 256), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            train_s += time.perf_counter() - t0
            loss_sum += loss.item()
            step += 1
            if a.minutes and train_s >= 60 * a.minutes:
                v = evaluate(model, corpus, a.context)
                print(f"pytorch: stopped at {a.minutes} min of training, step {step}/{total}: validation "
                      f"{v:.4f} nats/char", flush=True)
                history.append({"epoch": epoch + 1, "steps": step, "train_loss": loss_sum / (b + 1),
                                "val_loss": v, "train_seconds": train_s, "stopped": True})
                return history
        v = evaluate(model, corpus, a.context)
        history.append({"epoch": epoch + 1, "steps": step, "train_loss": loss_sum / a.steps_per_epoch,
                        "val_loss": v, "train_seconds": train_s})
        print(f"pytorch epoch {epoch + 1}: train {loss_sum / a.steps_per_epoch:.4f} validation {v:.4f} nats/char, "
              f"{train_s:.0f}s", flush=True)
    return history


def run_ember(a):
    out = a.out or f"/tmp/text-parity-{a.model}"
    cmd = [a.ember, "train", "--model", a.model, "--dataset", "text", "--data-file", a.data_file,
           "--epochs", str(a.epochs), "--steps-per-epoch", str(a.steps_per_epoch), "--batch-size", str(a.batch_size),
           "--context", str(a.context), "--lr", str(a.lr), "--weight-decay", str(a.weight_decay),
           "--optimizer", "adamw", "--schedule", "onecycle", "--seed", str(a.seed), "--out", out, "--force", "--json"]
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"ember train failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    history = []
    with open(os.path.join(out, "metrics.jsonl")) as f:
        for line in f:
            h = json.loads(line)
            history.append({"epoch": h["epoch"], "train_loss": h["train_loss"], "val_loss": h["test_loss"],
                            "train_seconds": h["epoch_seconds"]})
            print(f"ember   epoch {h['epoch']}: train {h['train_loss']:.4f} validation {h['test_loss']:.4f} nats/char, "
                  f"{h['epoch_seconds']:.0f}s", flush=True)
    return history


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-file", required=True)
    p.add_argument("--model", choices=["gpt", "charlstm"], default="gpt")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps-per-epoch", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ember", default="build/tools/ember/ember")
    p.add_argument("--out", default="")
    p.add_argument("--side", choices=["both", "pytorch", "ember"], default="both")
    p.add_argument("--minutes", type=float, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    corpus = text_models.Corpus(a.data_file)
    torch_h = run_pytorch(a, corpus) if a.side in ("both", "pytorch") else None
    ember_h = run_ember(a) if a.side in ("both", "ember") else None
    if torch_h and ember_h:
        print(f"{'epoch':>5} {'pytorch':>9} {'ember':>9} {'diff':>8}   (validation nats/char; time s)")
        for t, e in zip(torch_h, ember_h):
            print(f"{t['epoch']:>5} {t['val_loss']:>9.4f} {e['val_loss']:>9.4f} {e['val_loss'] - t['val_loss']:>+8.4f}   "
                  f"{t['train_seconds']:.0f} / {sum(h['train_seconds'] for h in ember_h[:e['epoch']]):.0f}")
        d = ember_h[-1]["val_loss"] - torch_h[-1]["val_loss"]
        print(f"final difference {d:+.4f} nats/char ({'within' if abs(d) <= 0.02 else 'OUTSIDE'} 0.02)")
    print(json.dumps({"pytorch": torch_h, "ember": ember_h}))


if __name__ == "__main__":
    sys.exit(main())
