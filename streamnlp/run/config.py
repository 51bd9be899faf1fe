"""Trainer configurations: one dataclass per trainer, commented defaults; CLI flags come from the fields."""
from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from .errors import UserError

INIT_ALPHA_SHARE = 0.4  # --init's default starting rate, as a share of a new run's (effective_alpha)
# CBOW's default starting rate with --ray: the frequent rows' mean change at the syncs slows them, and at
# word2vec's 0.05 4 replicas lost 0.020 of realtext's analogy against one replica (seeds 1-2); at 0.075 0.001
# (seeds 1-3); one replica: analogy 0.266 at 0.05 and 0.265 at 0.075, WordSim 0.391 and 0.431
CBOW_REPLICA_ALPHA = 0.075
# CBOW's default starting rate with --hs (gensim's is 0.025 for both models and both objectives): realtext, seeds 1-3,
# 2 threads, analogy 0.2018 at word2vec's 0.05, 0.2067 at 0.04, 0.2097 at 0.035 (gensim's hs=1: 0.210-0.217);
# WordSim 0.413, 0.403, 0.387 (gensim's 0.361-0.382); one thread, seed 1: 0.1952 at 0.05, 0.2003 at 0.035
CBOW_HS_ALPHA = 0.035


def opt(default: Any, help: str, *, type: type | None = None, choices: tuple | None = None,
        lo: float | None = None, hi: float | None = None, aliases: tuple[str, ...] = (),
        nargs: str | None = None, action: str | None = None) -> Any:
    """A config field with what the CLI needs: help, value type, choices, range, and word2vec-style aliases."""
    kind = type if type is not None else (bool if isinstance(default, bool) else default.__class__)
    return field(default=default, metadata=dict(help=help, type=kind, choices=choices, lo=lo, hi=hi,
                                                aliases=aliases, nargs=nargs, action=action))


@dataclass
class CorpusConfig:
    """How shards are read and tokenized (shared by every trainer)."""
    text_column: str = opt("text", "column of Parquet/Arrow shards (field of JSON Lines objects) that holds the "
                                   "text (one row = one sentence)")
    lowercase: bool = opt(False, "lower-case the text before tokenizing")
    token_pattern: str | None = opt(None, "regex whose matches are the tokens (default: split on whitespace)",
                                    type=str)
    batch_rows: int = opt(4096, "rows per record batch read from a shard, small files' rows joined up to it "
                                "(bounds reader memory)", lo=1)
    cache_dir: str | None = opt(None, "where the encoded token blocks go (default: OUT/cache)", type=str)
    block_tokens: int = opt(1 << 20, "tokens per encoded block (one unit of streaming and of Hogwild work)",
                            lo=1024)
    phrases: str | None = opt(None, "join the phrases of this `stream-train phrases` run (new_york) as the text is "
                                    "read", type=str)
    max_sentence_length: int = opt(10_000, "cut rows longer than this many vocabulary words into sentences "
                                           "of at most this many (no context window crosses a cut), as "
                                           "gensim does; a row of a whole corpus (text8) then trains on "
                                           "every thread", lo=1)


@dataclass
class VocabConfig(CorpusConfig):
    """The counting pass."""
    min_count: int = opt(5, "drop words seen fewer times than this", lo=1)
    max_vocab_size: int = opt(20_000_000, "prune rare words while counting when the vocabulary grows past "
                                          "this many words (as word2vec and gensim do)", lo=1)
    max_final_vocab: int | None = opt(None, "keep at most this many of the most frequent words", type=int, lo=1)
    threads: int | None = opt(None, "worker threads (default: all cores; with --ray, each replica's)", type=int,
                              lo=1, aliases=("--workers",))
    ray: str | None = opt(None, "run the passes (and word2vec's training replicas) on a Ray cluster: its ADDRESS, "
                                "auto (one started with `ray start --head`) or local[:N] (one started here with N "
                                "CPUs); needs streamnlp[ray]", type=str)


@dataclass
class PhrasesConfig(VocabConfig):
    """Phrase detection: word2phrase's and gensim's Phrases' scores and defaults."""
    min_count: int = opt(5, "a pair seen this many times or fewer scores below 0 (default scoring: subtracted from "
                            "its count; npmi: pairs seen fewer times are dropped), as gensim's", lo=1)
    threshold: float = opt(10.0, "keep the word pairs scoring above this (npmi: in [-1, 1])", lo=-1e12)
    scoring: str = opt("default", "default: word2phrase's (n_ab - min_count) / (n_a n_b) x vocabulary size; npmi: "
                                  "normalized pointwise mutual information", choices=("default", "npmi"))
    passes: int = opt(1, "counting passes, each on the text joined by the phrases before it (2: trigrams, as "
                         "running word2phrase twice)", lo=1, hi=10)
    max_vocab_size: int = opt(40_000_000, "prune rare words and pairs while counting when they outgrow this "
                                          "many (gensim's Phrases' default)", lo=1)
    delimiter: str = opt("_", "what joins a phrase's words")


@dataclass
class RunConfig(VocabConfig):
    """What every trainer's run has: periodic checkpoints and --resume."""
    checkpoint_every: float = opt(300.0, "seconds between checkpoints in OUT/checkpoints (0 = none); Ctrl-C or "
                                         "SIGTERM also writes one", lo=0.0)
    resume: bool = opt(False, "continue from OUT/checkpoints/ if a checkpoint is there")
    keep_checkpoints: bool = opt(False, "keep OUT/checkpoints when the run finishes (the last holds every matrix); "
                                        "a stopped run keeps them always")
    keep_cache: bool = opt(False, "keep OUT/cache (the encoded corpus; GloVe's counts too) when the run finishes, "
                                  "for later runs on the same corpus; a --cache-dir is kept always")


@dataclass
class Word2VecConfig(RunConfig):
    """Skip-gram / CBOW with negative sampling; defaults are word2vec's."""
    model: str = opt("sg", "sg = skip-gram, cbow = continuous bag of words", choices=("sg", "cbow"))
    dim: int = opt(100, "vector dimension", lo=1, hi=10_000, aliases=("--size", "--vector-size"))
    window: int = opt(5, "max distance between center and context word (reduced at random per word)",
                      lo=1, hi=1000)
    negative: int = opt(5, "noise words per positive pair (0 with --hs: hierarchical softmax alone)", lo=0, hi=100)
    hs: bool = opt(False, "hierarchical softmax over a Huffman tree of the counts (word2vec's -hs 1; with "
                          "--negative 0)")
    ns_exponent: float = opt(0.75, "noise words are drawn in proportion to count**this: 0.75 is word2vec's "
                                   "and gensim's, 0.5 fastText's (SimLex up, analogy down on realtext), 0 "
                                   "draws every word alike, below 0 favours rare words", lo=-10.0, hi=10.0)
    sample: float = opt(1e-3, "subsampling threshold for frequent words (0 = off)", lo=0.0, hi=1.0)
    epochs: int = opt(5, "passes over the corpus", lo=1, aliases=("--iter",))
    alpha: float | None = opt(None, "starting learning rate (default 0.025 for sg, 0.05 for cbow, 0.035 for "
                                    "cbow with --hs, 0.075 for cbow with --ray; with --init 0.4 of that); "
                                    "decays linearly to alpha*1e-4", type=float, lo=0.0, hi=10.0)
    seed: int = opt(1, "random seed; --threads 1 with the same seed is bit-identical", lo=0)
    shared_negatives: bool = opt(True, "draw the noise words once per context window and update the window as "
                                       "one small matrix product (Intel's pWord2Vec); --no-shared-negatives "
                                       "draws them per pair as word2vec.c does")
    hot_rows: int | None = opt(None, "each thread trains on its own copy of the N most frequent words' input "
                                     "rows (with 2 threads, their output rows too: with --hs the tree's top "
                                     "nodes) and adds its change to the shared rows every 4096/threads center "
                                     "words (0 = plain Hogwild; default at 2 threads 1024 with --hs, 256 for "
                                     "skip-gram, else 0; no effect with one thread)",
                               type=int, lo=0, hi=1_000_000)
    regions: int | None = opt(None, "train this many far-apart parts of the corpus at once, their sentences "
                                    "interleaved, as word2vec.c's threads each read their own part (default "
                                    "2 for cbow, where it scored better, 1 for sg)", type=int, lo=1, hi=1024)
    write_text: bool = opt(True, "also write vectors.txt (word2vec text format)")
    init: str | None = opt(None, "train on from an earlier run (its --out folder): its words keep their vectors and "
                                 "rows, the new shards' words seen --min-count times are added, and the learning "
                                 "rate starts again from --alpha, by default 0.4 of a new run's (gensim's "
                                 "build_vocab(update=True))", type=str)
    replicas: int | None = opt(None, "with --ray: training replicas, each on its share of the corpus with its own "
                                     "copy of the weights (default: one per node)", type=int, lo=1, hi=4096)
    sync_rows: int = opt(1024, "with --ray: rows of the most frequent words that the replicas combine at every "
                               "sync, twice as many at every second sync of a replica and so on (pWord2Vec's "
                               "schedule; 0: combine only at each epoch's end); every row is combined at each "
                               "epoch's end", lo=0)
    sync_tokens: int = opt(1 << 17, "with --ray: tokens all replicas train between two syncs (each trains its "
                                    "share of them)", lo=1024)

    def resolved(self, threads: int) -> Word2VecConfig:
        """The settings as a run with `threads` threads uses them: defaults that depend on the model or the
        thread count filled in (config.json holds these)."""
        return replace(self, alpha=self.effective_alpha(), hot_rows=self.effective_hot_rows(threads),
                       regions=self.effective_regions(), threads=threads)

    def effective_regions(self) -> int:
        if self.regions is not None:
            return self.regions
        return 2 if self.model == "cbow" else 1

    def effective_alpha(self) -> float:
        """--alpha, else word2vec's default for the model; with --init 0.4 of it: the schedule restarts on new
        shards from vectors already trained, and realtext's analogy score after --init on the second half was
        0.198 at the full rate against 0.231-0.241 at 0.4 of it (one run on all shards 0.245-0.246; 3 seeds).
        CBOW's replicas (--ray) start at CBOW_REPLICA_ALPHA, CBOW with --hs at CBOW_HS_ALPHA."""
        if self.alpha is not None:
            return self.alpha
        if self.ray and self.model == "cbow":
            return CBOW_REPLICA_ALPHA
        model = 0.025 if self.model == "sg" else CBOW_HS_ALPHA if self.hs else 0.05
        return model * (INIT_ALPHA_SHARE if self.init else 1.0)

    def effective_hot_rows(self, threads: int) -> int:
        """Hot rows when training with `threads` threads. The default is on only where it was measured to
        pay: two threads, where skip-gram's scores improved in every seed measured (kernels.sgns.push_hot
        says why more threads copy input rows only; that is yet to be measured on many cores)."""
        if threads < 2:
            return 0
        if self.hot_rows is not None:
            return self.hot_rows
        # hierarchical softmax: every path crosses the root's nodes, which two threads otherwise fight over
        # (CBOW, realtext, an epoch: 3.7 s on one thread, 5.9 s on two, 2.4 s with 256 hot rows), and the nodes
        # below them too when this machine runs slow: 5 epochs, 256 / 1,024 / 2,048 hot rows 13.7-17.6 / 10.9-11.0
        # / 24.8-25.4 s (64: 19.7-21.3 s), in its fast mode 9.1 / 9.5 s; analogy (seeds 1-3) 0.209 / 0.212
        if threads != 2:
            return 0
        return 1024 if self.hs else 256 if self.model == "sg" else 0


@dataclass
class GloveConfig(RunConfig):
    """GloVe: weighted least squares on log co-occurrence counts with AdaGrad; defaults are GloVe C's."""
    dim: int = opt(100, "vector dimension", lo=1, hi=10_000, aliases=("--size", "--vector-size"))
    window: int = opt(10, "context words on each side; a pair at distance d counts 1/d", lo=1, hi=1000)
    x_max: float = opt(100.0, "counts above this get full weight in the loss", lo=1e-6)
    alpha: float = opt(0.75, "exponent of the weighting f(x) = min(1, (x / x_max)^alpha)", lo=0.0, hi=10.0)
    eta: float = opt(0.05, "AdaGrad's initial learning rate of the vectors (the biases step by their bare "
                           "gradient, as in GloVe C)", lo=1e-9, hi=10.0)
    grad_clip: float = opt(100.0, "clip each gradient component to [-grad_clip, grad_clip]", lo=1e-9)
    epochs: int = opt(15, "passes over the co-occurrence records", lo=1, aliases=("--iter",))
    memory: float = opt(2048.0, "MB the run may hold (the process's RSS: imports, vocabulary, counting "
                                "buffers, records kept in memory between epochs), plus the model's matrices; "
                                "counting spills to disk beyond it. Any value gives the same records", lo=16.0)
    seed: int = opt(1, "random seed (initial vectors, record shuffle); --threads 1 is bit-identical", lo=0)
    write_text: bool = opt(True, "also write vectors.txt (word2vec text format)")


@dataclass
class LMConfig(RunConfig):
    """RNN / GRU language model trained with truncated BPTT and SGD; defaults are the classic small recipe."""
    cell: str = opt("gru", "recurrent cell", choices=("rnn", "gru"))
    activation: str = opt("tanh", "the Elman cell's nonlinearity", choices=("tanh", "sigmoid"))
    vocab_size: int = opt(10000, "the vocab-size - 1 most frequent tokens (with </s>) + <unk>", lo=3)
    min_count: int = opt(1, "drop words seen fewer times than this (before taking the top vocab-size)", lo=1)
    emb: int = opt(128, "embedding size", lo=1, hi=100_000)
    hidden: int = opt(256, "hidden units", lo=1, hi=100_000)
    bptt: int = opt(32, "steps of truncated backpropagation through time", lo=1)
    batch: int = opt(32, "parallel streams the token sequence is cut into", lo=1)
    lr: float = opt(1.0, "SGD learning rate", lo=0.0, hi=1000.0)
    clip: float = opt(5.0, "clip the global gradient norm to this (0 = no clipping)", lo=0.0)
    lr_decay: float = opt(1.0, "divide the learning rate by this after an epoch whose validation perplexity "
                               "did not improve (1 = never)", lo=1.0)
    sampled_softmax: int = opt(0, "train the output layer on the window's targets plus this many noise words "
                                  "drawn from unigram^0.75 (sampled softmax; 0 = full softmax). Perplexity "
                                  "stays exact", lo=0)
    epochs: int = opt(1, "passes over the training tokens", lo=1)
    valid: list | None = opt(None, "validation corpus (folders/files/globs) for exact perplexity after each epoch",
                             type=str, nargs="+")
    seed: int = opt(1, "random seed of the initial weights; --threads 1 is bit-identical", lo=0)


@dataclass
class TaskConfig:
    """What the tagger and the classifier share: the vectors they start from, SGD, threads, checkpoints."""
    dev: str | None = opt(None, "held-out data scored after each epoch (metrics.json)", type=str)
    vectors: str | None = opt(None, "start the word table from these vectors: a streamnlp run folder or any word2vec "
                                    ".bin / .txt file (default: random rows)", type=str)
    freeze_vectors: bool = opt(False, "keep the word table as given (default: the gradient reaches the vectors)")
    dim: int = opt(50, "word dimensions when no --vectors are given", lo=1, hi=10_000)
    min_count: int = opt(2, "training words seen fewer times than this read as the unknown word (its row is "
                            "trained on them)", lo=1)
    hidden: int = opt(300, "units of the tanh layer", lo=1, hi=100_000)
    epochs: int = opt(10, "passes over the training data", lo=1, aliases=("--iter",))
    lr: float = opt(0.1, "SGD learning rate (each step moves by it times the batch's mean gradient)", lo=0.0,
                    hi=1000.0, aliases=("--alpha",))
    lr_decay: str = opt("none", "none: --lr throughout; linear: falling to 1e-4 of --lr over the run, as word2vec's",
                        choices=("none", "linear"))
    batch: int = opt(64, "tokens (tagger) or sentences (classifier) a step averages over", lo=1)
    threads: int | None = opt(None, "worker threads, each stepping on its own batches into the shared weights "
                                    "(default: all cores; 1 is bit-identical run to run)", type=int, lo=1,
                              aliases=("--workers",))
    seed: int = opt(1, "random seed (initial weights, shuffling)", lo=0)
    checkpoint_every: float = opt(300.0, "seconds between checkpoints in OUT/checkpoints, taken at the next of "
                                         "an epoch's 20 pieces (0 = none); Ctrl-C or SIGTERM also writes one",
                                  lo=0.0)
    resume: bool = opt(False, "continue from OUT/checkpoints/ if a checkpoint is there")
    keep_checkpoints: bool = opt(False, "keep OUT/checkpoints when the run finishes")


@dataclass
class TaggerConfig(TaskConfig):
    """Collobert & Weston's window tagger: the window's word vectors and features -> tanh -> tag scores."""
    word_column: str = opt("0", "the words' column: a CoNLL column number (negative counts from the end), or a "
                                "row file's list column by name or number")
    tag_column: str = opt("-1", "the tags' column, numbered or named as --word-column")
    feature_column: list | None = opt(None, "a column whose values are embedded as a feature of each window "
                                            "position (the POS column for chunking or NER); repeatable",
                                      type=str, nargs="+", action="extend")
    window: int = opt(2, "words on each side of the token", lo=0, hi=50)
    suffix: int = opt(2, "also embed each word's last N letters as a feature, as Collobert et al.'s POS system "
                         "(0 = none)", lo=0, hi=10)
    feature_dim: int = opt(10, "dimensions of each feature's vectors (capitalisation and --feature-column)",
                           lo=1, hi=1000)
    viterbi: bool = opt(False, "learn tag transition scores (sentence-level log-likelihood) and decode the "
                               "best path (Viterbi), never an I-X that cannot follow the tag before it")


@dataclass
class ClassifierConfig(TaskConfig):
    """A sentence classifier over word vectors: a GRU's final state, or the vectors' mean -> tanh, then softmax."""
    text_column: str = opt("text", "the text column of Parquet / Arrow / JSON Lines rows (fastText's __label__ "
                                   "lines need none)")
    label_column: str = opt("label", "the label column of Parquet / Arrow / JSON Lines rows")
    model: str = opt("mean", "gru: a GRU over the sentence, its final state classified; mean: the words' mean "
                             "vector -> tanh layer", choices=("gru", "mean"))
    # the defaults below scored best on MR's 3-fold cross-validation with skip-gram vectors (docs/decisions.md);
    # --ngrams 2 did too, but on a few hundred sentences it learnt nothing in 6 epochs: 1 as fastText's
    hidden: int = opt(50, "units of the tanh layer (mean) or of the GRU", lo=1, hi=100_000)
    epochs: int = opt(15, "passes over the training data", lo=1, aliases=("--iter",))
    lr: float = opt(0.5, "SGD learning rate (each step moves by it times the batch's mean gradient)", lo=0.0,
                    hi=1000.0, aliases=("--alpha",))
    lr_decay: str = opt("linear", "none: --lr throughout; linear: falling to 1e-4 of --lr over the run, as "
                                  "word2vec's", choices=("none", "linear"))
    batch: int = opt(16, "sentences a step averages over", lo=1)
    ngrams: int = opt(1, "with --model mean, also average rows of the 2- to N-word sequences seen --min-count times "
                         "in TRAIN (fastText's -wordNgrams)", lo=1, hi=5)
    weighting: str = opt("idf", "with --model mean, weigh each row in a sentence's mean: none (the plain mean) or "
                                "idf (its inverse document frequency in TRAIN, as TF-IDF does)",
                         choices=("none", "idf"))
    min_count: int = opt(1, "training words (and n-grams) seen fewer times than this read as the unknown word (1: "
                            "every one, as TF-IDF's min_df=1)", lo=1)
    bag_lr: float = opt(32.0, "with --model mean, the learning rate, as a multiple of --lr, of the linear part: a "
                              "weight per row and label on the sentence's rows as TF-IDF's unit vector, added to the "
                              "scores (0: none)", lo=0.0, hi=1e6)
    word_dropout: float = opt(0.3, "with --model mean, leave each word out of a training sentence's mean with this "
                                    "probability (Iyyer et al. 2015's word dropout)", lo=0.0, hi=0.95)
    folds: int = opt(0, "report K-fold cross-validation accuracy over TRAIN (the convention where a data set "
                        "has no test split), then train the model on all of it (0: no folds)", lo=0, hi=1000)


def make_config(cls: type, values: dict[str, Any]) -> Any:
    """Build and range-check a config from keyword values (the Python API path)."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise UserError(f"unknown option {unknown[0]!r} for {cls.__name__}; valid: {', '.join(sorted(names))}")
    cfg = cls(**values)
    for f in fields(cls):
        check_value(f, getattr(cfg, f.name))
    return cfg


def check_value(f: Any, value: Any) -> None:
    m = f.metadata
    flag = "--" + f.name.replace("_", "-")
    if value is None:
        if f.default is not None and f.default is not MISSING:
            raise UserError(f"{flag}: a value is required")
        return
    if m["choices"] and value not in m["choices"]:
        raise UserError(f"{flag}: {value!r} is not one of {', '.join(m['choices'])}")
    if m["type"] in (int, float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise UserError(f"{flag}: {value} is not a finite number")
        if m["lo"] is not None and value < m["lo"]:
            raise UserError(f"{flag}: {value} is below the minimum {m['lo']}")
        if m["hi"] is not None and value > m["hi"]:
            raise UserError(f"{flag}: {value} is above the maximum {m['hi']}")


def to_json(cfg: Any) -> dict[str, Any]:
    return asdict(cfg)
