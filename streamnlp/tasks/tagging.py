"""train_tagger: read the labelled data, build the window tagger from the vectors given (or random), train it,
score it on --dev after each epoch, and write the run folder; evaluate_tagger scores a tagger as the fields do."""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

import numba

from ..run import rundir
from ..run.config import TaggerConfig, to_json
from ..run.errors import UserError
from ..run.interrupt import stop_requests
from ..run.threads import passive_openmp, threads_or_default
from ..vectors.keyed import load_vectors
from . import sgd
from .features import CAPS, Index, suffix, word_table
from .labelled import Tagged, _kind, _lines, read_tagged
from .score import is_chunk_tagset, phrase_scores, token_accuracy
from .tagger import WindowTagger, allowed_transitions, column


def read_for(cfg: TaggerConfig, path: str, tagged: bool = True) -> Tagged:
    return read_tagged(path, column(cfg.word_column), column(cfg.tag_column) if tagged else None,
                       [column(c) for c in cfg.feature_column or []])


def build(cfg: TaggerConfig, train: Tagged) -> tuple[WindowTagger, int]:
    """A new tagger for `train`'s words, features and tags; also the word rows taken from --vectors."""
    vectors = load_vectors(cfg.vectors) if cfg.vectors else None
    words, emb, from_vectors = word_table(train.words, vectors, cfg.min_count, cfg.dim, cfg.seed)
    suffixes = [Index.counted([suffix(w, cfg.suffix) for w in s] for s in train.words)] if cfg.suffix else []
    features = [Index(CAPS), *suffixes, *(Index.counted(f) for f in train.features)]
    tags = sorted({t for s in train.tags for t in s})
    model = WindowTagger(cfg, words, features, tags, allowed_transitions(tags, train.tags), emb.shape[1], emb=emb)
    return model, from_vectors


def evaluate_tagger(model: WindowTagger, data: Tagged, warn: bool = True) -> dict[str, Any]:
    """token_accuracy; for phrase tags (IOB1 / IOB2 / IOBES) conlleval's precision, recall, f1 and per_type."""
    pred = model.tag_data(data)
    unseen = sorted({t for s in data.tags for t in s} - set(model.tags))
    if unseen and warn:
        print(f"warning: {len(unseen)} tag(s) of the test data never seen in training ({', '.join(unseen[:5])}"
              f"{', ...' if len(unseen) > 5 else ''}): scored as errors", file=sys.stderr)
    scores: dict[str, Any] = {"token_accuracy": token_accuracy(data.tags, pred)}
    if is_chunk_tagset(model.tags):
        ph = phrase_scores(data.tags, pred)
        scores.update(precision=ph["precision"], recall=ph["recall"], f1=ph["f1"], per_type=ph["per_type"])
    return scores


def train_tagger(train: str, out: str, **config: Any) -> WindowTagger:
    """Train a window tagger on the CoNLL or row file `train`, write the run into `out`, return the tagger.
    Keywords are TaggerConfig's fields (the command line's flags)."""
    passive_openmp()
    t_start = time.perf_counter()
    cfg, _, ckpt_dir, saved = rundir.start_run(TaggerConfig, train, out, config)
    negative = [c for c in cfg.feature_column or [] if isinstance(column(c), int) and column(c) < 0]
    if negative:
        raise UserError(f"--feature-column {negative[0]}: count feature columns from 0 (text to tag has no tag "
                        "column, so a column counted from the end would name another one there)")
    data = read_for(cfg, train)
    dev = read_for(cfg, cfg.dev) if cfg.dev else None
    model, from_vectors = build(cfg, data)
    if saved is not None:
        if saved[0]["params"].size != model.p.flat.size:
            raise UserError(f"--resume: {ckpt_dir} holds another model's weights; start a new --out")
        model.p.flat[...] = saved[0]["params"]
    enc = model.encode(data)
    threads = min(threads_or_default(cfg.threads), numba.config.NUMBA_NUM_THREADS)
    state = saved[1] if saved is not None else sgd.new_state()
    earlier, trained_before = state["train_seconds"], state["trained"]
    sizes = enc.starts[1:] - enc.starts[:-1]
    with stop_requests() as stop:
        t0 = time.perf_counter()
        model.train_sentences(enc, sgd.order(0, 0, 0), cfg.lr)  # compile
        compile_seconds = time.perf_counter() - t0
        state = sgd.run_epochs(model.p.flat, len(data.words), sizes, lambda part, lr, _: model.train_sentences(
            enc, part, lr), cfg, threads, state, ckpt_dir, stop,
            (lambda: evaluate_tagger(model, dev, warn=False)) if dev is not None else None, "tok", "tagger")
        model.save(out)
        train_seconds = state["train_seconds"] - earlier
        metrics = {
            "sentences": len(data.words), "tokens": data.n_tokens, "tags": len(model.tags),
            "words": len(model.words), "words_from_vectors": from_vectors, "epochs": cfg.epochs, "threads": threads,
            **rundir.run_times(time.perf_counter() - t_start, train_seconds, earlier),
            "tokens_per_s": round((state["trained"] - trained_before) / max(train_seconds, 1e-9)),
            "compile_seconds": round(compile_seconds, 3), "loss_per_epoch": state["loss_per_epoch"],
            "dev_per_epoch": [{k: v for k, v in d.items() if k != "per_type"} for d in state["dev"]],
            "dev": state["dev"][-1] if state["dev"] else None, "resumed": saved is not None,
        }
        rundir.write_run_files(out, {**to_json(cfg), "threads": threads}, metrics)
        if not cfg.keep_checkpoints:
            rundir.drop_checkpoints(ckpt_dir)
    return model


def tag_file(model: WindowTagger, path: str) -> tuple[list[list[str]], list[list[str]]]:
    """(sentences, their tags) of a file to tag: CoNLL columns (or a row file) read as the training data was,
    or plain text, one sentence a line."""
    from .labelled import read_raw
    cfg = model.cfg
    columns = looks_like_columns(path)
    if model.n_columns and not columns:
        named = ", ".join(map(str, cfg.feature_column or []))
        raise UserError(f"{path}: this tagger reads column(s) {named} beside the words; give CoNLL columns (a "
                        "token a line, a blank line between sentences)")
    if columns:
        data = read_for(cfg, path, tagged=False)
    else:
        data = Tagged(read_raw(path), [], [])
    return data.words, model.tag_data(data)


def looks_like_columns(path: str) -> bool:
    """A row file or a .conllu file, or a text file that reads as CoNLL: a -DOCSTART- line, or first lines
    (up to the first blank one; comment lines aside) that are two or more, all with the same number of columns."""
    if _kind(path) != "text":
        return True
    widths: list[int] = []
    for line in _lines(path)[:1000]:
        cols = line.split()
        if not cols:
            if widths:
                break
            continue
        if cols[0] == "-DOCSTART-":
            return True
        if not cols[0].startswith("#"):
            widths.append(len(cols))
    return len(widths) >= 2 and len(set(widths)) == 1


def write_tagged(out: Any, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
    for words, ts in zip(sentences, tags):
        out.write("".join(f"{w}\t{t}\n" for w, t in zip(words, ts)) + "\n")

