"""shards.py: a large file read as pieces gives the file's rows, in order, whatever the cut points."""
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from conftest import random_rows

import streamnlp.data.corpus as corpus
from streamnlp.data.corpus import read_shard
from streamnlp.data.shards import UNIT_BYTES, Shard, discover, units
from streamnlp.run.config import CorpusConfig


def rows_of(path, piece_bytes):
    shards = discover([str(path)], piece_bytes=piece_bytes)
    return [r for s in shards for b in read_shard(s, CorpusConfig(batch_rows=7)) for r in b.to_pylist()], shards


@pytest.mark.parametrize("newline, last", [("\n", "\n"), ("\r\n", "\r\n"), ("\n", "")])  # "": no final newline
def test_text_pieces_read_as_the_whole_file(tmp_path, newline, last):
    lines = random_rows(400, seed=1) + ["", "", "one"] + random_rows(100, seed=2)
    text = newline.join(lines) + last
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode())
    whole, one = rows_of(path, 1 << 30)
    assert len(one) == 1 and len(whole) == len(lines)
    for piece_bytes in [len(text) // 2, 997, 128, 67, 1]:  # 1: a piece per line at most
        got, shards = rows_of(path, piece_bytes)
        assert got == whole, piece_bytes
        assert len(shards) == -(-len(text.encode()) // piece_bytes)


def test_a_piece_boundary_inside_a_line_longer_than_a_chunk_cuts_it_at_a_space(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "TEXT_CHUNK", 64)
    words = [f"w{i}" for i in range(2000)]
    path = tmp_path / "t.txt"
    path.write_text("first line\n" + " ".join(words) + "\nlast line\n")
    whole, _ = rows_of(path, 1 << 30)
    got, shards = rows_of(path, 1000)
    assert len(shards) > 8 and got[0] == "first line" and got[-1] == "last line"
    assert " ".join(got).split() == " ".join(whole).split() == ["first", "line", *words, "last", "line"]


def test_json_lines_pieces_read_as_the_whole_file_and_never_cut_a_line(tmp_path, monkeypatch):
    import json
    monkeypatch.setattr(corpus, "TEXT_CHUNK", 64)  # the long line below spans many chunks
    rows = random_rows(300, seed=3) + [" ".join(f"w{i}" for i in range(500))] + random_rows(100, seed=4)
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"n": i, "text": r}) + "\n" for i, r in enumerate(rows)))
    whole, one = rows_of(path, 1 << 30)
    assert len(one) == 1 and whole == rows
    for piece_bytes in [5000, 997, 100]:
        got, shards = rows_of(path, piece_bytes)
        assert got == rows and len(shards) > 1, piece_bytes


def test_parquet_pieces_are_runs_of_row_groups(tmp_path):
    rows = random_rows(3000, seed=5)
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"text": rows}), str(path), row_group_size=200)
    got, shards = rows_of(path, 20_000)
    assert got == rows and 2 < len(shards) < 15
    assert [(s.start, s.stop) for s in shards][0][0] == 0 and shards[-1].stop == 15
    assert all(a.stop == b.start for a, b in zip(shards, shards[1:]))
    single = tmp_path / "one.parquet"
    pq.write_table(pa.table({"text": rows}), str(single))
    got, shards = rows_of(single, 20_000)
    assert got == rows and len(shards) == 1 and shards[0].stop is None


def test_compressed_and_arrow_files_stay_whole(tmp_path):
    for name, codec in (("z.txt.gz", "gzip"), ("z.txt.bz2", "bz2"), ("z.txt.zst", "zstd")):
        with pa.CompressedOutputStream(str(tmp_path / name), codec) as f:
            f.write("\n".join(random_rows(500, seed=6)).encode())
        assert len(discover([str(tmp_path / name)], piece_bytes=100)) == 1
    feather.write_feather(pa.table({"text": random_rows(500, seed=7)}), str(tmp_path / "f.arrow"))
    assert len(discover([str(tmp_path / "f.arrow")], piece_bytes=100)) == 1


def test_a_file_of_pieces_without_tokens_is_named_in_the_error(tmp_path):
    from streamnlp.data.vocab import build_vocab
    from streamnlp.run.config import VocabConfig
    from streamnlp.run.errors import UserError
    (tmp_path / "blank.txt").write_text(" \n" * 200)
    shards = discover([str(tmp_path / "blank.txt")], piece_bytes=50)
    assert len(shards) == 8
    with pytest.raises(UserError, match=r"blank\.txt: the corpus holds no tokens"):
        build_vocab(shards, VocabConfig())


def test_small_shards_are_read_together_in_units_of_about_a_megabyte():
    sizes = [300_000, 300_000, 500_000, 2 * UNIT_BYTES, 100_000, 100_000, UNIT_BYTES, 10]
    shards = [Shard(f"s{i}", "text", None, n, 0.0) for i, n in enumerate(sizes)]
    got = units(shards)
    assert [[s.path for s in u] for u in got] == [["s0", "s1", "s2"], ["s3"], ["s4", "s5"], ["s6"], ["s7"]]
    assert units([]) == []
