"""corpus.py: discovery of shards, every input format, tokenizing, bad shards."""
import gzip
import os

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest
from conftest import write_parquet

from streamnlp.data.corpus import plain_ascii, prefetch, read_shard, read_unit, tokenize
from streamnlp.data.shards import discover, units
from streamnlp.run.config import CorpusConfig
from streamnlp.run.errors import UserError


def rows_of(inputs, **cfg):
    c = CorpusConfig(**cfg)
    return [r for s in discover(inputs) for batch in read_shard(s, c) for r in batch.to_pylist()]


def test_folder_is_searched_recursively_in_path_order_skipping_hidden(tmp_path):
    write_parquet(str(tmp_path / "b.parquet"), ["two"])
    write_parquet(str(tmp_path / "a" / "x.parquet"), ["one"])
    write_parquet(str(tmp_path / "_eval" / "x.parquet"), ["hidden"])
    (tmp_path / "notes.md").write_text("not a shard")
    assert rows_of([str(tmp_path)]) == ["one", "two"]


def test_glob_file_uri_arrow_text_and_gzip(tmp_path):
    write_parquet(str(tmp_path / "p1.parquet"), ["a b"])
    write_parquet(str(tmp_path / "p2.parquet"), ["c"])
    feather.write_feather(pa.table({"text": ["d e"]}), str(tmp_path / "f.arrow"))
    (tmp_path / "t.txt").write_text("f g\nh\n")
    with gzip.open(tmp_path / "z.txt.gz", "wt") as f:
        f.write("i j\nk")
    assert rows_of([str(tmp_path / "p*.parquet")]) == ["a b", "c"]
    assert rows_of(["file://" + str(tmp_path / "p1.parquet")]) == ["a b"]
    assert rows_of([str(tmp_path / "f.arrow")]) == ["d e"]
    assert rows_of([str(tmp_path / "t.txt"), str(tmp_path / "z.txt.gz")]) == ["f g", "h", "i j", "k"]


def test_bzip2_and_zstd_text_read_as_their_lines_and_an_xz_file_is_refused(tmp_path):
    import bz2
    text = "a b\nc d e\n" * 50
    (tmp_path / "t.txt.bz2").write_bytes(bz2.compress(text.encode()))
    with pa.CompressedOutputStream(str(tmp_path / "t.txt.zst"), "zstd") as f:
        f.write(text.encode())
    for name in ("t.txt.bz2", "t.txt.zst"):
        assert rows_of([str(tmp_path / name)]) == ["a b", "c d e"] * 50
    assert rows_of([str(tmp_path)]) == ["a b", "c d e"] * 100  # found in a folder by their suffixes
    import lzma
    (tmp_path / "x" / "t.txt.xz").parent.mkdir()
    (tmp_path / "x" / "t.txt.xz").write_bytes(lzma.compress(text.encode()))
    with pytest.raises(UserError, match=r"t.txt.xz: a .xz file cannot be read.*gzip, bzip2 or zstd"):
        rows_of([str(tmp_path / "x" / "t.txt.xz")])  # named: refused, not read as garbage text
    import tarfile
    with tarfile.open(tmp_path / "x" / "t.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "t.txt.bz2", arcname="t.txt.bz2")
    with pytest.raises(UserError, match=r"t.tar.gz: a .tar.gz file cannot be read"):
        rows_of([str(tmp_path / "x" / "t.tar.gz")])
    assert rows_of([str(tmp_path)]) == ["a b", "c d e"] * 100  # in a folder: neither is a shard


def test_json_lines_read_their_text_field_plain_and_compressed(tmp_path):
    import json
    lines = [{"id": i, "text": f"w{i} x", "meta": {"tags": ["a", "b"], "n": 1.5}} for i in range(300)]
    lines[7]["text"] = None
    data = "".join(json.dumps(d) + "\n" for d in lines).encode()
    (tmp_path / "a.jsonl").write_bytes(data)
    with pa.CompressedOutputStream(str(tmp_path / "b.jsonl.zst"), "zstd") as f:
        f.write(data)
    with gzip.open(tmp_path / "c.json.gz", "wb") as f:
        f.write(data)
    want = [d["text"] for d in lines]
    for name in ("a.jsonl", "b.jsonl.zst", "c.json.gz"):
        assert rows_of([str(tmp_path / name)]) == want
    assert rows_of([str(tmp_path)]) == want * 3  # found in a folder by their suffixes
    (tmp_path / "d.jsonl").write_bytes(b'{"body": "x"}\n')
    (tmp_path / "e.jsonl").write_bytes(b'{"text": "x"}\n{"text": 5}\n')
    (tmp_path / "f.jsonl").write_bytes(b"plain text\n")
    for name, message in [("d", "no line has a 'text' field; pass --text-column"),
                          ("e", "JSON parse error.*changed from string to number.*must be a JSON object"),
                          ("f", "JSON parse error.*must be a JSON object")]:
        with pytest.raises(UserError, match=f"{name}.jsonl: {message}"):
            rows_of([str(tmp_path / f"{name}.jsonl")])
    assert rows_of([str(tmp_path / "d.jsonl")], text_column="body") == ["x"]


@pytest.mark.parametrize("kind", ["large_string", "string_view", "dictionary"])
def test_string_views_and_dictionary_encoded_text_read_as_strings(tmp_path, kind):
    """Polars writes Arrow files of string views, pandas' categoricals reach Parquet dictionary-encoded."""
    rows = ["a b", None, "c a b", "a b"]
    text = {"large_string": pa.array(rows, pa.large_string()), "string_view": pa.array(rows, pa.string_view()),
            "dictionary": pa.array(rows).dictionary_encode()}[kind]
    feather.write_feather(pa.table({"text": text}), str(tmp_path / "f.arrow"), compression="uncompressed")
    write_parquet(str(tmp_path / "p.parquet"), text)
    assert rows_of([str(tmp_path / "f.arrow")]) == rows
    assert rows_of([str(tmp_path / "p.parquet")]) == rows
    feather.write_feather(pa.table({"text": pa.array([1, 2])}), str(tmp_path / "n.arrow"))
    with pytest.raises(UserError, match="n.arrow: column 'text' holds int64, not text"):
        rows_of([str(tmp_path / "n.arrow")])


def test_a_units_small_batches_are_joined_up_to_batch_rows_in_order(tmp_path):
    rows = [f"r{i} x" for i in range(60)]
    for i in range(6):  # 10 rows a file
        (tmp_path / f"f{i}.txt").write_text("\n".join(rows[10 * i:10 * i + 10]) + "\n")
    write_parquet(str(tmp_path / "g.parquet"), ["p q"] * 5)
    feather.write_feather(pa.table({"text": pa.array(["v w"] * 3, pa.large_string())}), str(tmp_path / "h.arrow"))
    (unit,) = units(discover([str(tmp_path)]))
    batches = list(read_unit(unit, CorpusConfig(batch_rows=25)))
    assert [r for b in batches for r in b.to_pylist()] == rows + ["p q"] * 5 + ["v w"] * 3
    # files of 10 rows in pairs, the Parquet file's 5 rows with the last pair, the large strings apart
    assert [len(b) for b in batches] == [20, 20, 25, 3]


def test_text_file_larger_than_one_chunk_keeps_every_line(tmp_path, monkeypatch):
    import streamnlp.data.corpus as corpus
    monkeypatch.setattr(corpus, "TEXT_CHUNK", 40)
    lines = [f"line {i} with words" for i in range(50)]
    (tmp_path / "t.txt").write_text("\n".join(lines))
    assert rows_of([str(tmp_path / "t.txt")], batch_rows=3) == lines


def test_a_line_longer_than_a_chunk_is_read_as_rows_cut_at_spaces(tmp_path, monkeypatch):
    """Bounded memory for text8's shape: every word kept whole, in order; each row under two chunks."""
    import streamnlp.data.corpus as corpus
    monkeypatch.setattr(corpus, "TEXT_CHUNK", 64)
    words = [f"w{i}" for i in range(300)] + ["x" * 150] + [f"v{i}" for i in range(40)]
    (tmp_path / "t.txt").write_text("short line\n" + " ".join(words) + "\nlast")
    rows = rows_of([str(tmp_path / "t.txt")], batch_rows=3)
    assert rows[0] == "short line" and rows[-1] == "last"
    assert " ".join(rows[1:-1]).split() == words and len(rows) > 15
    assert max(len(r) for r in rows if "x" * 150 not in r) < 2 * 64  # the last cut's rest and a chunk


def test_invalid_utf8_is_replaced_with_a_warning(tmp_path, capsys):
    (tmp_path / "bad.txt").write_bytes(b"good line\nbad \xff byte\n")
    assert rows_of([str(tmp_path / "bad.txt")]) == ["good line", "bad \ufffd byte"]
    err = capsys.readouterr().err
    assert "bad.txt" in err and "byte 14" in err


def test_tokenize_whitespace_lowercase_and_pattern():
    texts = pa.array(["  The cat\tsat  ", "", None, "Dogs, dogs!"])
    flat, lengths = tokenize(texts, CorpusConfig())
    assert flat.to_pylist() == ["The", "cat", "sat", "Dogs,", "dogs!"]
    assert lengths.tolist() == [3, 0, 0, 2]
    flat, lengths = tokenize(texts, CorpusConfig(lowercase=True, token_pattern=r"[a-z]+"))
    assert flat.to_pylist() == ["the", "cat", "sat", "dogs", "dogs"]
    assert lengths.tolist() == [3, 0, 0, 2]
    flat, lengths = tokenize(pa.array(["a b", None, "c"]), CorpusConfig())  # no empty tokens: the fast path
    assert flat.to_pylist() == ["a", "b", "c"] and lengths.tolist() == [2, 0, 1]


@pytest.mark.parametrize("lowercase", [False, True])
def test_ascii_batches_tokenize_as_the_utf8_kernels_do(lowercase):
    """ASCII batches take pyarrow's ASCII kernels (plain_ascii), the others its UTF-8 ones; on these rows
    both must give Python's str.split (whose whitespace is the UTF-8 kernels': U+001C-U+001F included)."""
    def reference(texts):
        return [(s.lower() if lowercase else s).split() if s else [] for s in texts.to_pylist()]

    every_ascii = [f"A{chr(c)}b c{chr(c)}" for c in range(128)]
    batches = [pa.array(every_ascii[:28] + every_ascii[32:]), pa.array(every_ascii),
               pa.array(["x\u00a0Y z", "\u00c9t\u00c9 a"]), pa.array([" Lead  trail ", None, ""]),
               pa.array([], pa.string())]
    assert [plain_ascii(b) for b in batches] == [True, False, False, True, True]
    assert plain_ascii(pa.array(every_ascii[:28], pa.large_string()))
    assert not plain_ascii(pa.array(["short \u00e9"], pa.string_view()))  # its bytes sit in the views
    for kind in (pa.string(), pa.large_string()):  # a batch sliced from a row group: its own bytes decide
        mixed = pa.array(["\u00e9t\u00e9", "a b", None, "c", "\x1c"], kind)
        assert [plain_ascii(mixed.slice(i, n)) for i, n in [(1, 3), (0, 2), (3, 2), (2, 1), (1, 0)]] == \
            [True, False, False, True, True]
    for texts in batches:
        flat, lengths = tokenize(texts, CorpusConfig(lowercase=lowercase))
        rows = np.split(np.array(flat.to_pylist(), dtype=object), np.cumsum(lengths)[:-1]) if len(texts) else []
        assert [list(r) for r in rows] == reference(texts)


@pytest.mark.parametrize("lowercase", [False, True])
def test_rows_ending_in_whitespace_before_garbage_bytes_split_cleanly(lowercase):
    """pyarrow's utf8_split_whitespace reads the byte after a row ending in whitespace; a byte that starts
    no UTF-8 character there (0xff, or utf8_lower's uninitialized tail) kept the space in the last token."""
    text = " Caf\u00e9  trail ".encode()
    offsets = pa.py_buffer(np.array([0, len(text)], dtype=np.int32).tobytes())
    texts = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(text + b"\xff")])
    flat, lengths = tokenize(texts, CorpusConfig(lowercase=lowercase))
    assert flat.to_pylist() == (["caf\u00e9", "trail"] if lowercase else ["Caf\u00e9", "trail"])
    assert lengths.tolist() == [2]


def test_long_rows_are_not_truncated(tmp_path):
    row = " ".join(f"w{i % 100}" for i in range(50_000))
    write_parquet(str(tmp_path / "long.parquet"), [row])
    (texts,) = list(read_shard(discover([str(tmp_path)])[0], CorpusConfig()))
    flat, lengths = tokenize(texts, CorpusConfig())
    assert lengths.tolist() == [50_000]


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "no such file"),
    (lambda d: os.makedirs(d / "empty"), "holds no corpus shards"),
])
def test_missing_path_and_empty_folder(tmp_path, make, message):
    make(tmp_path)
    target = tmp_path / "empty" if "shards" in message else tmp_path / "missing"
    with pytest.raises(UserError, match=message):
        discover([str(target)])


def test_corrupt_shard_and_missing_column_name_the_file(tmp_path):
    good = write_parquet(str(tmp_path / "good.parquet"), ["a b c"] * 100)
    data = open(good, "rb").read()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="cut.parquet.*corrupt"):
        rows_of([str(tmp_path / "cut.parquet")])
    with pytest.raises(UserError, match="good.parquet.*--text-column"):
        rows_of([good], text_column="body")


def test_prefetch_keeps_order_and_reraises():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def boom():
        yield 1
        raise RuntimeError("reader failed")

    it = prefetch(boom())
    assert next(it) == 1
    with pytest.raises(RuntimeError, match="reader failed"):
        next(it)
