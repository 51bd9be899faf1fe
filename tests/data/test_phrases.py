"""Phrases: counts against a plain Counter, scores and phrases against gensim's Phrases, joining as gensim's
FrozenPhrases does, a second pass's trigrams, pruning, and --phrases on word2vec."""
import collections
import json

import numpy as np
import pyarrow as pa
import pytest
from conftest import write_parquet
from gensim.models.phrases import FrozenPhrases
from gensim.models.phrases import Phrases as GensimPhrases

from streamnlp.cli import main
from streamnlp.data import phrasecount
from streamnlp.data.phrasecount import (
    count_all,
    count_batch,
    find_phrases,
    learn_phrases,
    merge_sorted,
    named_pairs,
    scores,
)
from streamnlp.data.shards import discover
from streamnlp.kernels.hashing import string_hashes
from streamnlp.run.config import PhrasesConfig

COLLOCATIONS = [["new", "york"], ["san", "francisco"], ["los", "angeles", "times"], ["ice", "cream"]]


def corpus(n: int, seed: int) -> list[str]:
    """Rows of random filler words with collocations planted in some."""
    rng = np.random.default_rng(seed)
    filler = [f"w{i}" for i in range(300)]
    rows = []
    for _ in range(n):
        words = list(rng.choice(filler, int(rng.integers(3, 12))))
        for _ in range(int(rng.integers(0, 3))):
            at = int(rng.integers(0, len(words) + 1))
            words[at:at] = COLLOCATIONS[int(rng.integers(0, len(COLLOCATIONS)))]
        rows.append(" ".join(words))
    return rows


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    d = tmp_path_factory.mktemp("phrases")
    rows = corpus(3000, 1)
    rows[5:5], rows[1699:1699] = ["", "solo"], ["", ""]  # empty and one-word rows: no pair across them
    write_parquet(str(d / "a.parquet"), rows[:1700])
    write_parquet(str(d / "b.parquet"), rows[1700:])
    return str(d), rows


@pytest.mark.parametrize("chunk", [1 << 21, 50])
def test_counts_match_a_plain_counter(shards, monkeypatch, chunk):
    """One chunk a unit, and many chunks merged (a chunk of 50 tokens ends inside the batches' rows)."""
    monkeypatch.setattr(phrasecount, "CHUNK_TOKENS", chunk)
    folder, rows = shards
    c = count_all(discover([folder]), PhrasesConfig(batch_rows=37, threads=2), None, "test")
    words = collections.Counter(w for r in rows for w in r.split())
    pairs = collections.Counter((a, b) for r in rows for a, b in zip(r.split(), r.split()[1:]))
    assert dict(zip(c.words["word"].to_pylist(), c.words["count"].to_pylist())) == words
    a, b, _, _ = named_pairs(c)
    assert dict(zip(zip(a.to_pylist(), b.to_pylist()), c.pairs["count"].to_pylist())) == pairs
    assert c.tokens == sum(words.values())


def test_merging_sorted_chunks_equals_arrows_group_by():
    """merge_sorted (the reduce when nothing was pruned) against Arrow's group-by of the same chunks' tables:
    chunks that share words and pairs, one with words of its own, an empty one."""
    rows = corpus(600, 3)
    chunks = [rows[:250], rows[250:500], rows[500:] + ["only here twice", "only here"], []]
    parts = []
    for chunk in chunks:
        lists = pa.array([r.split() for r in chunk], pa.list_(pa.string()))
        parts.append(count_batch(lists.flatten(), np.array([len(r.split()) for r in chunk], np.int64)))
    words, pairs = merge_sorted(parts)
    want_w = phrasecount._sum([p.words for p in parts], ["h", "word"]).sort_by("h")
    want_p = phrasecount._sum([p.pairs for p in parts], ["ha", "hb"])
    want_p = want_p.sort_by([("ha", "ascending"), ("hb", "ascending")])
    assert words.equals(want_w) and pairs.equals(want_p)
    assert dict(zip(words["word"].to_pylist(), words["count"].to_pylist()))["here"] == 2
    words, pairs = merge_sorted(parts[-1:])  # a unit of empty rows only
    assert words.num_rows == pairs.num_rows == 0


def test_two_words_of_one_hash_are_refused(monkeypatch):
    monkeypatch.setattr(phrasecount, "string_hashes", lambda strings: np.zeros(len(strings), np.uint64))
    part = count_batch(pa.array(["a", "b", "a"]), np.array([3], np.int64))
    with pytest.raises(RuntimeError, match="share a 64-bit hash"):
        merge_sorted([part])


def fnv1a_splitmix(b: bytes) -> int:
    m = (1 << 64) - 1
    h = 14695981039346656037
    for x in b:
        h = ((h ^ x) * 1099511628211) & m
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & m
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & m
    return h ^ (h >> 31)


def test_string_hashes_are_fnv1a_spread_by_splitmix64():
    words = ["", "a", "ab", "ba", "new_york", "Zürich", "日本語", "x" * 300, "a"]
    arr = pa.array(words)
    for strings in (arr, arr.slice(2), arr.cast(pa.large_string())):
        got = string_hashes(strings).tolist()
        assert got == [fnv1a_splitmix(w.encode()) for w in strings.to_pylist()]
    assert len(set(string_hashes(arr).tolist())) == len(set(words))


@pytest.mark.parametrize("scoring,threshold", [("default", 10.0), ("default", 0.0), ("default", -0.5), ("npmi", -0.2)])
def test_only_pairs_that_cannot_pass_are_left_unscored(shards, scoring, threshold):
    """find_phrases scores the pairs at or above min_count only; every pair scored gives the same phrases."""
    folder, _ = shards
    c = count_all(discover([folder]), PhrasesConfig(threads=2), None, "test")
    a, b, s = scores(c, scoring, 5)
    want = sorted(zip(a.filter(pa.array(s > threshold)).to_pylist(), b.filter(pa.array(s > threshold)).to_pylist(),
                      s[s > threshold].tolist()))
    t = find_phrases(c, scoring, 5, threshold)
    assert sorted(zip(t["a"].to_pylist(), t["b"].to_pylist(), t["score"].to_pylist())) == want and want


@pytest.mark.parametrize("scoring,threshold", [("default", 10.0), ("default", 1.0), ("npmi", 0.3)])
def test_phrases_and_scores_are_gensims(shards, tmp_path, scoring, threshold):
    folder, rows = shards
    ours = learn_phrases(folder, str(tmp_path), scoring=scoring, threshold=threshold, min_count=5).levels[0]
    found = {f"{a}_{b}": s for a, b, s in zip(*(ours[k].to_pylist() for k in ("a", "b", "score")))}
    theirs = GensimPhrases([r.split() for r in rows], min_count=5, threshold=threshold, scoring=scoring)
    want = theirs.export_phrases()
    assert set(found) == set(want) and len(found) >= 4
    assert all(found[k] == pytest.approx(want[k], rel=1e-9) for k in want)


def test_joining_and_a_second_pass_as_gensims(shards, tmp_path):
    folder, rows = shards
    model = learn_phrases(folder, str(tmp_path), passes=2, threshold=5.0)
    sents = [r.split() for r in rows]
    first = FrozenPhrases(GensimPhrases(sents, min_count=5, threshold=5.0))
    # gensim keys its counts by the words joined with the delimiter, so on tokens joined by "_" a second "_"
    # pass reads "ice_cream" as a pair (ice, cream); joined by " " its second pass reads the tokens as they are
    second = FrozenPhrases(GensimPhrases(first[sents], min_count=5, threshold=5.0, delimiter=" "))
    import pyarrow as pa

    from streamnlp.data.corpus import tokenize
    flat, lengths = tokenize(pa.array(rows), PhrasesConfig(), phrases=model)
    ends = np.cumsum(lengths)
    ours = [flat.to_pylist()[e - n:e] for e, n in zip(ends, lengths)]
    assert ours == [[t.replace(" ", "_") for t in s] for s in second[first[sents]]]
    assert any("los_angeles_times" in s for s in ours)
    metrics = json.load(open(tmp_path / "metrics.json"))
    assert [p["phrases"] > 0 for p in metrics["passes"]] == [True, True]


def test_pruning_bounds_the_tables(shards):
    folder, _ = shards
    c = count_all(discover([folder]), PhrasesConfig(max_vocab_size=500, batch_rows=50), None, "test")
    assert c.words.num_rows + c.pairs.num_rows <= 500 and c.min_reduce > 1
    a, b, _, _ = named_pairs(c)
    assert ("new", "york") in set(zip(a.to_pylist(), b.to_pylist()))


def test_word2vec_trains_on_the_phrases(shards, tmp_path):
    folder, _ = shards
    assert main(["phrases", folder, "--out", str(tmp_path / "ph"), "--threshold", "5"]) == 0
    out = tmp_path / "w2v"
    assert main(["word2vec", folder, "--out", str(out), "--phrases", str(tmp_path / "ph"), "--epochs", "1",
                 "--dim", "8", "--threads", "1"]) == 0
    counts = dict(line.rstrip("\n").split("\t") for line in open(out / "vocab.tsv"))
    assert {"new_york", "san_francisco", "ice_cream"} <= set(counts)
    # a planted pair split by another planted one stays two words: rarely
    assert int(counts["new_york"]) > 10 * int(counts.get("york", 0))


def test_bad_phrases_input_is_one_line(shards, tmp_path, capsys):
    folder, _ = shards
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "phrases.tsv").write_text("level\ta\tb\tcount\tscore\n1\tnew\tyork\tmany\t3.5\n")
    cases = [(["word2vec", folder, "--out", str(tmp_path / "o"), "--phrases", str(tmp_path / "none")],
              "no phrases.tsv"),
             (["vocab", folder, "--out", str(tmp_path / "o"), "--phrases", str(broken)], "phrases.tsv:2"),
             (["phrases", folder, "--out", str(tmp_path / "o"), "--phrases", str(broken)], "--phrases"),
             (["phrases", folder, "--out", str(tmp_path / "o"), "--scoring", "npmi", "--threshold", "5"], "npmi")]
    for args, named in cases:
        capsys.readouterr()
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and named in err and "Traceback" not in err, err
