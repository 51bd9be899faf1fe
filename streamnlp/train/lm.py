"""Language-model driver: B streams x T-step windows, SGD with clipping, validation perplexity, checkpoints.

The training tokens are one sequence (every row ends with </s>) cut into B contiguous streams, read
window by window from the encoded cache (never whole in memory); the hidden state is carried
across windows without gradient and reset at each epoch, as ../peers/torch_lm.py does.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numba
import numpy as np
from tqdm import tqdm

from ..data.corpus import prefetch
from ..data.encode import EncodedCorpus, encode_corpus
from ..data.prepare import finish_run, prepare_corpus
from ..data.shards import discover
from ..data.vocab import EOS, UNK, Vocab
from ..run import checkpoint, rundir
from ..run.atomic import atomic_write
from ..run.config import LMConfig, make_config, to_json
from ..run.errors import UserError
from ..run.interrupt import StopRequest, at_position, stop_requests
from ..run.threads import passive_openmp, thread_limits, threads_or_default
from .lmmodel import LanguageModel


class Streams:
    """An encoded corpus as B parallel streams of n = N // B tokens (the last N % B tokens are dropped)."""

    def __init__(self, corpus: EncodedCorpus, B: int, what: str):
        self.corpus, self.B, self.n = corpus, B, corpus.n_tokens // B
        if self.n < 2:
            raise UserError(f"{what}: {corpus.n_tokens} tokens are too few for --batch {B} streams of 2 or more; "
                            "lower --batch or give more text")

    def window(self, i: int, T: int) -> np.ndarray:
        """Tokens i .. i + T of every stream, (T + 1, B): inputs are [:-1], targets [1:]."""
        return np.stack([self.corpus.read_span(b * self.n + i, T + 1) for b in range(self.B)], axis=1)

    def windows(self, bptt: int, start: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        spans = ((i, min(bptt, self.n - 1 - i)) for i in range(start, self.n - 1, bptt))
        return prefetch(((i, self.window(i, T)) for i, T in spans), depth=4)


class NoiseSampler:
    """Candidate words of a sampled-softmax window: its targets plus n draws from unigram^0.75, seeded by
    (seed, epoch, position) so that runs and resumed runs draw the same. log_q is the log of the chance
    that a word is among the (deduplicated) draws, 1 - (1 - q_w)^n, as TensorFlow's unique sampler."""

    def __init__(self, counts: np.ndarray, n: int, seed: int):
        q = np.maximum(counts, 1).astype(np.float64) ** 0.75
        self.q, self.n, self.seed = q / q.sum(), n, seed
        self.cdf = np.cumsum(self.q)

    def candidates(self, targets: np.ndarray, epoch: int, pos: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, epoch, pos])
        drawn = np.minimum(np.searchsorted(self.cdf, rng.random(self.n) * self.cdf[-1]), len(self.q) - 1)
        cand = np.union1d(targets.reshape(-1), drawn)
        q = self.q[cand]
        return cand, np.log(-np.expm1(self.n * np.log1p(-q))).astype(np.float32)


def _encode_other(inputs: Sequence[str], vocab: Vocab, cfg: LMConfig, folder: str) -> EncodedCorpus:
    return encode_corpus(discover(inputs), vocab, cfg, folder, unk=vocab.index[UNK], eos=vocab.index[EOS],
                         threads=cfg.threads)


def train_lm(inputs: Sequence[str] | str, out: str, **config: Any) -> LoadedLM:
    """Train an RNN or GRU language model on `inputs`, write the run into `out`, return the loaded model."""
    passive_openmp()
    t_start = time.perf_counter()
    cfg, inputs, ckpt_dir, saved = rundir.start_run(LMConfig, inputs, out, config)
    if cfg.ray:
        raise UserError("--ray: the language model trains on one machine; run it without --ray")
    vocab, corpus, timings = prepare_corpus(inputs, out, cfg, lm_vocab_size=cfg.vocab_size,
                                            resume=saved[1] if saved is not None else None)
    streams = Streams(corpus, cfg.batch, inputs[0])
    valid = Streams(_encode_other(cfg.valid, vocab, cfg, os.path.join(out, "valid-cache")), cfg.batch,
                    f"--valid {cfg.valid[0]}") if cfg.valid else None
    model = LanguageModel(cfg.cell, len(vocab), cfg.emb, cfg.hidden, cfg.activation, seed=cfg.seed,
                          flat=saved[0]["params"] if saved is not None else None)
    if saved is not None:
        state, h = saved[1], saved[0]["h"]
    else:
        state = {"epoch": 0, "pos": 0, "lr": cfg.lr, "train_seconds": 0.0, "train_tokens": 0, "loss": 0.0,
                 "epoch_loss": [], "valid_perplexity": [], "corpus_tokens": vocab.total_tokens,
                 "corpus_layout": corpus.layout}
        h = model.zero_state(cfg.batch)
    threads = min(threads_or_default(cfg.threads), numba.config.NUMBA_NUM_THREADS)  # thread_limits' bound
    earlier, tokens_before = state["train_seconds"], state["train_tokens"]
    with stop_requests() as stop:  # until the outputs are written: a signal never leaves half of them
        with thread_limits(threads):
            t0 = time.perf_counter()
            model.loss(np.zeros((1, 1), np.int64), np.zeros((1, 1), np.int64), model.zero_state(1))  # compile
            compile_seconds = time.perf_counter() - t0
            state = _epochs(model, streams, valid, state, h, ckpt_dir, cfg, vocab.counts, stop)
        save_model(out, model, cfg)
        train_seconds = state["train_seconds"] - earlier
        metrics = {
            "model": cfg.cell, "tokens": vocab.total_tokens, "vocab_size": len(vocab), "epochs": cfg.epochs,
            "threads": threads, **rundir.run_times(time.perf_counter() - t_start, train_seconds, earlier),
            "train_tokens": state["train_tokens"],
            "tokens_per_s": round((state["train_tokens"] - tokens_before) / max(train_seconds, 1e-9)),
            "compile_seconds": round(compile_seconds, 3), **{k: round(v, 3) for k, v in timings.items()},
            "loss_per_epoch": state["epoch_loss"], "valid_perplexity_per_epoch": state["valid_perplexity"],
            "valid_perplexity": state["valid_perplexity"][-1] if state["valid_perplexity"] else None,
            "final_lr": state["lr"], "resumed": saved is not None,
        }
        rundir.write_run_files(out, {**to_json(cfg), "threads": threads}, metrics)
        finish_run(cfg, ckpt_dir, corpus, *([valid.corpus] if valid is not None else []))
    return LoadedLM(model, vocab, cfg)


def _epochs(model: LanguageModel, streams: Streams, valid: Streams | None, state: dict, h: np.ndarray,
            ckpt_dir: str, cfg: LMConfig, counts: np.ndarray, stop: StopRequest | None = None) -> dict:
    per_epoch = (streams.n - 1) * cfg.batch
    bar = tqdm(total=cfg.epochs * per_epoch, initial=state["epoch"] * per_epoch + state["pos"] * cfg.batch,
               unit="tok", unit_scale=True, desc=f"lm {cfg.cell}", mininterval=1.0, disable=None)
    ckpt = checkpoint.Periodic(cfg.checkpoint_every, lambda epoch, pos, hidden: checkpoint.save(
        ckpt_dir, {"params": model.p.flat, "h": hidden}, {**state, "epoch": epoch, "pos": pos, "config": to_json(cfg)}),
        stop, lambda epoch, pos, hidden: at_position(epoch, cfg.epochs, pos, streams.n - 1, "steps of each stream"))

    noise = NoiseSampler(counts, cfg.sampled_softmax, cfg.seed) if cfg.sampled_softmax else None
    with bar:
        for epoch in range(state["epoch"], cfg.epochs):
            start = state["pos"] if epoch == state["epoch"] else 0
            if start == 0:
                h = model.zero_state(cfg.batch)
            for i, w in streams.windows(cfg.bptt, start):
                t0 = time.perf_counter()
                cand = noise.candidates(w[1:], epoch, i) if noise is not None else (None, None)
                loss, h = model.loss_and_grad(w[:-1], w[1:], h, *cand)
                model.sgd_step(state["lr"], cfg.clip)
                state["train_seconds"] += time.perf_counter() - t0
                state["train_tokens"] += w[1:].size
                state["loss"] += loss
                bar.update(w[1:].size)
                ckpt.tick(epoch, i + w.shape[0] - 1, h)
            state["epoch_loss"].append(round(state["loss"] / max(per_epoch, 1), 6))
            if valid is not None:
                ppl = model.perplexity(w for _, w in valid.windows(cfg.bptt))
                if state["valid_perplexity"] and ppl >= min(state["valid_perplexity"]):
                    state["lr"] /= cfg.lr_decay
                state["valid_perplexity"].append(round(ppl, 4))
                bar.set_postfix(valid_ppl=f"{ppl:.1f}", refresh=False)
            state["loss"], state["pos"], state["epoch"] = 0.0, 0, epoch + 1
    ckpt.end(cfg.epochs, 0, model.zero_state(cfg.batch), keep=cfg.keep_checkpoints)
    return state


def save_model(out: str, model: LanguageModel, cfg: LMConfig) -> None:
    with atomic_write(os.path.join(out, "model.npz"), "wb") as f:
        np.savez(f, params=model.p.flat, config=np.frombuffer(json.dumps(to_json(cfg)).encode(), np.uint8))


class LoadedLM:
    """A trained language model with its vocabulary: perplexity on new text, and generation."""

    def __init__(self, model: LanguageModel, vocab: Vocab, cfg: LMConfig):
        self.model, self.vocab, self.cfg = model, vocab, cfg

    def perplexity(self, inputs: Sequence[str] | str, cache_dir: str | None = None) -> float:
        """Exact full-softmax perplexity on `inputs`, read as --batch streams like validation."""
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp, thread_limits(threads_or_default(self.cfg.threads)):
            streams = Streams(_encode_other(inputs, self.vocab, self.cfg, tmp), self.cfg.batch, inputs[0])
            return self.model.perplexity(w for _, w in streams.windows(self.cfg.bptt))

    def generate(self, prime: str = "", tokens: int = 50, temperature: float = 1.0, seed: int = 1) -> str:
        """The prime text and `tokens` sampled words after it, a sentence a line (the model's </s> ends a
        line). The prime is read as the start of a sentence, as training saw sentences (after </s>);
        unknown prime words read as <unk>."""
        unk, eos = self.vocab.index[UNK], self.vocab.index[EOS]
        ids = [eos] + [self.vocab.index.get(w, unk) for w in prime.split()]
        lines, line = [], prime.split()
        for i in self.model.generate(ids, tokens, temperature, seed):
            if i == eos:
                lines.append(" ".join(line))
                line = []
            else:
                line.append(self.vocab.words[i])
        return "\n".join([*lines, " ".join(line)]).strip("\n")


def load_lm(run_dir: str) -> LoadedLM:
    """The model a `stream-train lm` run wrote into run_dir (model.npz + vocab.tsv)."""
    path = os.path.join(run_dir, "model.npz")
    if not os.path.exists(path):
        raise UserError(f"{run_dir}: no model.npz; pass the --out folder of a finished `stream-train lm` run")
    with np.load(path) as z:
        flat, cfg = z["params"], make_config(LMConfig, json.loads(z["config"].tobytes().decode()))
    vocab = Vocab.load(os.path.join(run_dir, "vocab.tsv"))
    model = LanguageModel(cfg.cell, len(vocab), cfg.emb, cfg.hidden, cfg.activation, flat=flat)
    return LoadedLM(model, vocab, cfg)
