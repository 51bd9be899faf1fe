"""stream-train: the command line. Trainer flags are generated from the config dataclasses."""
from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import signal
import sys
import threading
from dataclasses import MISSING, fields
from typing import Any

from .cli_tasks import add_task_commands
from .run.config import GloveConfig, LMConfig, PhrasesConfig, VocabConfig, Word2VecConfig, make_config
from .run.errors import ClusterError, Interrupted, UserError

# --help lists a trainer's own flags first, then the run's, then how the corpus is read and counted
GROUPS = {"RunConfig": "run", "VocabConfig": "vocabulary", "CorpusConfig": "reading the corpus"}


def add_config_flags(p: argparse.ArgumentParser, cls: type) -> None:
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in sorted(fields(cls), key=lambda f: _declared_depth(cls, f.name)):
        m = f.metadata
        owner = _declared_in(cls, f.name)
        title = GROUPS.get(owner.__name__, f"{p.prog.split()[-1]} options")
        g = groups.get(title) or groups.setdefault(title, p.add_argument_group(title))
        flags = ["--" + f.name.replace("_", "-"), *m["aliases"]]
        default = None if f.default is MISSING else f.default
        help_text = m["help"] + (f" (default: {default})" if default is not None else "")
        if m["type"] is bool:
            g.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=default,
                           help=m["help"])
        else:
            g.add_argument(*flags, dest=f.name, type=m["type"], choices=m["choices"], default=default,
                           help=help_text, metavar=None if m["choices"] else f.name.upper(), nargs=m["nargs"],
                           **({"action": m["action"]} if m["action"] else {}))


def _declared_in(cls: type, name: str) -> type:
    """The class of cls's MRO that declares field `name` first (a subclass may redeclare a base's field)."""
    return next(k for k in cls.__mro__ if name in getattr(k, "__annotations__", {}))


def _declared_depth(cls: type, name: str) -> int:
    return cls.__mro__.index(_declared_in(cls, name))


def config_values(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    return {f.name: getattr(args, f.name) for f in fields(cls)}


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="folders, files or globs of .parquet/.arrow/.feather/.jsonl/.txt shards (.jsonl and .txt "
                        "also .gz/.bz2/.zst), or file:// URIs")
    p.add_argument("--out", required=True, help="run folder for the outputs (created if missing)")


def cmd_lm(args: argparse.Namespace) -> int:
    from .train.lm import train_lm
    train_lm(args.inputs, args.out, **config_values(args, LMConfig))
    with open(f"{args.out}/metrics.json") as f:
        m = json.load(f)
    ppl = "" if m["valid_perplexity"] is None else f", valid perplexity {m['valid_perplexity']}"
    print(f"{args.out}: {args.cell} LM, {m['vocab_size']:,} words, {plural(m['epochs'], 'epoch')} over "
          f"{m['train_tokens']:,} training tokens, {m['train_seconds']:.1f} s of training "
          f"({m['tokens_per_s']:,} tokens/s){ppl}")
    print(left_behind(args))
    return 0


def cmd_perplexity(args: argparse.Namespace) -> int:
    from .train.lm import load_lm
    ppl = load_lm(args.run).perplexity(args.inputs)
    print(json.dumps({"perplexity": ppl}) if args.json else f"perplexity {ppl:.3f}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .train.lm import load_lm
    if args.tokens < 1 or args.temperature <= 0:
        raise UserError("generate: --tokens must be >= 1 and --temperature > 0")
    print(load_lm(args.run).generate(args.prime, args.tokens, args.temperature, args.seed))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.command == "glove":
        from .api import train_glove as train
        cls = GloveConfig
    else:
        from .api import train_word2vec as train
        cls = Word2VecConfig
    train(args.inputs, args.out, **config_values(args, cls))
    with open(f"{args.out}/metrics.json") as f:
        m = json.load(f)
    loss = f"cost {m['final_cost']}" if args.command == "glove" else f"loss {m['final_loss']}"
    rate = f" ({m['words_per_s']:,} words/s)" if "words_per_s" in m else ""
    print(f"{args.out}: {m['vocab_size']:,} words x {args.dim} dims from {m['tokens']:,} tokens, "
          f"{plural(m['epochs'], 'epoch')} in {m['seconds']:.1f} s{rate}, final {loss}")
    print(left_behind(args))
    return 0


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def left_behind(args: argparse.Namespace) -> str:
    """The run's last line: what it left in its folder, and how large, and where a kept cache is."""
    def size(path: str) -> int:
        if os.path.isdir(path):
            return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
        return os.path.getsize(path)

    def mb(n: int) -> str:
        return f"{n / 1e6:.1f} MB" if n >= 50_000 else f"{n / 1e3:.0f} kB" if n >= 1000 else f"{n} B"

    names = sorted(os.listdir(args.out))
    sizes = {n: size(os.path.join(args.out, n)) for n in names}
    line = (f"{args.out} holds " + ", ".join(f"{n}{'/' if os.path.isdir(os.path.join(args.out, n)) else ''} "
                                            f"({mb(sizes[n])})" for n in names) + f": {mb(sum(sizes.values()))}")
    if getattr(args, "cache_dir", None):
        line += f"; the encoded corpus stays in {args.cache_dir} ({mb(size(args.cache_dir))}) for later runs"
    return line


def cmd_vocab(args: argparse.Namespace) -> int:
    from .data.shards import discover
    from .data.vocab import build_vocab
    from .run.rundir import prepare
    cfg = make_config(VocabConfig, config_values(args, VocabConfig))
    prepare(args.out)
    if cfg.ray:
        from .cluster.connect import cluster
        from .cluster.passes import build_vocab_ray
        with cluster(cfg.ray) as ray:
            vocab = build_vocab_ray(ray, discover(args.inputs), cfg)
    else:
        vocab = build_vocab(discover(args.inputs), cfg)
    vocab.save(os.path.join(args.out, "vocab.tsv"))
    print(f"{args.out}/vocab.tsv: {len(vocab)} words (min_count {cfg.min_count}) from {vocab.total_tokens} tokens")
    return 0


def cmd_phrases(args: argparse.Namespace) -> int:
    from .data.phrasecount import learn_phrases
    learn_phrases(args.inputs, args.out, **config_values(args, PhrasesConfig))
    with open(f"{args.out}/metrics.json") as f:
        m = json.load(f)
    passes = ", ".join(f"pass {i}: {p['phrases']:,}" for i, p in enumerate(m["passes"], 1))
    print(f"{args.out}/phrases.tsv: {m['phrases']:,} phrases ({passes}) from {m['passes'][0]['tokens']:,} tokens "
          f"in {m['seconds']:.1f} s")
    return 0


def cmd_analogy(args: argparse.Namespace) -> int:
    from .vectors.evaluate import evaluate_word_analogies
    from .vectors.keyed import load_vectors
    kv = load_vectors(args.vectors)
    score, sections = evaluate_word_analogies(kv, args.questions, args.restrict_vocab,
                                              not args.case_sensitive, args.cosmul)
    rows = [{"section": s["section"], "correct": len(s["correct"]), "total": len(s["correct"]) + len(s["incorrect"]),
             "oov": s["oov"]} for s in sections]
    for r in rows:
        r["accuracy"] = r["correct"] / r["total"] if r["total"] else 0.0
    if args.json:
        print(json.dumps({"accuracy": score, "sections": rows}))
        return 0
    for r in rows:
        print(f"{r['section']:<32} {r['accuracy']:.4f}  ({r['correct']}/{r['total']}, {r['oov']} skipped)")
    return 0


def cmd_similarity(args: argparse.Namespace) -> int:
    from .vectors.evaluate import evaluate_word_pairs
    from .vectors.keyed import load_vectors
    pearson, spearman, oov = evaluate_word_pairs(load_vectors(args.vectors), args.pairs)
    if args.json:
        print(json.dumps({"pearson": pearson[0], "spearman": spearman[0], "oov_percent": oov}))
    else:
        print(f"pearson {pearson[0]:.4f}  spearman {spearman[0]:.4f}  oov {oov:.1f}%")
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    from .vectors.keyed import load_vectors
    kv = load_vectors(args.vectors)
    if args.analogy:
        a, b, c = args.analogy
        query, pos, neg = f"{a} : {b} :: {c} : ?", [b, c], [a]
    elif args.word:
        query, pos, neg = args.word, [args.word], []
    else:
        raise UserError("similar: give a WORD or --analogy A B C")
    missing = [w for w in pos + neg if w not in kv]
    if missing:
        raise UserError(f"{args.vectors}: {missing[0]!r} is not in the vocabulary; try another word")
    result = kv.most_similar(positive=pos, negative=neg, topn=args.topn)
    if args.json:
        print(json.dumps({"query": query, "results": result}))
    else:
        print(query)
        for w, s in result:
            print(f"  {s:.4f}  {w}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="stream-train",
                                  description="Streaming word2vec / GloVe / RNN-LM trainer on Numba kernels, "
                                              "and the window tagger and sentence classifier on its vectors.")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("word2vec", help="train skip-gram or CBOW with negative sampling")
    _inputs(p)
    add_config_flags(p, Word2VecConfig)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("glove", help="train GloVe (co-occurrence counts + AdaGrad)")
    _inputs(p)
    add_config_flags(p, GloveConfig)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("lm", help="train an RNN or GRU language model (truncated BPTT)")
    _inputs(p)
    add_config_flags(p, LMConfig)
    p.set_defaults(func=cmd_lm)

    p = sub.add_parser("generate", help="sample text from a trained language model")
    p.add_argument("run", help="the --out folder of a `stream-train lm` run")
    p.add_argument("--prime", default="", help="text to start from")
    p.add_argument("--tokens", type=int, default=50, help="words to sample after the prime (default: 50)")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="below 1 sharper, above 1 flatter than the model's distribution (default: 1.0)")
    p.add_argument("--seed", type=int, default=1, help="random seed of the sampling (default: 1)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("vocab", help="count the vocabulary only (writes OUT/vocab.tsv)")
    _inputs(p)
    add_config_flags(p, VocabConfig)
    p.set_defaults(func=cmd_vocab)

    p = sub.add_parser("phrases", help="find phrases (new_york) for --phrases, as word2phrase and gensim's Phrases")
    _inputs(p)
    add_config_flags(p, PhrasesConfig)
    p.set_defaults(func=cmd_phrases)

    ev = sub.add_parser("eval", help="evaluate vectors, a language model, a tagger or a classifier")
    ev = ev.add_subparsers(dest="what", required=True)
    p = ev.add_parser("analogy", help="word analogies (questions-words format), per section")
    p.add_argument("vectors", help="a run folder, or a word2vec .bin / .txt file (or .npy beside vocab.tsv)")
    p.add_argument("questions", help="': section' lines, then 'a b c d' lines (questions-words.txt's format)")
    p.add_argument("--restrict-vocab", type=int, default=30000,
                   help="answer among the most frequent N words only, as gensim (default: 30000)")
    p.add_argument("--cosmul", action="store_true", help="3CosMul instead of 3CosAdd")
    p.add_argument("--case-sensitive", action="store_true", help="do not fold case (gensim folds it)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    p.set_defaults(func=cmd_analogy)
    p = ev.add_parser("similarity", help="Pearson / Spearman against human similarity scores")
    p.add_argument("vectors", help="a run folder, or a word2vec .bin / .txt file (or .npy beside vocab.tsv)")
    p.add_argument("pairs", help="word1<TAB>word2<TAB>score lines ('#' comments)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a line")
    p.set_defaults(func=cmd_similarity)

    p = ev.add_parser("perplexity", help="exact perplexity of a trained language model on a corpus")
    p.add_argument("run", help="the --out folder of a `stream-train lm` run")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="the text to score, read as the training corpus was")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a line")
    p.set_defaults(func=cmd_perplexity)

    p = sub.add_parser("similar", help="nearest words, or an analogy query")
    p.add_argument("vectors", help="a run folder, or a word2vec .bin / .txt file (or .npy beside vocab.tsv)")
    p.add_argument("word", nargs="?", help="the word whose nearest words to list")
    p.add_argument("--analogy", nargs=3, metavar=("A", "B", "C"), help="A is to B as C is to ?")
    p.add_argument("--topn", type=int, default=10, help="how many words to list (default: 10)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    p.set_defaults(func=cmd_similar)
    add_task_commands(sub, ev, add_config_flags, config_values, left_behind)
    return top


def main(argv: list[str] | None = None) -> int:
    """The command line; this module imports nothing heavy, so a signal during Numba's and pyarrow's imports
    (about a second) is answered here too."""
    received, before = _stop_on_sigterm()
    args = argparse.Namespace()
    try:
        args = parse(build_parser(), argv)
        from .run.threads import passive_openmp
        passive_openmp()  # before any kernel runs
        return args.func(args)
    except UserError as e:
        print(f"stream-train: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stream-train tag ... | head: the reader has what it wanted
        return 0
    except OSError as e:  # the file system refused a write or read: a full disk, a read-only folder
        where = e.filename or " / ".join(str(p) for p in (getattr(args, "out", None),
                                                          getattr(args, "cache_dir", None)) if p)
        print(f"stream-train: error: {where or 'a file'}: {e.strerror or e}; free space there or pick "
              "another --out / --cache-dir", file=sys.stderr)
        return 1
    except ClusterError as e:
        print(f"stream-train: error: {e}", file=sys.stderr)
        return 1
    except Interrupted as e:
        then = f"; continue with: {resume_command(argv)}" if e.checkpoint else ""
        print(f"stream-train: {e}{then}", file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:  # before training (from its start to its outputs, a trainer answers itself)
        signum = received[-1] if received else signal.SIGINT
        ckpt = os.path.join(getattr(args, "out", None) or "", "checkpoints", "last.npz")
        then = (f"continue with: {resume_command(argv)}" if hasattr(args, "resume") and os.path.exists(ckpt) else
                "no training had started; run it again")
        print(f"stream-train: interrupted by {signal.Signals(signum).name}; {then}", file=sys.stderr)
        return 128 + signum
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """parse_args, except that an unknown flag is reported by the subcommand that got it, with its usage and
    the closest flag it has (argparse alone answers with the top-level usage)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = parser
        while sub._subparsers is not None:  # the subcommand chosen, and its own, down to the last
            action = sub._subparsers._group_actions[0]
            sub = action.choices[getattr(args, action.dest)]
        flags = [o for a in sub._actions for o in a.option_strings]
        close = difflib.get_close_matches(extra[0].split("=")[0], flags, n=1, cutoff=0.6)
        sub.error(f"unrecognized arguments: {' '.join(extra)}" + (f" (did you mean {close[0]}?)" if close else ""))
    return args


def _stop_on_sigterm() -> tuple[list[int], Any]:
    """SIGTERM raises KeyboardInterrupt as Ctrl-C does (the trainers take both over while they train), so a
    terminated run says so in one line and exits 143. Returns the list the handler records signals in and
    the handler it replaced (None: none replaced)."""
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return received, None
    before = signal.getsignal(signal.SIGTERM)
    if before is signal.SIG_IGN:
        return received, None
    signal.signal(signal.SIGTERM, handler)
    return received, signal.SIG_DFL if before is None else before


def resume_command(argv: list[str] | None) -> str:
    """The command line that continues this run: the same arguments and --resume."""
    args = list(sys.argv[1:] if argv is None else argv)
    return shlex.join(["stream-train", *args, *([] if "--resume" in args else ["--resume"])])


def run() -> None:
    """The process entry point (stream-train, python -m streamnlp): main, then end the process at once
    (os._exit) once stdout and stderr are flushed; every output is closed and renamed by then. The
    interpreter's teardown would cost time (its final garbage collections walk every object Numba and
    pyarrow made: 0.15-0.35 s a run on 2 cores), and when an error ends a word2vec run while the kernel
    still loads on its background thread, it would wait for that load (threads.in_background) before
    saying so; tearing down under it while it ran aborted the process (exit status 134, "terminate called
    without an active exception"; 2 exits in 40 on 2 busy cores, when that thread was a daemon)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (stream-train ... | head): nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
