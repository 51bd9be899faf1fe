"""encode.py: the block cache holds exactly the corpus ids, in whole sentences, and is reused when valid."""
import gc
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import random_rows, write_parquet

import streamnlp.data.shards as shards_module
from streamnlp.data.encode import encode_corpus
from streamnlp.data.prepare import prepare_corpus
from streamnlp.data.shards import discover
from streamnlp.data.vocab import build_vocab
from streamnlp.run.config import VocabConfig
from streamnlp.run.errors import UserError


def direct(rows, vocab, unk=None, eos=None, most=10_000):
    sents = []
    for r in rows:
        ids = [vocab.index.get(w, unk) for w in r.split()]
        ids = [i for i in ids if i is not None]
        if eos is not None:
            ids.append(eos)
        sents += [ids[k:k + most] for k in range(0, len(ids), most)]
    return sents


def cached(corpus):
    sents = []
    for _, ids, offsets in corpus.iter_blocks():
        assert offsets[0] == 0 and offsets[-1] == len(ids)
        sents += [ids[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])]
    return sents


def test_blocks_hold_the_corpus_in_order(tmp_path):
    rows_a, rows_b = random_rows(500, seed=4), random_rows(300, seed=5)
    write_parquet(str(tmp_path / "c" / "a.parquet"), rows_a)
    write_parquet(str(tmp_path / "c" / "b.parquet"), rows_b)
    cfg = VocabConfig(min_count=5, block_tokens=1024, batch_rows=50)
    shards = discover([str(tmp_path / "c")])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"), threads=2)
    assert cached(corpus) == direct(rows_a + rows_b, vocab)
    assert len(corpus.blocks) > 4
    assert all(b.n_tokens <= 1024 + 30 for b in corpus.blocks)
    unk = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache2"), unk=len(vocab), eos=len(vocab) + 1)
    assert cached(unk) == direct(rows_a + rows_b, vocab, unk=len(vocab), eos=len(vocab) + 1)


def test_rows_longer_than_max_sentence_length_are_cut_into_sentences(tmp_path):
    """A row of more than max_sentence_length vocabulary words is that many words a sentence, the rest
    last (counted after unknown words are dropped, </s> included); the ids are the corpus's, unchanged."""
    rows = random_rows(200, seed=11, max_len=40) + [" ".join(random_rows(300, seed=12))]  # one row of ~4,500
    write_parquet(str(tmp_path / "c" / "a.parquet"), rows)
    cfg = VocabConfig(min_count=5, block_tokens=1024, batch_rows=64, max_sentence_length=7)
    shards = discover([str(tmp_path / "c")])
    vocab = build_vocab(shards, cfg)
    corpus = encode_corpus(shards, vocab, cfg, str(tmp_path / "cache"))
    assert cached(corpus) == direct(rows, vocab, most=7)
    assert max(len(s) for s in cached(corpus)) == 7 and len(corpus.blocks) > 4
    lm = encode_corpus(shards, vocab, cfg, str(tmp_path / "lm"), unk=len(vocab), eos=len(vocab) + 1)
    assert cached(lm) == direct(rows, vocab, unk=len(vocab), eos=len(vocab) + 1, most=7)
    whole = encode_corpus(shards, vocab, VocabConfig(min_count=5, block_tokens=1024), str(tmp_path / "cache"))
    assert cached(whole) == direct(rows, vocab) and max(len(s) for s in cached(whole)) > 4000


@pytest.mark.parametrize("pattern", [None, r"[a-z]+"])
def test_encoding_from_the_counting_pass_codes_writes_the_same_cache(tmp_path, pattern):
    """The counting pass's dictionary-encoded batches (codes.py) encode to the same files, byte for byte,
    as tokenizing the shards again: unknown words dropped or <unk>, </s> added, rows left empty
    dropped, an empty shard, and a token pattern that leaves some rows empty ("w12" has no letters
    after its first one)."""
    write_parquet(str(tmp_path / "c" / "a.parquet"), random_rows(700, seed=8))
    write_parquet(str(tmp_path / "c" / "b.parquet"), ["", None, "w1"] * 20 + random_rows(300, seed=9))
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), str(tmp_path / "c" / "c.parquet"))
    cfg = VocabConfig(min_count=4, block_tokens=700, batch_rows=64, token_pattern=pattern)
    shards = discover([str(tmp_path / "c")])
    codes = str(tmp_path / "codes")
    vocab = build_vocab(shards, cfg, codes)
    assert vocab.words == build_vocab(shards, cfg).words
    for unk, eos in [(None, None), (len(vocab), len(vocab) + 1)]:
        plain = encode_corpus(shards, vocab, cfg, str(tmp_path / f"plain-{unk}"), unk, eos)
        coded = encode_corpus(shards, vocab, cfg, str(tmp_path / f"coded-{unk}"), unk, eos, codes=codes)
        assert coded.blocks == plain.blocks and len(plain.blocks) > 3
        for name in sorted(os.listdir(plain.folder)):
            assert open(os.path.join(coded.folder, name), "rb").read() == \
                open(os.path.join(plain.folder, name), "rb").read(), name


def test_cache_is_reused_only_for_the_same_inputs(tmp_path, small_corpus):
    cfg = VocabConfig(min_count=1)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    folder = str(tmp_path / "cache")
    first = encode_corpus(shards, vocab, cfg, folder)
    stamp = os.path.getmtime(os.path.join(first.folder, "part-00000.ids"))
    again = encode_corpus(shards, vocab, cfg, folder)
    assert again.folder == first.folder and again.n_tokens == first.n_tokens
    lower = encode_corpus(shards, vocab, VocabConfig(min_count=1, lowercase=True, block_tokens=2048), folder)
    assert np.array_equal(np.concatenate([i for _, i, _ in lower.iter_blocks()]),
                          np.concatenate([i for _, i, _ in first.iter_blocks()]))
    assert lower.blocks != first.blocks and lower.folder != first.folder
    # another encoding leaves the blocks a run still holds as they were: it reads on
    assert os.path.getmtime(os.path.join(first.folder, "part-00000.ids")) == stamp
    old = first.folder
    del first, again
    gc.collect()  # their holds released: the next new encoding deletes the folder no run holds
    encode_corpus(shards, vocab, VocabConfig(min_count=1, block_tokens=999), folder)
    assert not os.path.exists(old) and os.path.exists(lower.folder)


def test_an_encoding_appears_whole_and_killed_runs_leftovers_go(tmp_path, small_corpus):
    cfg = VocabConfig(min_count=1)
    shards = discover([small_corpus])
    vocab = build_vocab(shards, cfg)
    cache = tmp_path / "cache"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (cache / f"blocks-0123.tmp-{dead.pid}").mkdir(parents=True)  # a run killed while encoding
    (cache / "manifest.json").write_text("{}")  # the cache of format 1
    (cache / "part-00000.ids").write_bytes(b"x" * 8)
    corpus = encode_corpus(shards, vocab, cfg, str(cache))
    assert sorted(os.listdir(cache)) == [os.path.basename(corpus.folder)]
    assert "manifest.json" in os.listdir(corpus.folder)


def test_read_span_crosses_blocks_and_shards_and_refuses_a_truncated_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(shards_module, "UNIT_BYTES", 1)  # each file a part of its own
    write_parquet(str(tmp_path / "c" / "a.parquet"), random_rows(300, seed=6))
    write_parquet(str(tmp_path / "c" / "b.parquet"), random_rows(300, seed=7))
    cfg = VocabConfig(min_count=1, block_tokens=500)
    shards = discover([str(tmp_path / "c")])
    corpus = encode_corpus(shards, build_vocab(shards, cfg), cfg, str(tmp_path / "cache"))
    flat = np.concatenate([corpus.read_block(i)[0] for i in range(len(corpus.blocks))])
    assert len({b.part for b in corpus.blocks}) == 2 and len(corpus.blocks) > 4
    for start, count in [(0, len(flat)), (490, 30), (int(corpus.starts[3]) - 1, 700), (len(flat) - 5, 5)]:
        assert np.array_equal(corpus.read_span(start, count), flat[start:start + count])
    cache = corpus.folder
    ids_file = os.path.join(cache, sorted(f for f in os.listdir(cache) if "ids" in f)[-1])
    os.truncate(ids_file, os.path.getsize(ids_file) - 40)
    fresh = type(corpus).open(cache)
    with pytest.raises(UserError, match="truncated"):
        fresh.read_span(len(flat) - 20, 20)


def test_codes_left_by_a_killed_run_are_removed_by_the_next_and_none_stay(tmp_path, small_corpus):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / "cache" / f"codes-{dead}"
    stale.mkdir(parents=True)
    (stale / "part-00000.arrows").write_bytes(b"x" * 1000)
    vocab, corpus, _ = prepare_corpus([small_corpus], str(tmp_path), VocabConfig(min_count=1))
    assert corpus.n_tokens > 0 and not [p for p in os.listdir(tmp_path / "cache") if p.startswith("codes-")]


def test_a_file_read_as_pieces_encodes_to_the_same_tokens(tmp_path, monkeypatch):
    """Pieces count and encode in parallel: the vocabulary and the token sequence are the whole file's;
    only the blocks (never across pieces) differ."""
    import streamnlp.data.shards as shards
    (tmp_path / "t.txt").write_text("\n".join(random_rows(3000, seed=13)) + "\n")
    cfg = VocabConfig(min_count=3, block_tokens=1024, threads=2)
    whole_vocab, whole, _ = prepare_corpus([str(tmp_path / "t.txt")], str(tmp_path / "a"), cfg)
    monkeypatch.setattr(shards, "PIECE_BYTES", 5000)
    monkeypatch.setattr(shards, "UNIT_BYTES", 5000)  # as pieces (of a file over PIECE_BYTES) are
    vocab, corpus, _ = prepare_corpus([str(tmp_path / "t.txt")], str(tmp_path / "b"), cfg)
    assert vocab.words == whole_vocab.words and vocab.counts.tolist() == whole_vocab.counts.tolist()
    assert len({b.part for b in corpus.blocks}) > 5 and len({b.part for b in whole.blocks}) == 1
    assert cached(corpus) == cached(whole)


def test_many_small_files_encode_as_one_part_with_the_tokens_of_one_file(tmp_path):
    """A unit of small files is one part, so its blocks hold many files' sentences (one each made every
    file a block, trained on one thread)."""
    rows = random_rows(2000, seed=21)
    for i in range(40):
        (tmp_path / "many" / f"d{i:03d}.txt").parent.mkdir(exist_ok=True)
        (tmp_path / "many" / f"d{i:03d}.txt").write_text("\n".join(rows[50 * i:50 * i + 50]) + "\n")
    (tmp_path / "one.txt").write_text("\n".join(rows) + "\n")
    cfg = VocabConfig(min_count=2, block_tokens=4096, threads=2)
    _, many, _ = prepare_corpus([str(tmp_path / "many")], str(tmp_path / "a"), cfg)
    _, one, _ = prepare_corpus([str(tmp_path / "one.txt")], str(tmp_path / "b"), cfg)
    assert len({b.part for b in many.blocks}) == 1 and many.blocks == one.blocks
    assert cached(many) == cached(one)


def test_json_lines_encode_as_the_same_text_does(tmp_path):
    import json
    rows = random_rows(1500, seed=23)
    (tmp_path / "t.txt").write_text("\n".join(rows) + "\n")
    (tmp_path / "t.jsonl").write_text("".join(json.dumps({"id": i, "text": r}) + "\n" for i, r in enumerate(rows)))
    cfg = VocabConfig(min_count=2, block_tokens=2048)
    v1, text, _ = prepare_corpus([str(tmp_path / "t.txt")], str(tmp_path / "a"), cfg)
    v2, lines, _ = prepare_corpus([str(tmp_path / "t.jsonl")], str(tmp_path / "b"), cfg)
    assert v1.words == v2.words and v1.counts.tolist() == v2.counts.tolist()
    assert cached(text) == cached(lines)
