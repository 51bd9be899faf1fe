"""The tasks part of tools/bench.py: streamnlp's tagger and classifier beside the task peers, same data, one run.

Models `tagger` (CoNLL-2000 chunking and POS) and `classifier` (MR sentence polarity, 10-fold CV), each run in a
fresh process timed by bench.measure (wall seconds, peak RSS). Data: TASKS/conll2000/{train,test}.txt and
TASKS/sentence_polarity/train.parquet (--tasks, default ../shared/tasks). Peers (--peers crf,perceptron,torch,tfidf;
scripts in --peer-dir, default TASKS/../peers) run under --peer-python, which needs `nltk sklearn-crfsuite
scikit-learn seqeval pyarrow numpy torch==2.13.0` (a venv of their own, not the project's); each prints one JSON
line last. A peer that is not there or whose imports fail is a note in the results, not a crash; so are missing
data files. With --corpus, word vectors are trained once (stream-train word2vec, --epochs / --dim / --min-count)
for the rows that use them; without it those rows are notes.

Rows (threads: streamnlp and torch at each --threads; crf, perceptron and tfidf are single-threaded, run once):
  chunking, words only    streamnlp --viterbi and --no-viterbi (softmax) with --suffix 0 (words and capitalisation,
                          as torch), and --viterbi with the default suffix feature; window 2, hidden 300, dim 50,
                          10 epochs
                          vs torch_window_tagger (the same by its defaults): F1, and training tokens/s ours / torch's
  chunking, words + POS   streamnlp --feature-column 1 --viterbi --vectors V vs crf_tagger (POS features on):
                          F1, and training seconds crf / ours
  POS                     streamnlp --tag-column 1 --viterbi, without and with --vectors V, vs crf_tagger and
                          perceptron_tagger --tag-column 1: token accuracy, and training seconds peer / ours
  MR, cross-validation    streamnlp classifier --model mean (also with --ngrams 2) and --model gru --vectors V
                          --folds 10 (the command's own lr / batch / epochs / hidden) vs tfidf_lr --folds 10:
                          accuracy mean +- std, and wall seconds tfidf / ours (both whole CV runs; ours also fits
                          the final model on all of TRAIN)
Our tagger rows' wall seconds and peak RSS cover `stream-train tagger` plus `stream-train eval tagger` on TEST (the
peers' runs predict TEST too). --quick (a smoke run): the first 300 / 100 CoNLL sentences, 600 MR sentences, one
epoch everywhere, 2 folds, crf --max-iter 10, perceptron --iters 1.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable

TASK_MODELS = ("tagger", "classifier")
TASK_PEERS = ("crf", "perceptron", "torch", "tfidf")
# peer: (script in the peer folder, modules its run imports)
PEER_SCRIPTS = {"crf": ("crf_tagger.py", ("sklearn_crfsuite", "seqeval")),
                "perceptron": ("perceptron_tagger.py", ("nltk",)),
                "torch": ("torch_window_tagger.py", ("torch", "numpy", "seqeval")),
                "tfidf": ("tfidf_lr.py", ("sklearn", "numpy", "pyarrow"))}
CHUNK, CHUNK_POS, POS, MR = "chunking, words only", "chunking, words + POS", "POS", "MR, cross-validation"
QUICK = {"train_sentences": 300, "test_sentences": 100, "mr_rows": 600}


def last_json(stdout: str) -> dict:
    """The JSON object on the last non-empty line of a run's output (the peers print it last)."""
    return json.loads(next(line for line in reversed(stdout.splitlines()) if line.strip()))


def first_sentences(src: str, dst: str, n: int) -> str:
    """The first n sentences of a CoNLL column file (blank-line separated) written to dst."""
    kept, blank = 0, True
    with open(src, encoding="utf-8", errors="replace") as fin, open(dst, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                if not blank:
                    kept += 1
                    if kept >= n:
                        break
                blank = True
            else:
                blank = False
            fout.write(line)
        fout.write("\n")
    return dst


def every_kth_row(src: str, dst: str, n: int) -> str:
    """About n rows of a Parquet file, evenly spread (keeps a sorted file's label mix), written to dst."""
    import pyarrow.parquet as pq
    t = pq.read_table(src)
    step = max(1, t.num_rows // n)
    pq.write_table(t.take(list(range(0, t.num_rows, step))[:n]), dst)
    return dst


class TaskBench:
    """One run's task rows: builds the jobs, runs them through `measure`, keeps rows and notes, calls `save`
    after every run so that an interrupted run keeps what it measured."""

    def __init__(self, a, threads: list[int], peers: list[str], work: str, measure: Callable[..., dict],
                 save: Callable[[], None]):
        self.a, self.threads, self.work, self.measure, self.save = a, threads, work, measure, save
        self.peers = [p for p in peers if p in TASK_PEERS]
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.peer_ok: dict[str, bool] = {}
        self.vectors: str | None = None
        self.epochs = 1 if a.quick else None  # None: each tool's own default

    # ---- running ------------------------------------------------------------------------------------------
    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"[bench] note: {text}", flush=True)
        self.save()

    def add(self, row: dict) -> None:
        self.rows.append(row)
        with_task_ratios(self.rows)
        print(f"[bench] {row['tool']:10s} {row['task']:22s} threads={row['threads']} {score_text(row):28s} "
              f"train={row.get('train_seconds', '-')}s wall={row['wall_seconds']:.1f}s "
              f"rss={row['peak_rss_mb']:.0f}MiB", flush=True)
        self.save()

    def streamnlp(self, cmd: list[str]) -> dict:
        return self.measure([sys.executable, "-m", "streamnlp", *cmd])

    def peer_ready(self, peer: str) -> bool:
        """Whether the peer's script is there and its modules import under --peer-python (checked once, a note
        when not)."""
        if peer not in self.peer_ok:
            script, modules = PEER_SCRIPTS[peer]
            path = os.path.join(self.a.peer_dir, script)
            why = None
            if not os.path.isfile(path):
                why = f"{path} not found (--peer-dir)"
            else:
                try:
                    r = subprocess.run([self.a.peer_python, "-c", "import " + ", ".join(modules)],
                                       capture_output=True, text=True, timeout=300)
                    if r.returncode != 0:
                        lines = r.stderr.strip().splitlines() or [f"exit status {r.returncode}"]
                        why = (f"import failed under {self.a.peer_python}: {lines[-1]} (it needs nltk sklearn-crfsuite "
                               "scikit-learn seqeval pyarrow numpy torch==2.13.0: --peer-python)")
                except (OSError, subprocess.SubprocessError) as e:
                    why = f"{self.a.peer_python} did not run: {e}"
            self.peer_ok[peer] = why is None
            if why:
                self.note(f"peer {peer} skipped: {why}")
        return self.peer_ok[peer]

    def run_peer(self, peer: str, task: str, args: list[str], threads: int) -> None:
        if peer not in self.peers or not self.peer_ready(peer):
            return
        cmd = [self.a.peer_python, os.path.join(self.a.peer_dir, PEER_SCRIPTS[peer][0]), *args]
        try:
            r = self.measure(cmd)
            out = last_json(r["stdout"])
        except (RuntimeError, ValueError, StopIteration) as e:
            last = (str(e).strip().splitlines() or ["no output"])[-1]
            if "ModuleNotFoundError" in str(e) or "ImportError" in str(e):
                self.peer_ok[peer] = False
                self.note(f"peer {peer} skipped: import failed: {last}")
            else:
                self.note(f"peer {peer} failed on {task}: {last}")
            return
        row = {"tool": peer, "task": task, "settings": settings_text(args), "threads": threads,
               "wall_seconds": round(r["wall_seconds"], 2), "peak_rss_mb": round(r["peak_rss_mb"], 1),
               "train_seconds": out.get("train_seconds"), "command": " ".join(cmd), "peer_output": out}
        for k in ("token_accuracy", "precision", "recall", "f1"):
            if k in out:
                row[k] = out[k]
        if peer == "torch":
            row["tokens_per_s"] = round(out["tokens_per_s"])
        if peer == "tfidf":
            row.update(accuracy=out["accuracy"], accuracy_std=out.get("accuracy_std"), folds=out.get("folds"))
        self.add(row)

    def run_tagger(self, task: str, train: str, test: str, flags: list[str], threads: int) -> None:
        out = os.path.join(self.work, f"tagger-{len(self.rows)}")
        shutil.rmtree(out, ignore_errors=True)
        cmd = ["tagger", train, "--out", out, *flags, "--threads", str(threads)]
        r = self.streamnlp(cmd)
        e = self.streamnlp(["eval", "tagger", out, test, "--json"])
        m = json.load(open(os.path.join(out, "metrics.json")))
        score = last_json(e["stdout"])
        row = {"tool": "streamnlp", "task": task, "settings": settings_text(flags), "threads": threads,
               "wall_seconds": round(r["wall_seconds"] + e["wall_seconds"], 2),
               "peak_rss_mb": round(max(r["peak_rss_mb"], e["peak_rss_mb"]), 1),
               "train_wall_seconds": round(r["wall_seconds"], 2), "eval_wall_seconds": round(e["wall_seconds"], 2),
               "train_seconds": m["train_seconds"], "tokens_per_s": m["tokens_per_s"],
               "compile_seconds": m.get("compile_seconds"), "tokens": m.get("tokens"), "epochs": m.get("epochs"),
               "command": "stream-train " + " ".join(cmd)}
        row.update({k: score[k] for k in ("token_accuracy", "precision", "recall", "f1") if k in score})
        self.add(row)

    def run_classifier(self, task: str, train: str, flags: list[str], threads: int) -> None:
        out = os.path.join(self.work, f"classifier-{len(self.rows)}")
        shutil.rmtree(out, ignore_errors=True)
        cmd = ["classifier", train, "--out", out, *flags, "--threads", str(threads)]
        r = self.streamnlp(cmd)
        m = json.load(open(os.path.join(out, "metrics.json")))
        self.add({"tool": "streamnlp", "task": task, "settings": settings_text(flags), "threads": threads,
                  "wall_seconds": round(r["wall_seconds"], 2), "peak_rss_mb": round(r["peak_rss_mb"], 1),
                  "train_seconds": m["train_seconds"], "sentences_per_s": m["sentences_per_s"],
                  "compile_seconds": m.get("compile_seconds"), "accuracy": m["cv_accuracy"],
                  "accuracy_std": m["cv_std"], "folds": len(m["folds"] or []), "fold_accuracies": m["folds"],
                  "command": "stream-train " + " ".join(cmd)})

    def vec(self, task: str, what: str) -> list[str] | None:
        """--vectors V, trained on --corpus at the first call (skip-gram, --epochs / --dim / --min-count, once a
        run), or None with a note when there is no --corpus."""
        if self.vectors is None and self.a.corpus:
            out = os.path.join(self.work, "vectors-sg")
            epochs = self.epochs or self.a.epochs
            flags = ["--model", "sg", "--epochs", str(epochs), "--dim", str(self.a.dim), "--min-count",
                     str(self.a.min_count), "--threads", str(max(self.threads))]
            r = self.streamnlp(["word2vec", self.a.corpus, "--out", out, *flags])
            m = json.load(open(os.path.join(out, "metrics.json")))
            self.vectors = out
            self.add({"tool": "streamnlp", "task": "word vectors", "settings": "word2vec " + " ".join(flags),
                      "threads": max(self.threads), "wall_seconds": round(r["wall_seconds"], 2),
                      "peak_rss_mb": round(r["peak_rss_mb"], 1), "train_seconds": m.get("train_seconds"),
                      "tokens_per_s": round(m["tokens"] * epochs / m["train_seconds"]) if m.get("train_seconds")
                      else None, "corpus": self.a.corpus, "tokens": m.get("tokens")})
        if self.vectors:
            return ["--vectors", self.vectors]
        self.note(f"{task}: {what} skipped (no word vectors: give --corpus to train them)")
        return None

    # ---- the rows -----------------------------------------------------------------------------------------
    def data(self, *parts: str) -> str | None:
        path = os.path.join(self.a.tasks, *parts)
        if not os.path.isfile(path):
            self.note(f"{path} not found: its task rows are skipped")
            return None
        return path

    def tagger_rows(self) -> None:
        train, test = self.data("conll2000", "train.txt"), self.data("conll2000", "test.txt")
        if not (train and test):
            return
        if self.a.quick:
            train = first_sentences(train, os.path.join(self.work, "conll-train.txt"), QUICK["train_sentences"])
            test = first_sentences(test, os.path.join(self.work, "conll-test.txt"), QUICK["test_sentences"])
        ep = ["--epochs", str(self.epochs or 10)]
        arch = ["--window", "2", "--hidden", "300"]
        for t in self.threads:  # 1. chunking, words only: the speed comparison with the PyTorch window tagger, on
            # the same inputs (words and capitalisation: --suffix 0), and with the default suffix feature
            for flags in (["--viterbi", "--suffix", "0"], ["--no-viterbi", "--suffix", "0"], ["--viterbi"]):
                self.run_tagger(CHUNK, train, test, ["--tag-column", "-1", *flags, *arch, "--dim", "50", *ep], t)
            self.run_peer("torch", CHUNK, [train, test, "--tag-column", "-1", "--half-window", "2", "--hidden", "300",
                                           "--dim", "50", *ep, "--threads", str(t)], t)
        crf = ["--max-iter", "10"] if self.a.quick else []
        v = self.vec(CHUNK_POS, "streamnlp --feature-column 1 --vectors")
        if v:  # 2. chunking with the POS column as a feature
            for t in self.threads:
                self.run_tagger(CHUNK_POS, train, test, ["--tag-column", "-1", "--feature-column", "1", "--viterbi",
                                                         *v, *arch, *ep], t)
        self.run_peer("crf", CHUNK_POS, [train, test, "--tag-column", "-1", *crf], 1)
        v = self.vec(POS, "streamnlp --viterbi --vectors")
        for t in self.threads:  # 3. POS tagging
            self.run_tagger(POS, train, test, ["--tag-column", "1", "--viterbi", *arch, "--dim", "50", *ep], t)
            if v:
                self.run_tagger(POS, train, test, ["--tag-column", "1", "--viterbi", *v, *arch, *ep], t)
        self.run_peer("crf", POS, [train, test, "--tag-column", "1", *crf], 1)
        self.run_peer("perceptron", POS, [train, test, "--tag-column", "1",
                                          *(["--iters", "1"] if self.a.quick else [])], 1)

    def classifier_rows(self) -> None:
        train = self.data("sentence_polarity", "train.parquet")
        if not train:
            return
        if self.a.quick:
            train = every_kth_row(train, os.path.join(self.work, "mr.parquet"), QUICK["mr_rows"])
        folds = ["--folds", "2" if self.a.quick else "10"]
        v = self.vec(MR, "streamnlp classifier --vectors (mean and gru)")
        if v:
            for t in self.threads:
                for model in (["mean"], ["mean", "--ngrams", "2"], ["gru"]):
                    self.run_classifier(MR, train, ["--model", *model, *v, *folds, *(
                        ["--epochs", str(self.epochs)] if self.epochs else [])], t)
        self.run_peer("tfidf", MR, [train, *folds], 1)

    def run(self, models: list[str]) -> None:
        if not os.path.isdir(self.a.tasks):
            self.note(f"task data folder {self.a.tasks} not found (--tasks): the tagger / classifier rows are "
                      "skipped")
            return
        if "tagger" in models:
            self.tagger_rows()
        if "classifier" in models:
            self.classifier_rows()


# ---- comparing and printing -----------------------------------------------------------------------------------
def settings_text(args: list[str]) -> str:
    """The flags of a run without its file paths; a vectors run folder reads as VEC."""
    out = []
    for i, x in enumerate(args):
        if i and args[i - 1] == "--vectors":
            out.append("VEC")
        elif x.startswith("-") or os.sep not in x:
            out.append(x)
    return " ".join(out)


def main_score(row: dict) -> tuple[str, float | None]:
    """The row's headline score: F1 for chunking, token accuracy for POS, CV accuracy for MR."""
    if row["task"] == MR:
        return "accuracy", row.get("accuracy")
    if row["task"] == POS:
        return "token_accuracy", row.get("token_accuracy")
    if row["task"] in (CHUNK, CHUNK_POS):
        return "f1", row.get("f1")
    return "", None


def score_text(row: dict) -> str:
    if row["task"] == MR:
        return f"acc {row['accuracy']:.4f} ± {row.get('accuracy_std') or 0:.4f} ({row.get('folds')} folds)"
    if row.get("f1") is not None:
        return f"F1 {row['f1']:.4f} (acc {row['token_accuracy']:.4f})"
    if row.get("token_accuracy") is not None:
        return f"acc {row['token_accuracy']:.4f}"
    return ""


def with_task_ratios(rows: list[dict]) -> None:
    """vs: {peer: {...}} on each streamnlp row, against each peer row of the same task (the same threads for
    torch): score_diff (ours - the peer's headline score) and speed: training tokens/s ours / torch's for
    chunking, words only; the peer's training seconds / ours for the other tagger rows; the peer's wall seconds
    / ours for MR (both whole cross-validation runs). Above 1: ours is faster."""
    for r in rows:
        if r["tool"] != "streamnlp" or r["task"] == "word vectors":
            continue
        r["vs"] = {}
        key, ours = main_score(r)
        for p in rows:
            if p["tool"] == "streamnlp" or p["task"] != r["task"] or (p["tool"] == "torch"
                                                                       and p["threads"] != r["threads"]):
                continue
            v = {}
            if ours is not None and p.get(key) is not None:
                v["score_diff"] = round(ours - p[key], 4)
            if r["task"] == CHUNK and r.get("tokens_per_s") and p.get("tokens_per_s"):
                v["speed"], v["speed_is"] = round(r["tokens_per_s"] / p["tokens_per_s"], 2), "tokens/s ours / peer"
            elif r["task"] == MR:
                v["speed"], v["speed_is"] = round(p["wall_seconds"] / r["wall_seconds"], 2), "wall s peer / ours"
            elif r.get("train_seconds") and p.get("train_seconds"):
                v["speed"], v["speed_is"] = round(p["train_seconds"] / r["train_seconds"], 2), "train s peer / ours"
            r["vs"][p["tool"]] = v


def vs_text(row: dict) -> str:
    key = {"f1": "F1", "token_accuracy": "acc", "accuracy": "acc"}.get(main_score(row)[0], "")
    parts = []
    for peer, v in row.get("vs", {}).items():
        bits = [f"{key} {v['score_diff']:+.4f}"] if "score_diff" in v else []
        if "speed" in v:
            bits.append(f"{v['speed']:.2f}x " + ("tokens/s" if v["speed_is"].startswith("tokens") else "time"))
        parts.append(f"{peer}: {', '.join(bits)}")
    return "; ".join(parts)


def tasks_table(rows: list[dict], notes: list[str]) -> str:
    """The tasks' Markdown table and its notes."""
    if not rows and not notes:
        return ""
    head = ("| tool | task | settings | threads | score | train s | train tokens/s or sentences/s | wall s | "
            "peak RSS MiB | vs peer |\n|---|---|---|---|---|---|---|---|---|---|\n")
    body = []
    for r in rows:
        rate = (f"{r['tokens_per_s']:,} tok/s" if r.get("tokens_per_s") else
                f"{r['sentences_per_s']:,} sent/s" if r.get("sentences_per_s") else "")
        body.append(f"| {r['tool']} | {r['task']} | {r['settings']} | {r['threads']} | {score_text(r)} | "
                    f"{r.get('train_seconds') if r.get('train_seconds') is not None else ''} | {rate} | "
                    f"{r['wall_seconds']:.1f} | {r['peak_rss_mb']:.0f} | {vs_text(r)} |")
    text = (head + "\n".join(body) + "\n") if rows else ""
    legend = ("vs peer: score difference (ours - peer: F1 for chunking, token accuracy for POS, CV accuracy for MR), "
              "then speed, above 1 = ours faster: training tokens/s ours / torch's (chunking, words only), "
              "training seconds peer / ours (other tagger rows), wall seconds peer / ours (MR: whole CV runs, ours "
              "also fits the final model). Our tagger rows' wall s and RSS include `eval tagger` on TEST; "
              "train s: ours the training loop (no compile); crf features + fit; torch its epoch loop; tfidf "
              "one fold's mean (C grid search + refit); ours (MR) the final model on all of TRAIN.")
    return (text + "\n" + legend + "\n" if rows else "") + "".join(f"\n- {n}" for n in notes) + ("\n" if notes else "")
