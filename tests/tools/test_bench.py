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
