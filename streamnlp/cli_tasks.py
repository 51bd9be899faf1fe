"""stream-train's task commands: tagger, tag, classifier, classify, eval tagger and eval classifier."""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

from .run.config import ClassifierConfig, TaggerConfig


@contextlib.contextmanager
def output(path: str | None) -> Iterator[IO[str]]:
    """--out FILE written atomically, or stdout."""
    if path is None:
        yield sys.stdout
        return
    from .run.atomic import atomic_write
    with atomic_write(path, "w") as f:
        yield f


def cmd_tagger(args: argparse.Namespace, values: dict[str, Any], summary: Callable[[argparse.Namespace], str]) -> int:
    from .tasks.tagging import train_tagger
    train_tagger(args.train, args.out, **values)
    with open(f"{args.out}/metrics.json") as f:
        m = json.load(f)
    dev = m["dev"] or {}
    score = "".join(f", dev {k} {dev[k]:.4f}" for k in ("token_accuracy", "f1") if k in dev)
    print(f"{args.out}: {m['tags']} tags, {m['tokens']:,} tokens x {m['epochs']} epochs in {m['train_seconds']:.1f} s "
          f"of training ({m['tokens_per_s']:,} tokens/s){score}")
    print(summary(args))
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from .tasks.tagger import load_tagger
    from .tasks.tagging import tag_file, write_tagged
    words, tags = tag_file(load_tagger(args.run), args.input)
    with output(args.out) as f:
        write_tagged(f, words, tags)
    return 0


def cmd_eval_tagger(args: argparse.Namespace) -> int:
    from .tasks.tagger import load_tagger
    from .tasks.tagging import evaluate_tagger, read_for
    model = load_tagger(args.run)
    s = evaluate_tagger(model, read_for(model.cfg, args.test))
    if args.json:
        print(json.dumps(s))
        return 0
    print(f"token accuracy {s['token_accuracy']:.4f}")
    if "f1" in s:
        print(f"phrases: precision {s['precision']:.4f}  recall {s['recall']:.4f}  f1 {s['f1']:.4f}")
        for t, v in sorted(s["per_type"].items()):
            print(f"  {t:<10} precision {v['precision']:.4f}  recall {v['recall']:.4f}  f1 {v['f1']:.4f}  "
                  f"({v['gold']} phrases)")
    return 0


def cmd_classifier(args: argparse.Namespace, values: dict[str, Any],
                   summary: Callable[[argparse.Namespace], str]) -> int:
    from .tasks.classifying import train_classifier
    train_classifier(args.train, args.out, **values)
    with open(f"{args.out}/metrics.json") as f:
        m = json.load(f)
    cv = f", {len(m['folds'])}-fold accuracy {m['cv_accuracy']:.4f} +- {m['cv_std']:.4f}" if m["folds"] else ""
    dev = f", dev accuracy {m['dev']['accuracy']:.4f}" if m["dev"] else ""
    print(f"{args.out}: {m['labels']} labels, {m['sentences']:,} sentences x {m['epochs']} epochs in "
          f"{m['train_seconds']:.1f} s of training ({m['sentences_per_s']:,} sentences/s){cv}{dev}")
    print(summary(args))
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from .tasks.classifier import load_classifier
    from .tasks.labelled import read_texts
    model = load_classifier(args.run)
    texts = read_texts(args.input, model.cfg.text_column)
    with output(args.out) as f:
        for text, label in zip(texts, model.predict(texts)):
            f.write(f"{label}\t{' '.join(text)}\n")
    return 0


def cmd_eval_classifier(args: argparse.Namespace) -> int:
    from .tasks.classifier import load_classifier
    from .tasks.classifying import evaluate_classifier
    from .tasks.labelled import read_labelled
    model = load_classifier(args.run)
    s = evaluate_classifier(model, *read_labelled(args.test, model.cfg.text_column, model.cfg.label_column))
    if args.json:
        print(json.dumps(s))
        return 0
    print(f"accuracy {s['accuracy']:.4f}")
    for label, v in sorted(s["per_class"].items()):
        print(f"  {label:<12} precision {v['precision']:.4f}  recall {v['recall']:.4f}  f1 {v['f1']:.4f}  "
              f"({v['support']} sentences)")
    return 0


def add_task_commands(sub: Any, ev: Any, add_config_flags: Callable, config_values: Callable,
                      summary: Callable[[argparse.Namespace], str]) -> None:
    """The task commands on the top-level subparsers `sub` and eval's subparsers `ev`."""
    p = sub.add_parser("tagger", help="train a window tagger (POS, chunking, NER) on CoNLL columns or rows")
    p.add_argument("train", metavar="TRAIN", help="CoNLL column file (.conll/.txt, .gz too) or Parquet / Arrow / "
                                                  "JSON Lines rows with a words and a tags list column")
    p.add_argument("--out", required=True, help="run folder for the outputs (created if missing)")
    add_config_flags(p, TaggerConfig)
    p.set_defaults(func=lambda a: cmd_tagger(a, config_values(a, TaggerConfig), summary))

    p = sub.add_parser("tag", help="tag text with a trained tagger (word TAB tag lines)")
    p.add_argument("run", help="the --out folder of a `stream-train tagger` run")
    p.add_argument("input", help="plain text (one sentence a line) or CoNLL columns read as the training data was")
    p.add_argument("--out", help="write here (atomically) instead of to stdout")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("classifier", help="train a sentence classifier (sentiment, topics)")
    p.add_argument("train", metavar="TRAIN", help="Parquet / Arrow / JSON Lines rows with a text and a label column, "
                                                  "or fastText's __label__X text lines")
    p.add_argument("--out", required=True, help="run folder for the outputs (created if missing)")
    add_config_flags(p, ClassifierConfig)
    p.set_defaults(func=lambda a: cmd_classifier(a, config_values(a, ClassifierConfig), summary))

    p = sub.add_parser("classify", help="label texts with a trained classifier (label TAB text lines)")
    p.add_argument("run", help="the --out folder of a `stream-train classifier` run")
    p.add_argument("input", help="rows with the text column, or text lines (one text a line)")
    p.add_argument("--out", help="write here (atomically) instead of to stdout")
    p.set_defaults(func=cmd_classify)

    p = ev.add_parser("tagger", help="token accuracy; phrase precision / recall / F1 as conlleval counts them")
    p.add_argument("run", help="the --out folder of a `stream-train tagger` run")
    p.add_argument("test", help="tagged data in the training data's format")
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    p.set_defaults(func=cmd_eval_tagger)

    p = ev.add_parser("classifier", help="accuracy and per-class precision / recall / F1")
    p.add_argument("run", help="the --out folder of a `stream-train classifier` run")
    p.add_argument("test", help="labelled data in the training data's format")
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    p.set_defaults(func=cmd_eval_classifier)
