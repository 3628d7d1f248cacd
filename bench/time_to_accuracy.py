"""Time to accuracy, side by side: PyTorch with the strong recipe (BatchNorm lenet, random +-2 px
shifts, AdamW + one-cycle, batch 64) against `ember train` with its defaults, on the same MNIST
files, same thread count. Reports the cumulative training time (evaluation excluded, for both)
at the end of the first epoch whose held-out accuracy reaches the target.

usage: /usr/bin/python3 bench/time_to_accuracy.py --data DIR [--ember build/tools/ember/ember]
       [--threads 2] [--target 0.985] [--epochs 12] [--skip-ember] [--skip-pytorch]
"""
import argparse
import json
import os
import struct
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def lenet():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def read_idx(path, images):
    raw = open(path, "rb").read()
    if images:
        n, r, c = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, 1, r, c)
    return np.frombuffer(raw[8:], dtype=np.uint8)


def load(data, split):
    p = "train" if split == "train" else "t10k"
    x = torch.from_numpy(read_idx(f"{data}/{p}-images-idx3-ubyte", True).astype(np.float32) / 255.0)
    y = torch.from_numpy(read_idx(f"{data}/{p}-labels-idx1-ubyte", False).astype(np.int64))
    return x, y


def random_shift(x, gen, m=2):
    """Per-sample integer translation in [-m, m] with zero fill (pad + random crop)."""
    n = x.shape[0]
    padded = F.pad(x, (m, m, m, m))
    dy = torch.randint(0, 2 * m + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * m + 1, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    return out


def pytorch_run(data, threads, target, epochs):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    xtr, ytr = load(data, "train")
    xte, yte = load(data, "test")
    mean, std = 0.1307, 0.3081
    xte = (xte - mean) / std
    model = lenet()
    bs = 64
    steps = (len(xtr) + bs - 1) // bs
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * steps)
    train_time, hit = 0.0, None
    history = []
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=gen)
        for b in range(steps):
            idx = perm[b * bs:(b + 1) * bs]
            x = (random_shift(xtr[idx], gen) - mean) / std
            loss = F.cross_entropy(model(x), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        train_time += time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        history.append({"epoch": epoch + 1, "test_accuracy": acc, "train_seconds": train_time})
        if hit is None and acc >= target:
            hit = {"epoch": epoch + 1, "seconds": train_time, "test_accuracy": acc}
    return hit, history


def ember_run(ember, data, threads, target):
    out = tempfile.mkdtemp(prefix="ember-tta-")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    subprocess.run([ember, "train", "--model", "lenet", "--dataset", "mnist", "--data-dir", data, "--out", out, "--json"],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history, hit, total = [], None, 0.0
    for line in open(os.path.join(out, "metrics.jsonl")):
        h = json.loads(line)
        total += h["epoch_seconds"]
        history.append({"epoch": h["epoch"], "test_accuracy": h["test_accuracy"], "train_seconds": total})
        if hit is None and h["test_accuracy"] >= target:
            hit = {"epoch": h["epoch"], "seconds": total, "test_accuracy": h["test_accuracy"]}
    return hit, history


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--ember", default="build/tools/ember/ember")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--target", type=float, default=0.985)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--skip-ember", action="store_true")
    p.add_argument("--skip-pytorch", action="store_true")
    a = p.parse_args()
    result = {}
    if not a.skip_pytorch:
        hit, hist = pytorch_run(a.data, a.threads, a.target, a.epochs)
        result["pytorch"] = {"first_hit": hit, "history": hist}
        print("pytorch:", json.dumps(hit), flush=True)
    if not a.skip_ember:
        hit, hist = ember_run(a.ember, a.data, a.threads, a.target)
        result["ember"] = {"first_hit": hit, "history": hist}
        print("ember:  ", json.dumps(hit), flush=True)
    if "pytorch" in result and "ember" in result and result["pytorch"]["first_hit"] and result["ember"]["first_hit"]:
        r = result["pytorch"]["first_hit"]["seconds"] / result["ember"]["first_hit"]["seconds"]
        print(f"time to {a.target:.1%}: pytorch {result['pytorch']['first_hit']['seconds']:.1f}s, "
              f"ember {result['ember']['first_hit']['seconds']:.1f}s -> ember {r:.2f}x faster")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
