"""The zoo's language models in PyTorch, module for module as models/charlstm.cpp and models/gpt.cpp
(for bench/compare_pytorch.py and bench/text_parity.py), and the text windows of
include/ember/data/text.h (text_window_offset, the validation windows) reimplemented exactly.

charlstm: PyTorch word_language_model's layout: encoder Embedding(256, 128), rnn LSTM(128, 256,
2 layers, batch_first), decoder Linear(256, 256).
gpt: nanoGPT's model.py (karpathy/nanoGPT) with bias, exact GELU, tied wte/lm_head; torch 1.13
has no F.scaled_dot_product_attention, so attention is nanoGPT's own fallback (matmul, masked_fill
with a (T, T) causal mask, softmax, dropout, matmul). generate() keeps a key/value cache.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, vocab=256, embedding=128, width=256, layers=2, dropout=0.0):
        super().__init__()
        self.encoder = nn.Embedding(vocab, embedding)
        self.rnn = nn.LSTM(embedding, width, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(width, vocab)

    def forward(self, idx, state=None):
        out, state = self.rnn(self.encoder(idx), state)
        return self.decoder(self.drop(out)), state


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads, context, dropout):
        super().__init__()
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.heads, self.width = heads, width
        self.register_buffer("bias", torch.tril(torch.ones(context, context)).view(1, 1, context, context))

    def forward(self, x, cache=None, pos=0):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.width, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        if cache is not None:  # generation: append to the (B, heads, context, hd) cache
            cache[0][:, :, pos:pos + T] = k
            cache[1][:, :, pos:pos + T] = v
            k, v = cache[0][:, :, :pos + T], cache[1][:, :, :pos + T]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        if T > 1:
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, width, dropout):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * width, width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, width, heads, context, dropout):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads, context, dropout)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = MLP(width, dropout)

    def forward(self, x, cache=None, pos=0):
        x = x + self.attn(self.ln_1(x), cache, pos)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab=256, context=128, layers=4, heads=4, width=128, dropout=0.0):
        super().__init__()
        self.context, self.layers, self.heads, self.width = context, layers, heads, width
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, width), wpe=nn.Embedding(context, width), drop=nn.Dropout(dropout),
            h=nn.ModuleList([Block(width, heads, context, dropout) for _ in range(layers)]), ln_f=nn.LayerNorm(width)))
        self.lm_head = nn.Linear(width, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            torch.nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            torch.nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx, caches=None, pos=0):
        B, T = idx.size()
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(torch.arange(pos, pos + T)))
        for i, block in enumerate(self.transformer.h):
            x = block(x, None if caches is None else caches[i], pos)
        x = self.transformer.ln_f(x)
        if caches is not None:
            return self.lm_head(x[:, -1, :])
        return self.lm_head(x)

    def new_caches(self, batch):
        shape = (batch, self.heads, self.context, self.width // self.heads)
        return [(torch.zeros(shape), torch.zeros(shape)) for _ in range(self.layers)]


def splitmix64(x):
    m = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)


def window_offset(seed, step, i, split_size, context):
    """ember::data::text_window_offset."""
    key = (seed * 0x9E3779B97F4A7C15 + (step << 20) + i) & ((1 << 64) - 1)
    return splitmix64(key) % (split_size - context)


class Corpus:
    """ember::data::TextCorpus: the last 10% of the bytes held out for validation."""

    def __init__(self, path):
        data = open(path, "rb").read()
        n = len(data)
        self.split = n - math.floor(n * 0.1)
        self.train = torch.tensor(list(data[:self.split]), dtype=torch.int64)
        self.val = torch.tensor(list(data[self.split:]), dtype=torch.int64)

    def training_batch(self, seed, step, batch, context):
        offs = [window_offset(seed, step, i, len(self.train), context) for i in range(batch)]
        idx = torch.tensor(offs).unsqueeze(1) + torch.arange(context + 1)
        w = self.train[idx]
        return w[:, :-1], w[:, 1:]

    def validation_batches(self, context, batch=64, max_windows=1024):
        full = (len(self.val) - 1) // context
        count = min(max_windows, full)
        offs = [(k * full // count) * context for k in range(count)]
        for i in range(0, count, batch):
            idx = torch.tensor(offs[i:i + batch]).unsqueeze(1) + torch.arange(context + 1)
            w = self.val[idx]
            yield w[:, :-1], w[:, 1:]
