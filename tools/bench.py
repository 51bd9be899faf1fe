#!/usr/bin/env python3
"""Multi-core benchmark runs: streamnlp and its peers on the same corpus, settings and cores, side by side.

Each configuration runs in a fresh process, end to end (vocabulary and encoding included, a fresh
output folder each time), timed by wall clock, with its peak RSS sampled by psutil. Writes
results.json, results.md (a table) and scaling.png (throughput vs threads, ideal linear line, peers).

usage: tools/bench.py --corpus DIR|TEXT_FILE --threads 1,2 --epochs 5 --out DIR
                      [--models sg,cbow,glove,glove:512,vocab,phrases,cooccur:64,lm-gru,ray:2] [--ray auto]
                      [--peers gensim,word2vec,fasttext,torch]
                      [--dim 100] [--min-count 5] [--hs] [--glove-epochs 15] [--x-max 10] [--lm-valid DIR]
                      [--lm-sampled 0] [--reps 1]
       tools/bench.py --models tagger,classifier --threads 2 --out DIR [--corpus DIR] [--tasks ../shared/tasks]
                      [--peers crf,perceptron,torch,tfidf] [--peer-python PATH] [--peer-dir DIR] [--quick]
The task models (tagger: CoNLL-2000 chunking and POS; classifier: MR 10-fold CV) run in tools/bench_tasks.py, with
the task peers, into a second table; --corpus is optional for them (it trains the word vectors some rows start from).
"vs peer" is each peer's wall time over ours (for lm-gru / lm-rnn, whose words/s are training tokens/s, our
tokens/s over torch's). --reps N runs each configuration N times, ours and the peers' in turn (a machine's speed
can drift within minutes: this one's local skip-gram took 14-16 s in one stretch and 22-30 s in another), pairs
each of our runs with the peers' runs of the same turn, and adds each ratio's median over the N turns.
The word2vec peer is the original C tool (`pip install word2vec` compiles it);
fasttext is fastText's own trainer (`pip install fasttext-wheel`), on words only.
For glove the gensim row is gensim skip-gram (gensim has no GloVe): the yardstick GloVe is measured against.
cooccur:MB measures GloVe's counting pass alone with --memory MB (peak RSS over the RSS before it); glove:MB
a whole GloVe run with --memory MB, its peak RSS against 1.1 x MB plus the model's matrices. ray:R is skip-gram as
R replicas of threads / R threads each on the Ray cluster --ray names (auto: the one `ray start --head` started),
against the local run at the same threads (the "local" row: its wall time over the replicas' is their ratio).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import psutil
from bench_jobs import (
    FASTTEXT_W2V,
    GENSIM_PHRASES,
    GENSIM_VOCAB,
    GENSIM_W2V,
    STREAMNLP_COOCCUR,
    STREAMNLP_VOCAB,
    TORCH_LM,
)
from bench_tasks import TASK_MODELS, TaskBench, tasks_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def high_water(pid: int) -> int:
    """The process's peak RSS so far in bytes (Linux VmHWM: it sees spikes between samples); 0 elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Run cmd; wall seconds, peak RSS (MiB), stdout, return code. Sampled every 20 ms (every 1 ms in its first
    0.1 s, so that a process done within 20 ms has one too): the process's own high-water mark (or its RSS where
    the OS keeps none) plus its children's RSS. (The OS's own peak at its end, wait4's ru_maxrss, counts the
    parent's memory that the child had before its exec.) Its output goes to files, not pipes, which a chatty
    peer (the C tool's progress line) would fill and then block on."""
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fout, stderr=ferr, text=True, cwd=ROOT, env={**os.environ, **(env or {})})
        ps = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                own = max(high_water(proc.pid), ps.memory_info().rss)
                peak = max(peak, own + sum(c.memory_info().rss for c in ps.children(recursive=True)))
            except psutil.Error:
                pass
            time.sleep(0.001 if time.perf_counter() - t0 < 0.1 else 0.02)
        wall = time.perf_counter() - t0
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({proc.returncode}):\n{err[-2000:]}")
    return {"wall_seconds": wall, "peak_rss_mb": peak / 2**20, "stdout": out}


def quality(vectors: str) -> dict:
    """Analogy accuracy (restrict_vocab 30000) and WordSim-353 / SimLex-999 Spearman, with gensim's files."""
    try:
        from gensim.test.utils import datapath
    except ImportError:
        return {}
    from streamnlp import UserError, load_vectors
    kv = load_vectors(vectors)
    out = {"analogy": round(kv.evaluate_word_analogies(datapath("questions-words.txt"))[0], 4)}
    for key, name in [("wordsim_rho", "wordsim353.tsv"), ("simlex_rho", "simlex999.txt")]:
        try:
            out[key] = round(kv.evaluate_word_pairs(datapath(name))[1][0], 4)
        except UserError:  # a tiny corpus may know too few of the words
            out[key] = None
    return out


def line_sentence(corpus: str) -> str:
    """The corpus as one sentence per line (the peers' input), the rows streamnlp reads from it in order,
    made once and cached in /tmp; a corpus that is one plain text file already is one."""
    from streamnlp.data.corpus import read_shard
    from streamnlp.data.shards import compression, discover
    from streamnlp.run.config import CorpusConfig
    shards = discover([corpus])
    if os.path.isfile(corpus) and shards[0].fmt == "text" and compression(corpus) is None:
        return corpus
    key = hashlib.sha1(repr([s.key()[:4] for s in shards]).encode()).hexdigest()[:12]
    path = os.path.join(tempfile.gettempdir(), f"streamnlp-bench-{key}.txt")
    if not os.path.exists(path):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for shard in shards:
                for texts in read_shard(shard, CorpusConfig()):
                    f.write("".join((t or "") + "\n" for t in texts.to_pylist()))
        os.replace(path + ".tmp", path)
    return path


def run_streamnlp(a, model: str, threads: int, work: str) -> dict:
    out = os.path.join(work, f"streamnlp-{model}-{threads}")
    shutil.rmtree(out, ignore_errors=True)
    if model == "vocab":
        r = measure([sys.executable, "-c", STREAMNLP_VOCAB, a.corpus, out, str(threads), str(a.min_count)])
        return {**r, **json.loads(r["stdout"])}
    if model == "phrases":  # the phrases pass at gensim's defaults (min_count from --min-count, threshold 10)
        r = measure([sys.executable, "-m", "streamnlp", "phrases", a.corpus, "--out", out, "--threads", str(threads),
                     "--min-count", str(a.min_count)])
        m = json.load(open(os.path.join(out, "metrics.json")))
        return {**r, "phrases": m["phrases"], "tokens": m["passes"][0]["tokens"]}
    if model.startswith("cooccur"):  # cooccur:MB, the GloVe counting pass alone with that --memory
        r = measure([sys.executable, "-c", STREAMNLP_COOCCUR, a.corpus, out, str(threads), str(a.min_count),
                     model.partition(":")[2] or "2048"])
        return {**r, **json.loads(r["stdout"])}
    if model.startswith("lm-"):  # lm-gru / lm-rnn: the peers' recipe (vocab 10000, 128, 256, bptt 32, batch 32)
        flags = ["--cell", model[3:], "--sampled-softmax", str(a.lm_sampled), *(["--valid", a.lm_valid] if a.lm_valid
                                                                                 else [])]
        r = measure([sys.executable, "-m", "streamnlp", "lm", a.corpus, "--out", out, "--threads", str(threads),
                     *flags])
        m = json.load(open(os.path.join(out, "metrics.json")))
        return {**r, "tokens": m["tokens"], "compile_seconds": m["compile_seconds"], "rate": m["tokens_per_s"],
                "valid_ppl": m["valid_perplexity"]}
    memory = model.partition(":")[2] if model.startswith("glove:") else ""  # glove:MB, GloVe with --memory MB
    replicas = int(model.partition(":")[2]) if model.startswith("ray:") else 0  # ray:R, skip-gram's replicas
    if replicas:
        flags = ["word2vec", "--model", "sg", "--epochs", str(a.epochs), "--ray", a.ray, "--replicas", str(replicas)]
        threads = max(1, threads // replicas)
    elif model == "glove" or memory:
        flags = ["glove", "--window", "10", "--x-max", str(a.x_max), "--epochs", str(a.glove_epochs),
                 *(["--memory", memory] if memory else [])]
    else:
        hs = ["--hs", "--negative", "0"] if a.hs else []
        flags = ["word2vec", "--model", model, "--epochs", str(a.epochs), *hs]
    r = measure([sys.executable, "-m", "streamnlp", flags[0], a.corpus, "--out", out, *flags[1:],
                 "--threads", str(threads), "--dim", str(a.dim), "--min-count", str(a.min_count), "--no-write-text"])
    m = json.load(open(os.path.join(out, "metrics.json")))
    r.update({k: m[k] for k in ("tokens", "seconds", "compile_seconds", "count_seconds", "train_seconds",
                                "vocab_seconds", "encode_seconds", "write_seconds", "replicas", "threads_per_replica")
              if k in m}, **quality(out))
    if memory:  # the promise: peak RSS within 10% of --memory plus the model's matrices (W, C, their sums, biases)
        matrices = 4 * m["vocab_size"] * (a.dim + 1) * 4 / 2**20
        r.update(memory_mb=float(memory), matrices_mb=round(matrices, 1),
                 rss_bound_mb=round(1.1 * float(memory) + matrices, 1))
    return r


def run_torch(a, model: str, threads: int, work: str) -> dict:
    """PyTorch's CPU language model with the same recipe (the torch peer): training tokens/s, exact valid ppl."""
    r = measure([sys.executable, "-c", TORCH_LM, a.corpus, a.lm_valid or a.corpus, model[3:], str(threads), "10000"])
    out = json.loads(r["stdout"])
    return {**r, "rate": round(out["tokens_per_s"]), "valid_ppl": round(out["valid_ppl"], 2)}


def peers_for(model: str, peers: list[str]) -> list[tuple[str, object]]:
    """The peer runs that fit a model: gensim for word vectors (its skip-gram for glove), the word2vec C
    tool and fastText for sg and cbow, torch for LMs, our own local run for ray:R."""
    if model.startswith(("cooccur", "glove:")):
        return []
    if model.startswith("ray:"):
        return [("local", lambda a, model, threads, work: run_streamnlp(a, "sg", threads, work))]
    if model.startswith("lm-"):
        return [("torch", run_torch)] if "torch" in peers else []
    runs = [("gensim", run_gensim)] if "gensim" in peers else []
    if "word2vec" in peers and model in ("sg", "cbow"):
        runs.append(("word2vec", run_word2vec_c))
    if "fasttext" in peers and model in ("sg", "cbow"):
        runs.append(("fasttext", run_fasttext))
    return runs


def run_fasttext(a, model: str, threads: int, work: str) -> dict:
    """fastText's skipgram / cbow on gensim's line-sentence file with the same settings, words only
    (minn = maxn = 0: no character n-grams, which we do not train either) and its own learning rate
    (0.05); its input vectors scored like ours. The wall time includes writing them (about 0.1 s)."""
    vec = os.path.join(work, f"fasttext-{model}-{threads}.bin")
    r = measure([sys.executable, "-c", FASTTEXT_W2V, line_sentence(a.corpus), "skipgram" if model == "sg" else "cbow",
                 str(threads), str(a.epochs), str(a.dim), str(a.min_count), vec])
    return {**r, **quality(vec)}


def run_word2vec_c(a, model: str, threads: int, work: str) -> dict:
    """The original word2vec C tool (word2vec.c, which `pip install word2vec` compiles with -Ofast
    -march=native as the `word2vec` command) on gensim's line-sentence file with the same settings; its
    default learning rate is ours (0.025 skip-gram, 0.05 CBOW)."""
    exe = shutil.which("word2vec") or os.path.join(os.path.dirname(sys.executable), "word2vec")
    if not os.access(exe, os.X_OK):
        sys.exit("bench: --peers word2vec needs the C tool's `word2vec` command: pip install word2vec")
    vec = os.path.join(work, f"word2vec-{model}-{threads}.bin")
    r = measure([exe, "-train", line_sentence(a.corpus), "-output", vec, "-cbow", "0" if model == "sg" else "1",
                 "-size", str(a.dim), "-window", "5", "-negative", "5", "-hs", "0", "-sample", "1e-3",
                 "-threads", str(threads), "-iter", str(a.epochs), "-min-count", str(a.min_count), "-binary", "1"])
    return {**r, **quality(vec)}


def run_gensim(a, model: str, threads: int, work: str) -> dict:
    """gensim's run of the same model; for glove (which gensim lacks) its skip-gram, the yardstick
    Stanford's GloVe C is measured against too (GloVe C took 2.84x gensim skip-gram's time on 2 cores)."""
    txt = line_sentence(a.corpus)
    model = "sg" if model == "glove" else model
    if model == "vocab":
        r = measure([sys.executable, "-c", GENSIM_VOCAB, txt, str(a.min_count)])
        return {**r, **json.loads(r["stdout"])}
    if model == "phrases":
        found = os.path.join(work, "gensim-phrases.json")
        r = measure([sys.executable, "-c", GENSIM_PHRASES, txt, str(a.min_count), found])
        ours = os.path.join(work, f"streamnlp-phrases-{threads}")
        return {**r, **json.loads(r["stdout"]), **phrase_overlap(found, ours)}
    vec = os.path.join(work, f"gensim-{model}-{threads}.bin")
    r = measure([sys.executable, "-c", GENSIM_W2V, txt, "1" if model == "sg" else "0", str(threads), str(a.epochs),
                 str(a.dim), str(a.min_count), vec, "1" if a.hs else "0"])
    return {**r, **quality(vec)}


def phrase_overlap(gensim_json: str, ours: str, top: int = 1000) -> dict:
    """The share of gensim's top phrases by score that are among ours, and both top-30 lists."""
    with open(gensim_json) as f:
        theirs = [p for p, _ in json.load(f)]
    with open(os.path.join(ours, "phrases.tsv"), encoding="utf-8") as f:
        next(f)
        rows = [line.rstrip("\n").split("\t") for line in f]
    mine = [f"{a}_{b}" for _, a, b, _, _ in sorted((r for r in rows if r[0] == "1"), key=lambda r: -float(r[4]))]
    overlap = len(set(theirs[:top]) & set(mine[:top])) / min(top, len(theirs)) if theirs else None
    return {"top_overlap": overlap,
            "top30_gensim": theirs[:30], "top30_streamnlp": mine[:30]}


def epochs_of(a, model: str, tool: str) -> int:
    """Passes over the corpus that a run's words/s counts (the vocab runs read it once)."""
    if model in ("vocab", "phrases") or model.startswith("cooccur"):
        return 1
    return a.glove_epochs if model.startswith("glove") and tool == "streamnlp" else a.epochs


def note(r: dict) -> str:
    if "top_overlap" in r:
        share = "gensim found none" if r["top_overlap"] is None else f"{r['top_overlap']:.3f} of gensim's are ours"
        return f"{r['phrases']:,} phrases; top 1,000 by score: {share}"
    if "valid_ppl" in r:
        return f"words/s = training tokens/s; valid perplexity {r['valid_ppl']}"
    if "rss_bound_mb" in r:
        verdict = "within" if r["peak_rss_mb"] <= r["rss_bound_mb"] else "OVER"
        return (f"--memory {r['memory_mb']:.0f}: peak RSS {verdict} 1.1 x {r['memory_mb']:.0f} + "
                f"{r['matrices_mb']:.0f} MiB of matrices = {r['rss_bound_mb']:.0f} MiB")
    if "counting_peak_over_baseline_mb" in r:
        return (f"counting pass: {r['counting_peak_over_baseline_mb']:.0f} MiB over baseline with --memory "
                f"{r['memory_mb']:.0f}, {r['records']:,} records, {r['seconds']:.1f} s")
    return ""


def vs_peers(r: dict) -> str:
    """The row's ratios to its peers: "gensim 8.87x, word2vec 2.10x"."""
    return ", ".join(f"{k[3:]} {v:.2f}x" for k, v in r.items() if k.startswith("vs_"))


def table(rows: list[dict]) -> str:
    head = ("| tool | model | threads | wall s | train s | words/s | vs peer | peak RSS MiB | compile s | analogy | "
            "WordSim | SimLex | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    body = []
    for r in rows:
        body.append(f"| {r['tool']} | {r['model']} | {r['threads']} | {r['wall_seconds']:.1f} | "
                    f"{r.get('train_seconds', '')} | "
                    f"{r.get('words_per_s', 0):,} | {vs_peers(r)} | {r['peak_rss_mb']:.0f} | "
                    f"{r.get('compile_seconds', '')} | {r.get('analogy', '')} | {r.get('wordsim_rho', '')} | "
                    f"{r.get('simlex_rho', '')} | {note(r)} |")
    return head + "\n".join(body) + "\n"


def plot(rows: list[dict], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    models = sorted({r["model"] for r in rows if r["model"] != "vocab"})
    if not models:
        return
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), squeeze=False)
    for ax, model in zip(axes[0], models):
        for tool, style in [("streamnlp", "o-"), ("gensim", "s--"), ("word2vec", "d--"), ("fasttext", "v--"),
                            ("torch", "^--")]:
            pts = sorted((r["threads"], r["words_per_s"]) for r in rows
                         if r["model"] == model and r["tool"].startswith(tool))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] / 1e6 for p in pts], style, label=tool)
                if tool == "streamnlp":
                    ax.plot([p[0] for p in pts], [pts[0][1] * p[0] / pts[0][0] / 1e6 for p in pts], ":",
                            color="gray", label="streamnlp ideal (linear)")
        ax.set_title(f"{model}: end-to-end words/s")
        ax.set_xlabel("threads")
        ax.set_ylabel("M words/s")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def code_version() -> str:
    """The streamnlp code measured: its git commit (+ "-dirty" with uncommitted changes), else its version."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        rev = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=10)
        if rev.returncode == 0 and rev.stdout.strip():
            return rev.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from streamnlp import __version__
    return __version__


def with_ratios(rows: list[dict]) -> None:
    """vs_PEER (vs_gensim, vs_word2vec, vs_torch) on each streamnlp row: that peer's wall time over ours
    on the same model and threads (training tokens/s ratio for LMs)."""
    for r in rows:
        if r["tool"] != "streamnlp":
            continue
        for g in rows:
            if g["tool"] != "streamnlp" and g["model"] == r["model"] and g["turn"] == r["turn"] and \
                    (g["threads"] == r["threads"] or r["model"] == "vocab"):
                lm = r["model"].startswith("lm-")
                ratio = r["words_per_s"] / g["words_per_s"] if lm else g["wall_seconds"] / r["wall_seconds"]
                r[f"vs_{g['tool'].split()[0]}"] = round(ratio, 2)


def medians(rows: list[dict]) -> list[dict]:
    """Each ratio (vs_PEER) of our runs over the --reps turns, in turn order, and its median, per model and
    threads."""
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        if r["tool"] == "streamnlp":
            for k, v in r.items():
                if k.startswith("vs_"):
                    groups.setdefault((r["model"], r["threads"], k[3:]), []).append(v)
    return [{"model": m, "threads": t, "peer": p, "ratios": v, "median": round(statistics.median(v), 2)}
            for (m, t, p), v in groups.items()]


def medians_table(meds: list[dict]) -> str:
    if not any(len(m["ratios"]) > 1 for m in meds):
        return ""
    head = "| model | threads | vs peer | each turn | median |\n|---|---|---|---|---|\n"
    body = [f"| {m['model']} | {m['threads']} | {m['peer']} | {', '.join(f'{x:.2f}x' for x in m['ratios'])} | "
            f"{m['median']:.2f}x |" for m in meds]
    return head + "\n".join(body) + "\n"


def scaling(rows: list[dict]) -> list[dict]:
    """Parallel efficiency of each (tool, model) that has a 1-thread run: words/s at t threads over t times
    the 1-thread words/s, end to end; for streamnlp also of the training loop alone (train_seconds)."""
    out = []
    for r in rows:
        one = next((x for x in rows if (x["tool"], x["model"], x["threads"], x["turn"]) ==
                    (r["tool"], r["model"], 1, r["turn"])), None)
        if one is None or r["threads"] == 1 or r["model"] == "vocab":
            continue
        e = {"tool": r["tool"], "model": r["model"], "threads": r["threads"], "turn": r["turn"],
             "speedup": round(r["words_per_s"] / one["words_per_s"], 2),
             "efficiency": round(r["words_per_s"] / one["words_per_s"] / r["threads"], 3)}
        if r.get("train_seconds") and one.get("train_seconds"):
            e["train_efficiency"] = round(one["train_seconds"] / r["train_seconds"] / r["threads"], 3)
        out.append(e)
    return out


def scaling_table(effs: list[dict]) -> str:
    if not effs:
        return ""
    head = ("| tool | model | threads | speedup over 1 thread | efficiency (end to end) | efficiency (training alone) |"
            "\n|---|---|---|---|---|---|\n")
    return head + "\n".join(f"| {e['tool']} | {e['model']} | {e['threads']} | {e['speedup']} | {e['efficiency']} | "
                             f"{e.get('train_efficiency', '')} |" for e in effs) + "\n"


def write_results(out: str, meta: dict, rows: list[dict], tasks: TaskBench | None = None) -> None:
    """results.json and results.md for the runs so far (each replaced whole, so a killed sweep leaves both);
    the task rows (bench_tasks) as "tasks" and "notes" and a second table."""
    from streamnlp.run.atomic import atomic_write
    with_ratios(rows)
    effs = scaling(rows)
    meds = medians(rows)
    turns = medians_table(meds)
    extra = {"tasks": tasks.rows, "notes": tasks.notes} if tasks is not None else {}
    with atomic_write(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "runs": rows, "scaling": effs, "medians": meds, **extra}, f, indent=2)
    with atomic_write(os.path.join(out, "results.md"), "w") as f:
        f.write(f"`{meta['command']}` on {meta['cores']} cores ({meta['cpu']}), {meta['date']}, streamnlp "
                f"{meta['code']}\n\n" + (table(rows) if rows or tasks is None else "")
                + (f"\n{turns}" if turns else ""))
        if effs:
            f.write("\n" + scaling_table(effs))
        if tasks is not None:
            f.write(("\n" if rows else "") + "Tasks\n\n" + tasks_table(tasks.rows, tasks.notes))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", help="the corpus (required by every model but tagger / classifier, for which it is "
                    "the word vectors' corpus: without it the rows that start from vectors are skipped)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="sg,cbow")
    ap.add_argument("--peers", help="comma list of peers (gensim, word2vec: the C tool, fasttext, torch; for tagger / "
                    "classifier: crf, perceptron, torch, tfidf), or 'none' (default: gensim, and all four task peers)")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--hs", action="store_true", help="sg / cbow with hierarchical softmax alone (--hs --negative 0; "
                                                      "gensim's hs=1, negative=0)")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--ray", default="auto", help="the cluster the ray:R runs use (auto, an address, local:N)")
    ap.add_argument("--glove-epochs", type=int, default=15)
    ap.add_argument("--x-max", type=float, default=10.0, help="GloVe's x_max")
    ap.add_argument("--lm-valid", help="validation corpus folder for the lm-gru / lm-rnn runs")
    ap.add_argument("--lm-sampled", type=int, default=0, help="--sampled-softmax of the streamnlp LM runs")
    ap.add_argument("--tasks", default=os.path.join(os.path.dirname(ROOT), "shared", "tasks"),
                    help="task data folder (conll2000/, sentence_polarity/) for tagger / classifier (default: "
                    "../shared/tasks; missing: those rows are skipped with a note)")
    ap.add_argument("--peer-python", default=sys.executable,
                    help="the Python the task peers run under (it needs nltk sklearn-crfsuite scikit-learn seqeval "
                    "pyarrow numpy torch==2.13.0; default: this one)")
    ap.add_argument("--peer-dir", help="the task peers' scripts (default: TASKS/../peers)")
    ap.add_argument("--reps", type=int, default=1, help="runs of each configuration, ours and the peers' in turn; "
                    "each ratio's median over the turns is added (the task models run once)")
    ap.add_argument("--quick", action="store_true", help="tagger / classifier smoke run: 300 / 100 CoNLL sentences, "
                    "600 MR sentences, 1 epoch (vectors too), 2 folds, crf --max-iter 10, perceptron --iters 1")
    a = ap.parse_args()
    models = [m for m in a.models.split(",") if m]
    for m in models:
        name, colon, number = m.partition(":")
        if colon and not (name in ("glove", "cooccur", "ray") and number.isdigit() and int(number) > 0):
            ap.error(f"--models {m}: only glove:MB, cooccur:MB and ray:R take a number, a whole one above 0")
    if a.reps < 1:
        ap.error(f"--reps {a.reps}: give a whole number of runs above 0")
    task_models = [m for m in models if m in TASK_MODELS]
    models = [m for m in models if m not in TASK_MODELS]
    if models and not a.corpus:
        ap.error(f"--corpus is required for {','.join(models)}")
    a.corpus = a.corpus and os.path.abspath(a.corpus)
    a.tasks = os.path.abspath(a.tasks)
    a.peer_dir = os.path.abspath(a.peer_dir or os.path.join(os.path.dirname(a.tasks), "peers"))
    os.makedirs(a.out, exist_ok=True)
    threads = [int(t) for t in a.threads.split(",")]
    peers = [p for p in (a.peers or "gensim").split(",") if p and p != "none"]
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "code": code_version(), "cores": os.cpu_count(), "cpu": cpu_name(),
            "python": platform.python_version(), "corpus": a.corpus, "epochs": a.epochs, "dim": a.dim,
            "min_count": a.min_count, "command": " ".join(sys.argv)}
    if task_models:
        meta.update(tasks=a.tasks, peer_python=a.peer_python, peer_dir=a.peer_dir, quick=a.quick)
    rows: list[dict] = []
    tasks = None
    with tempfile.TemporaryDirectory(prefix="streamnlp-bench-") as work:
        for model in models:
            for t, turn, (tool, runner) in itertools.product(
                    threads, range(a.reps), [("streamnlp", run_streamnlp), *peers_for(model, peers)]):
                if tool == "gensim" and model == "vocab" and t != threads[0]:
                    continue
                r = runner(a, model, t, work)
                r.pop("stdout", None)
                tokens = r.get("tokens") or next((x["tokens"] for x in rows if x.get("tokens")), None)
                epochs = epochs_of(a, model, tool)
                if tokens is None and tool != "streamnlp":
                    tokens = sum(len(line.split()) for line in open(line_sentence(a.corpus)))
                name = "gensim (sg)" if (model, tool) == ("glove", "gensim") else tool
                r.update(tool=name, model=model, threads=t, turn=turn, tokens=tokens,
                         words_per_s=r.pop("rate", None) or round(tokens * epochs / r["wall_seconds"]))
                rows.append(r)
                print(f"[bench] {tool:9s} {model:5s} threads={t:2d} wall={r['wall_seconds']:.1f}s "
                      f"words/s={r['words_per_s']:,} rss={r['peak_rss_mb']:.0f}MiB "
                      f"analogy={r.get('analogy', '-')}", flush=True)
                write_results(a.out, meta, rows)  # after every run, so an interrupted sweep keeps its runs
            plot(rows, os.path.join(a.out, "scaling.png"))
        if task_models:
            task_peers = [p for p in (a.peers or "crf,perceptron,torch,tfidf").split(",") if p and p != "none"]
            tasks = TaskBench(a, threads, task_peers, work, measure, lambda: write_results(a.out, meta, rows, tasks))
            tasks.run(task_models)
            write_results(a.out, meta, rows, tasks)
    if rows:
        print(table(rows) + "\n" + scaling_table(scaling(rows)) + medians_table(medians(rows)))
    if tasks is not None:
        print(tasks_table(tasks.rows, tasks.notes))


if __name__ == "__main__":
    main()
