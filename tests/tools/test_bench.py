"""tools/bench.py on a tiny corpus: leaves results.json (runs and parallel efficiency), results.md and scaling.png."""
import json
import subprocess
import sys

from conftest import ROOT, SAMPLE

# fastText's wheels (the dev extra fasttext-wheel) stop at Python 3.12
C_PEERS = ("word2vec", "fasttext") if sys.version_info < (3, 13) else ("word2vec",)


def test_bench_writes_json_markdown_and_plot(tmp_path):
    out = tmp_path / "bench"
    res = subprocess.run([sys.executable, "tools/bench.py", "--corpus", SAMPLE, "--threads", "1,2", "--epochs", "1",
                          "--models", "sg,vocab,cooccur:1,lm-rnn", "--peers", ",".join(("gensim", *C_PEERS)),
                          "--dim", "16", "--lm-valid", f"{SAMPLE}/part-00003.parquet", "--lm-sampled", "50",
                          "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    runs = json.load(open(out / "results.json"))["runs"]
    assert {(r["tool"], r["model"], r["threads"]) for r in runs} >= {
        ("streamnlp", "sg", 1), ("streamnlp", "sg", 2), ("gensim", "sg", 1), ("gensim", "sg", 2),
        ("streamnlp", "vocab", 1), ("gensim", "vocab", 1), *((p, "sg", t) for p in C_PEERS for t in (1, 2))}
    for r in runs:
        assert r["wall_seconds"] > 0 and r["peak_rss_mb"] > 10 and r["words_per_s"] > 0
    assert all("vs_gensim" in r for r in runs if r["tool"] == "streamnlp" and r["model"] in ("sg", "vocab"))
    ours = [r for r in runs if r["tool"] == "streamnlp" and r["model"] == "sg"]
    assert all(f"vs_{p}" in r for r in ours for p in C_PEERS)
    for peer in C_PEERS:
        run = next(r for r in runs if (r["tool"], r["model"], r["threads"]) == (peer, "sg", 2))
        assert run["words_per_s"] > 0 and "analogy" in run  # its vectors are read and scored like ours
    lm = next(r for r in runs if r["model"] == "lm-rnn")
    assert lm["valid_ppl"] < 10 and lm["words_per_s"] > 0
    md = (out / "results.md").read_text()
    assert "| streamnlp | sg | 2 |" in md and "| word2vec | sg | 2 |" in md and "word2vec " in md
    meta = json.load(open(out / "results.json"))["meta"]
    assert meta["code"] and f"streamnlp {meta['code']}" in (out / "results.md").read_text().splitlines()[0]
    assert "counting pass:" in (out / "results.md").read_text()
    assert (out / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.stdout.count("[bench]") == len(runs)
    effs = json.load(open(out / "results.json"))["scaling"]
    sg2 = {e["tool"]: e for e in effs if (e["model"], e["threads"]) == ("sg", 2)}
    assert set(sg2) == {"streamnlp", "gensim", *C_PEERS} and sg2["streamnlp"]["train_efficiency"] > 0
    for e in sg2.values():
        assert abs(e["efficiency"] - e["speedup"] / 2) < 0.01
    assert "efficiency (end to end)" in (out / "results.md").read_text()


def test_the_peers_read_a_text_corpus_as_it_is_and_a_parquet_one_as_lines(tmp_path):
    import os

    from conftest import write_parquet
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from bench import line_sentence
    (tmp_path / "c.txt").write_text("a b\nc\n")
    assert line_sentence(str(tmp_path / "c.txt")) == str(tmp_path / "c.txt")
    write_parquet(str(tmp_path / "p" / "x.parquet"), ["d e f", "g"])
    assert open(line_sentence(str(tmp_path / "p"))).read() == "d e f\ng\n"


def test_a_peer_that_prints_a_lot_is_not_blocked_on_its_output():
    """The C tool writes a progress line every 10,000 words: a pipe nobody reads while it runs fills up."""
    import os
    import threading
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from bench import measure
    box = {}
    job = threading.Thread(target=lambda: box.update(measure([sys.executable, "-c", "import sys\nfor _ in range(2000):"
                                                              " sys.stdout.write('x' * 999 + '\\r')"])), daemon=True)
    job.start()
    job.join(timeout=60)
    assert not job.is_alive() and len(box["stdout"]) == 2_000_000


FAKE_CRF = """import json, sys
print("fitting...")  # the bench reads the last line only
tag_column = sys.argv[sys.argv.index("--tag-column") + 1]
out = {"peer": "fake-crf", "train_seconds": 1.5, "token_accuracy": 0.5}
if tag_column == "-1":
    out.update(precision=0.25, recall=0.25, f1=0.25)
print(json.dumps(out))
"""


def conll_sentences(n, seed):
    """n tiny CoNLL sentences `word POS chunk`: determiner + noun phrases around a verb."""
    import random
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        np1 = [(rng.choice(["the", "a"]), "DT", "B-NP"), (rng.choice(["dog", "cat", "car"]), "NN", "I-NP")]
        np2 = [(rng.choice(["the", "a"]), "DT", "B-NP"), (rng.choice(["house", "tree"]), "NN", "I-NP")]
        out.append(np1 + [(rng.choice(["sees", "likes"]), "VB", "B-VP")] + np2 + [(".", ".", "O")])
    return "".join("".join(" ".join(t) + "\n" for t in s) + "\n" for s in out)


def test_bench_tasks_rows_beside_a_fake_peer_and_notes_for_missing_ones(tmp_path):
    """tagger + classifier on tiny task data, --quick: the streamnlp rows, a fake crf peer's JSON read from its
    last line with ratios on our rows, and notes (never a crash) for the peers that are not there or fail to import."""
    import os

    from conftest import write_parquet
    tasks = tmp_path / "shared" / "tasks"
    (tasks / "conll2000").mkdir(parents=True)
    (tasks / "conll2000" / "train.txt").write_text(conll_sentences(40, 1))
    (tasks / "conll2000" / "test.txt").write_text(conll_sentences(10, 2))
    import pyarrow as pa
    import pyarrow.parquet as pq
    (tasks / "sentence_polarity").mkdir()
    texts = [f"the film was {'good' if i % 2 else 'bad'} {'fine' if i % 2 else 'awful'}" for i in range(60)]
    pq.write_table(pa.table({"text": texts, "label": ["pos" if i % 2 else "neg" for i in range(60)]}),
                   str(tasks / "sentence_polarity" / "train.parquet"))
    peers = tmp_path / "shared" / "peers"
    peers.mkdir()
    (peers / "crf_tagger.py").write_text(FAKE_CRF)
    (peers / "perceptron_tagger.py").write_text("import no_such_module_for_the_bench_test\n")
    fake_modules = tmp_path / "modules"  # what the crf peer imports, so that the fake one runs here
    (fake_modules / "seqeval").mkdir(parents=True)
    (fake_modules / "seqeval" / "__init__.py").write_text("")
    (fake_modules / "sklearn_crfsuite.py").write_text("")
    corpus = write_parquet(str(tmp_path / "corpus" / "a.parquet"), ["the dog sees the house ."] * 200)
    out = tmp_path / "bench"
    env = {**os.environ, "PYTHONPATH": str(fake_modules)}
    res = subprocess.run([sys.executable, "tools/bench.py", "--models", "tagger,classifier", "--threads", "2",
                          "--quick", "--tasks", str(tasks), "--corpus", os.path.dirname(corpus), "--min-count", "1",
                          "--dim", "8", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env=env)
    assert res.returncode == 0, res.stderr
    results = json.load(open(out / "results.json"))
    assert results["runs"] == [] and results["meta"]["code"] and results["meta"]["cores"] and results["meta"]["cpu"]
    rows = results["tasks"]
    got = {(r["tool"], r["task"], r["settings"]) for r in rows}
    ours = [r for r in rows if r["tool"] == "streamnlp" and r["task"] != "word vectors"]
    assert {(r["task"], "--no-viterbi" in r["settings"], "VEC" in r["settings"]) for r in ours} == {
        ("chunking, words only", False, False), ("chunking, words only", True, False),
        ("chunking, words + POS", False, True), ("POS", False, False), ("POS", False, True),
        ("MR, cross-validation", False, True)}
    assert {r["settings"].split()[1] for r in ours if r["task"].startswith("MR")} == {"mean", "gru"}
    assert ("crf", "chunking, words + POS", "--tag-column -1 --max-iter 10") in got
    assert ("crf", "POS", "--tag-column 1 --max-iter 10") in got
    for r in rows:
        assert r["wall_seconds"] > 0 and r["peak_rss_mb"] > 1 and r["threads"] >= 1
    for r in ours:
        assert r["train_seconds"] >= 0 and r["command"].startswith("stream-train ")
        if r["task"].startswith("MR"):
            assert 0 <= r["accuracy"] <= 1 and r["folds"] == 2 and r["sentences_per_s"] > 0
        else:
            assert 0 <= r["token_accuracy"] <= 1 and r["tokens_per_s"] > 0 and r["epochs"] == 1
            assert ("f1" in r) == r["task"].startswith("chunking")
    crf_pos = next(r for r in ours if r["task"] == "chunking, words + POS")
    assert crf_pos["vs"]["crf"]["score_diff"] == round(crf_pos["f1"] - 0.25, 4)
    assert crf_pos["vs"]["crf"]["speed"] == round(1.5 / crf_pos["train_seconds"], 2)
    assert next(r for r in rows if r["tool"] == "crf" and r["task"] == "POS")["token_accuracy"] == 0.5
    notes = results["notes"]
    assert any(n.startswith("peer perceptron skipped") and "no_such_module_for_the_bench_test" in n
               or n.startswith("peer perceptron skipped") and "nltk" in n for n in notes)
    assert any(n.startswith("peer torch skipped") for n in notes) and any(n.startswith("peer tfidf skipped")
                                                                           for n in notes)
    md = (out / "results.md").read_text()
    assert "| streamnlp | chunking, words only |" in md and "| crf | POS |" in md and "crf: acc" in md
    assert "- peer torch skipped" in md and "Tasks" in md


def test_bench_tasks_without_the_task_data_or_a_corpus_are_notes(tmp_path):
    out = tmp_path / "bench"
    res = subprocess.run([sys.executable, "tools/bench.py", "--models", "tagger,classifier", "--threads", "2",
                          "--tasks", str(tmp_path / "missing"), "--out", str(out)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    results = json.load(open(out / "results.json"))
    assert results["tasks"] == [] and "not found" in results["notes"][0]
    res = subprocess.run([sys.executable, "tools/bench.py", "--models", "sg", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "--corpus is required" in res.stderr


def test_bench_times_replicas_on_a_cluster_beside_the_local_run(tmp_path, ray_cluster):
    out = tmp_path / "bench"
    res = subprocess.run([sys.executable, "tools/bench.py", "--corpus", SAMPLE, "--threads", "2", "--epochs", "1",
                          "--models", "ray:2", "--ray", ray_cluster, "--dim", "16", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    runs = {r["tool"]: r for r in json.load(open(out / "results.json"))["runs"]}
    assert set(runs) == {"streamnlp", "local"} and all(r["model"] == "ray:2" for r in runs.values())
    ours = runs["streamnlp"]
    assert (ours["replicas"], ours["threads_per_replica"]) == (2, 1) and ours["analogy"] > 0.2  # 2 threads in all
    assert ours["vs_local"] == round(runs["local"]["wall_seconds"] / ours["wall_seconds"], 2)


def test_reps_pair_each_of_our_runs_with_the_peers_run_of_its_turn_and_take_the_median(tmp_path):
    out = tmp_path / "bench"
    res = subprocess.run([sys.executable, "tools/bench.py", "--corpus", SAMPLE, "--threads", "1", "--models", "vocab",
                          "--reps", "3", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    results = json.load(open(out / "results.json"))
    runs = results["runs"]
    turns = [(tool, turn) for turn in range(3) for tool in ("streamnlp", "gensim")]  # in turn, ours first
    assert [(r["tool"], r["turn"]) for r in runs] == turns
    ratios = []
    for ours, peer in zip(runs[::2], runs[1::2]):
        ratios.append(round(peer["wall_seconds"] / ours["wall_seconds"], 2))
        assert ours["vs_gensim"] == ratios[-1]
    assert results["medians"] == [{"model": "vocab", "threads": 1, "peer": "gensim", "ratios": ratios,
                                   "median": sorted(ratios)[1]}]
    assert f"| vocab | 1 | gensim | {', '.join(f'{x:.2f}x' for x in ratios)} | {sorted(ratios)[1]:.2f}x |" in \
        (out / "results.md").read_text()


def test_a_models_number_that_is_not_one_is_exit_2_and_a_line(tmp_path):
    for model in ("ray:x", "glove:0", "sg:2"):
        res = subprocess.run([sys.executable, "tools/bench.py", "--corpus", SAMPLE, "--models", model, "--out",
                              str(tmp_path / "bench")], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert res.returncode == 2 and f"--models {model}: only" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "tools/bench.py", "--corpus", SAMPLE, "--reps", "0", "--out",
                          str(tmp_path / "bench")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "--reps 0: give a whole number" in res.stderr and "Traceback" not in res.stderr


def test_a_process_that_ends_before_the_first_sample_still_has_its_peak_memory():
    sys.path.insert(0, f"{ROOT}/tools")
    from bench import measure
    for _ in range(5):
        r = measure([sys.executable, "-S", "-c", "pass"])  # done within the 20 ms between later samples
        assert r["wall_seconds"] > 0 and r["peak_rss_mb"] > 1
    big = measure([sys.executable, "-c", "import numpy; a = numpy.ones(50_000_000); print(a.sum())"])
    assert big["peak_rss_mb"] > 380 and big["stdout"].strip() == "50000000.0"  # 400 MB of float64 ones
