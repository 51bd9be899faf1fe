"""train_classifier: read labelled sentences, report K-fold cross-validation accuracy if asked (--folds), train the
classifier on all of them, score --dev after each epoch, and write the run folder; evaluate_classifier scores it."""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numba
import numpy as np

from ..run import rundir
from ..run.config import ClassifierConfig, to_json
from ..run.errors import Interrupted, UserError
from ..run.interrupt import stop_requests
from ..run.threads import passive_openmp, threads_or_default
from ..vectors.keyed import load_vectors
from . import sgd
from .classifier import SentenceClassifier, idf, ngrams_of
from .features import Index, norm, word_table
from .labelled import read_labelled
from .score import class_scores

ROW_SD = 0.05  # the word and n-gram rows' scale: on MR's 3-fold cross-validation 0.763 (5 runs), 0.758 at 0.1


def build(cfg: ClassifierConfig, texts: Sequence[Sequence[str]], labels: Sequence[str], vectors: Any
          ) -> tuple[SentenceClassifier, int]:
    words, emb, from_vectors = word_table(texts, vectors, cfg.min_count, cfg.dim, cfg.seed, sd=ROW_SD)
    grams = Index.counted(([g for g in ngrams_of([norm(w) for w in t], cfg.ngrams)] for t in texts), cfg.min_count) \
        if cfg.model == "mean" and cfg.ngrams > 1 else None
    model = SentenceClassifier(cfg, words, sorted(set(labels)), emb.shape[1], emb=emb, ngrams=grams)
    if cfg.weighting == "idf":
        model.weight[...] = idf(len(model.weight), [model.row_ids(t) for t in texts])
    return model, from_vectors


def evaluate_classifier(model: SentenceClassifier, texts: Sequence[Sequence[str]], labels: Sequence[str],
                        warn: bool = True) -> dict[str, Any]:
    """accuracy and per-class precision, recall, f1 and support."""
    unseen = sorted(set(labels) - set(model.labels))
    if unseen and warn:
        print(f"warning: {len(unseen)} label(s) of the test data never seen in training ({', '.join(unseen[:5])}): "
              "scored as errors", file=sys.stderr)
    return class_scores(list(labels), model.predict(texts))


def fit(model: SentenceClassifier, texts: Sequence[Sequence[str]], labels: Sequence[str], cfg: ClassifierConfig,
        threads: int, state: dict[str, Any], ckpt_dir: str, stop: Any, dev: tuple | None, desc: str) -> dict[str, Any]:
    enc = model.encode(texts, labels)
    sizes = np.diff(enc.bstarts).astype(np.float64)
    score = (lambda: {"accuracy": evaluate_classifier(model, *dev, warn=False)["accuracy"]}) if dev else None
    return sgd.run_epochs(model.p.flat, enc.n_batches, sizes,
                          lambda part, lr, when: model.train_batches(enc, part, lr, when),
                          cfg, threads, state, ckpt_dir, stop, score, "sent", desc)


def cross_validate(cfg: ClassifierConfig, texts: list, labels: list, vectors: Any, threads: int, stop: Any
                   ) -> list[float]:
    """Accuracy of each of cfg.folds folds (a seeded split), each held out from a model trained on the rest."""
    folds = np.array_split(np.random.default_rng([cfg.seed, 1]).permutation(len(texts)), cfg.folds)
    quiet = replace(cfg, checkpoint_every=0.0, keep_checkpoints=False)
    scores = []
    for k, held in enumerate(folds):
        rest = np.concatenate([f for j, f in enumerate(folds) if j != k])
        tr_t, tr_l = [texts[i] for i in rest], [labels[i] for i in rest]
        model, _ = build(quiet, tr_t, tr_l, vectors)
        fit(model, tr_t, tr_l, quiet, threads, sgd.new_state(), "", None, None, f"fold {k + 1}/{cfg.folds}")
        if stop is not None and stop.signum is not None:  # a fold's model is not the run's: nothing to resume
            raise Interrupted(stop.signum, f"in fold {k + 1} of {cfg.folds} (folds restart on a rerun)", None)
        scores.append(evaluate_classifier(model, [texts[i] for i in held], [labels[i] for i in held],
                                          warn=False)["accuracy"])
    return scores


def train_classifier(train: str, out: str, **config: Any) -> SentenceClassifier:
    """Train a sentence classifier on `train` (rows with a text and a label column, or fastText __label__ lines),
    write the run into `out`, return the classifier. Keywords are ClassifierConfig's fields."""
    passive_openmp()
    t_start = time.perf_counter()
    cfg, _, ckpt_dir, saved = rundir.start_run(ClassifierConfig, train, out, config)
    texts, labels = read_labelled(train, cfg.text_column, cfg.label_column)
    if len(set(labels)) < 2:
        raise UserError(f"{train}: every sentence has the label {labels[0]!r}; a classifier needs two or more")
    if cfg.folds == 1 or cfg.folds > len(texts):
        raise UserError(f"--folds {cfg.folds}: give 2 to {len(texts)} folds (the sentences of {train}), or 0")
    dev = read_labelled(cfg.dev, cfg.text_column, cfg.label_column) if cfg.dev else None
    vectors = load_vectors(cfg.vectors) if cfg.vectors else None
    threads = min(threads_or_default(cfg.threads), numba.config.NUMBA_NUM_THREADS)
    model, from_vectors = build(cfg, texts, labels, vectors)
    if saved is not None:
        if saved[0]["params"].size != model.p.flat.size:
            raise UserError(f"--resume: {ckpt_dir} holds another model's weights; start a new --out")
        model.p.flat[...] = saved[0]["params"]
    state = saved[1] if saved is not None else sgd.new_state()
    earlier, trained_before = state["train_seconds"], state["trained"]
    with stop_requests() as stop:
        t0 = time.perf_counter()
        model.train_batches(model.encode(texts[:1], labels[:1]), np.zeros(0, np.int64), cfg.lr)  # compile
        compile_seconds = time.perf_counter() - t0
        folds = state.get("folds")
        if cfg.folds and folds is None:
            folds = cross_validate(cfg, texts, labels, vectors, threads, stop)
            state["folds"] = folds
        state = fit(model, texts, labels, cfg, threads, state, ckpt_dir, stop, dev, f"classifier {cfg.model}")
        model.save(out)
        train_seconds = state["train_seconds"] - earlier
        metrics = {
            "sentences": len(texts), "labels": len(model.labels), "words": len(model.words),
            "words_from_vectors": from_vectors, "epochs": cfg.epochs, "threads": threads,
            **rundir.run_times(time.perf_counter() - t_start, train_seconds, earlier),
            "sentences_per_s": round((state["trained"] - trained_before) / max(train_seconds, 1e-9)),
            "compile_seconds": round(compile_seconds, 3), "loss_per_epoch": state["loss_per_epoch"],
            "dev_per_epoch": state["dev"], "dev": state["dev"][-1] if state["dev"] else None,
            "folds": folds, "cv_accuracy": float(np.mean(folds)) if folds else None,
            "cv_std": float(np.std(folds)) if folds else None, "resumed": saved is not None,
        }
        rundir.write_run_files(out, {**to_json(cfg), "threads": threads}, metrics)
        if not cfg.keep_checkpoints:
            rundir.drop_checkpoints(ckpt_dir)
    return model
