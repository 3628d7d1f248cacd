"""ember's LSTM/GRU against PyTorch's on the CPU: one training step (forward + backward, no
optimizer) of a character-level language model, Embedding(vocab, embed) -> 2-layer LSTM(embed,
hidden) -> Linear(hidden, vocab) -> cross-entropy, batch_first, on random tokens. ember runs
examples/char_lstm_timing.cpp (built as build/examples/char_lstm_timing); PyTorch the same
model with the same thread count. Prints both median times and the ratio PyTorch / ember
(> 1: ember is faster).

usage: /usr/bin/python3 bench/rnn_vs_pytorch.py [--ember build/examples/char_lstm_timing]
       [--threads 2] [--repeats 10] [--warmup 3] [--batch 32] [--seq 128] [--embed 128]
       [--hidden 256] [--layers 2] [--vocab 256] [--gru] [--json]
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import statistics
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def pytorch_ms(a):
    torch.manual_seed(0)
    emb = nn.Embedding(a.vocab, a.embed)
    rnn = (nn.GRU if a.gru else nn.LSTM)(a.embed, a.hidden, num_layers=a.layers, batch_first=True)
    head = nn.Linear(a.hidden, a.vocab)
    tokens = torch.randint(0, a.vocab, (a.batch, a.seq + 1))
    x_in, target = tokens[:, :-1], tokens[:, 1:].reshape(-1)
    times = []
    for r in range(a.warmup + a.repeats):
        t0 = time.perf_counter()
        h, _ = rnn(emb(x_in))
        loss = F.cross_entropy(head(h).reshape(-1, a.vocab), target)
        loss.backward()
        for m in (emb, rnn, head):
            m.zero_grad()
        dt = (time.perf_counter() - t0) * 1000
        if r >= a.warmup:
            times.append(dt)
    return statistics.median(times)


def ember_ms(a):
    cmd = [a.ember, "--threads", str(a.threads), "--repeats", str(a.repeats), "--warmup", str(a.warmup),
           "--batch", str(a.batch), "--seq", str(a.seq), "--embed", str(a.embed), "--hidden", str(a.hidden),
           "--layers", str(a.layers), "--vocab", str(a.vocab)] + (["--gru"] if a.gru else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ms_per_step"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ember", default="build/examples/char_lstm_timing")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--vocab", type=int, default=256)
    p.add_argument("--gru", action="store_true", help="GRU instead of LSTM")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    e = ember_ms(a)
    t = pytorch_ms(a)
    r = {"model": "gru" if a.gru else "lstm", "threads": a.threads, "torch": torch.__version__,
         "ember_ms_per_step": round(e, 2), "pytorch_ms_per_step": round(t, 2), "ratio_pytorch_over_ember": round(t / e, 2)}
    if a.json:
        print(json.dumps(r))
    else:
        print(f"{r['model']} step (fwd+bwd), {a.threads} threads: ember {e:.1f} ms, PyTorch {torch.__version__} "
              f"{t:.1f} ms, ratio {t / e:.2f}x")


if __name__ == "__main__":
    main()
