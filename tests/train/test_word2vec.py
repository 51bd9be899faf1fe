"""word2vec.py: outputs, seeded bit-identical runs, resume after SIGKILL, planted analogies on sample_corpus,
the hot-row defaults and plan."""
import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import QUESTIONS, SAMPLE

from streamnlp import load_vectors, train_word2vec
from streamnlp.run.config import Word2VecConfig
from streamnlp.train.word2vec import hot_copies
from streamnlp.vectors.evaluate import evaluate_word_analogies

# Calibrated on sample_corpus over seeds 1..6 with 2 threads: every run of sg (shared and per-pair
# negatives) and CBOW scored 1.000 (528/528), and again with sg's 256 hot rows and with its
# 4 files one unit of work; a kernel that learns nothing scores near 0.
MIN_ACCURACY = 0.95


@pytest.mark.parametrize("model", ["sg", "cbow"])
@pytest.mark.parametrize("seed", [1, 2])
def test_planted_analogies_are_recovered(tmp_path, model, seed):
    kv = train_word2vec(SAMPLE, str(tmp_path / "run"), model=model, seed=seed, threads=2)
    accuracy, _ = evaluate_word_analogies(kv, QUESTIONS)
    assert accuracy >= MIN_ACCURACY


def test_run_folder_holds_every_output_and_only_those(tmp_path):
    """A finished run keeps its outputs; the encoded corpus and the checkpoints go (unless asked to stay).
    config.json holds the values the run used, defaults that depend on the model or threads filled in."""
    out = str(tmp_path / "run")
    kv = train_word2vec(SAMPLE, out, epochs=2, dim=16, threads=2)
    assert sorted(os.listdir(out)) == ["config.json", "metrics.json", "vectors.bin", "vectors.txt", "vocab.tsv"]
    m = json.load(open(os.path.join(out, "metrics.json")))
    assert m["tokens"] == 353838 and m["epochs"] == 2 and m["threads"] == 2
    assert m["words_per_s"] > 0 and len(m["loss_per_epoch"]) == len(m["train_loss_per_epoch"]) == 2
    assert m["seconds"] >= m["train_seconds"] > 0 and "earlier_train_seconds" not in m
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert (cfg["dim"], cfg["alpha"], cfg["hot_rows"], cfg["regions"], cfg["threads"]) == (16, 0.025, 256, 1, 2)
    back = load_vectors(os.path.join(out, "vectors.bin"))
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)
    assert not [f for f in os.listdir(out) if ".tmp-" in f]


@pytest.mark.parametrize("model, shared", [("sg", True), ("sg", False), ("cbow", True)])
def test_seeded_single_thread_runs_are_bit_identical(tmp_path, model, shared):
    kw = dict(model=model, shared_negatives=shared, threads=1, seed=3, epochs=2, dim=20, write_text=False,
              block_tokens=50_000)  # several blocks: CBOW's steps interleave two regions (regions.py)
    train_word2vec(SAMPLE, str(tmp_path / "a"), **kw)
    train_word2vec(SAMPLE, str(tmp_path / "b"), **kw)
    train_word2vec(SAMPLE, str(tmp_path / "c"), **{**kw, "seed": 4})
    a, b, c = (open(tmp_path / x / "vectors.bin", "rb").read() for x in "abc")
    assert a == b
    assert a != c


def test_ns_exponent_reaches_the_noise_draws(tmp_path):
    kw = dict(threads=1, seed=3, epochs=1, dim=16, write_text=False)
    for name, power in (("default", None), ("same", 0.75), ("fasttext", 0.5)):
        train_word2vec(SAMPLE, str(tmp_path / name), **kw, **({} if power is None else {"ns_exponent": power}))
    default, same, fasttext = (open(tmp_path / x / "vectors.bin", "rb").read() for x in ("default", "same", "fasttext"))
    assert default == same
    assert default != fasttext


def test_a_one_line_corpus_trains_as_its_words_in_lines_of_max_sentence_length(tmp_path):
    """text8's shape (the whole corpus one row) is cut into sentences of max_sentence_length words, so it
    is many blocks (the threads' work) and trains exactly as the same words written that many a line."""
    words = " ".join(pq.read_table(os.path.join(SAMPLE, "part-00000.parquet"))["text"].to_pylist()).split()[:30_000]
    (tmp_path / "one.txt").write_text(" ".join(words) + "\n")
    (tmp_path / "lines.txt").write_text("".join(" ".join(words[k:k + 1000]) + "\n" for k in range(0, 30_000, 1000)))
    kw = dict(threads=1, seed=5, epochs=1, dim=16, min_count=1, max_sentence_length=1000, block_tokens=4096,
              write_text=False, keep_cache=True)
    for name in ("one", "lines"):
        train_word2vec(str(tmp_path / f"{name}.txt"), str(tmp_path / name), **kw)
    assert open(tmp_path / "one" / "vectors.bin", "rb").read() == open(tmp_path / "lines" / "vectors.bin", "rb").read()
    (folder,) = (tmp_path / "one" / "cache").glob("blocks-*")
    blocks = json.load(open(folder / "manifest.json"))["blocks"]
    assert len(blocks) == 6  # of 5 sentences: the first to reach block_tokens ends a block


def test_a_finished_run_deletes_only_what_it_made(tmp_path):
    """--out . in a project that has its own checkpoints/ and cache/ folders: they stay, with their files."""
    for folder in ("checkpoints", "cache"):
        (tmp_path / "run" / folder).mkdir(parents=True)
        (tmp_path / "run" / folder / "mine.txt").write_text("keep me")
    train_word2vec(SAMPLE, str(tmp_path / "run"), epochs=1, dim=8)
    for folder in ("checkpoints", "cache"):
        assert sorted(os.listdir(tmp_path / "run" / folder)) == ["mine.txt"]


def test_kept_caches_and_checkpoints_stay(tmp_path):
    train_word2vec(SAMPLE, str(tmp_path / "kept"), epochs=1, dim=8, keep_cache=True, keep_checkpoints=True)
    assert {"cache", "checkpoints"} <= set(os.listdir(tmp_path / "kept"))
    train_word2vec(SAMPLE, str(tmp_path / "own"), epochs=1, dim=8, cache_dir=str(tmp_path / "shared"))
    assert "cache" not in os.listdir(tmp_path / "own") and list((tmp_path / "shared").glob("blocks-*"))


def test_resume_with_other_settings_is_refused(tmp_path):
    out = str(tmp_path / "run")
    train_word2vec(SAMPLE, out, epochs=1, dim=8, threads=2, keep_checkpoints=True)
    from streamnlp.run.errors import UserError
    with pytest.raises(UserError, match="dim=8"):
        train_word2vec(SAMPLE, out, epochs=1, dim=16, resume=True)



def test_cbow_trains_two_regions_at_once_by_default_and_skip_gram_one():
    assert Word2VecConfig(model="cbow").effective_regions() == 2
    assert Word2VecConfig(model="sg").effective_regions() == 1
    assert Word2VecConfig(model="sg", regions=4).effective_regions() == 4


def test_hot_rows_default_to_skip_gram_and_hierarchical_softmax_at_two_threads_only():
    sg, cbow = Word2VecConfig(model="sg"), Word2VecConfig(model="cbow")
    assert [sg.effective_hot_rows(t) for t in (1, 2, 3, 16)] == [0, 256, 0, 0]
    assert [cbow.effective_hot_rows(t) for t in (1, 2, 16)] == [0, 0, 0]
    for model in ("sg", "cbow"):
        hs = Word2VecConfig(model=model, hs=True, negative=0)
        assert [hs.effective_hot_rows(t) for t in (1, 2, 3, 16)] == [0, 1024, 0, 0]
    assert [Word2VecConfig(hot_rows=64).effective_hot_rows(t) for t in (1, 2, 16)] == [0, 64, 64]


def test_more_than_two_units_at_once_copy_input_rows_only_and_sync_more_often():
    assert [hot_copies(256, k) for k in (1, 2, 3, 16)] == [(256, 4096, 1, False), (256, 2048, 1, False),
                                                           (0, 1365, 1, False), (0, 256, 1, False)]
    # under hierarchical softmax the copied output rows (the tree's top nodes) take the units' mean change
    assert [hot_copies(256, k, hs=True)[2:] for k in (1, 2)] == [(1, True), (0.5, True)]  # the copies last
