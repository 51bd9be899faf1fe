"""cluster/word2vec.split: the replicas' shares of the corpus are about equal and together read as the corpus."""
import json

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from conftest import random_rows

from streamnlp.cluster.word2vec import split
from streamnlp.data.corpus import read_shard
from streamnlp.data.shards import discover
from streamnlp.run.config import CorpusConfig
from streamnlp.run.errors import UserError


def rows(shards):
    return [r for s in shards for b in read_shard(s, CorpusConfig(batch_rows=50)) for r in b.to_pylist()]


def test_one_row_group_parquet_files_are_cut_by_rows_into_even_shares(tmp_path):
    # nine one-row-group files, one small (realtext's layout): whole files alone cannot share them evenly
    for i, n in enumerate([2600, 1300, 1700, 2400, 5000, 4800, 2700, 1200, 500]):
        pq.write_table(pa.table({"text": random_rows(n, seed=i)}), str(tmp_path / f"part-{i:05d}.parquet"))
    shards = discover([str(tmp_path)])
    whole = rows(shards)
    for n in (2, 3, 4, 8):
        shares = split(shards, n)
        assert rows([s for share in shares for s in share]) == whole, n  # every row once, in order
        chars = [sum(map(len, rows(share))) for share in shares]
        assert max(chars) < 1.1 * sum(chars) / n, (n, chars)
        assert any(s.rows is not None for share in shares for s in share)


def test_every_format_reads_as_the_corpus_whatever_the_shares(tmp_path):
    texts = [random_rows(900, seed=10 + i) for i in range(5)]
    pq.write_table(pa.table({"text": texts[0]}), str(tmp_path / "a.parquet"), row_group_size=200)
    (tmp_path / "b.txt").write_text("\n".join(texts[1]) + "\n")
    (tmp_path / "c.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts[2]))
    with pa.CompressedOutputStream(str(tmp_path / "d.txt.gz"), "gzip") as f:  # read whole
        f.write(("\n".join(texts[3]) + "\n").encode())
    feather.write_feather(pa.table({"text": texts[4]}), str(tmp_path / "e.arrow"))  # read whole
    shards = discover([str(tmp_path)])
    whole = rows(shards)
    assert whole == [t for part in texts for t in part]
    for n in range(1, 8):
        shares = split(shards, n)
        assert len(shares) == n and all(shares)
        assert rows([s for share in shares for s in share]) == whole, n


def test_more_replicas_than_shards_that_can_be_cut_is_one_line(tmp_path):
    for name in ("a.txt.gz", "b.txt.gz"):
        with pa.CompressedOutputStream(str(tmp_path / name), "gzip") as f:
            f.write(("\n".join(random_rows(300, seed=1)) + "\n").encode())
    shards = discover([str(tmp_path)])
    assert [len(share) for share in split(shards, 2)] == [1, 1]
    with pytest.raises(UserError, match="--replicas 3: .* use fewer replicas"):
        split(shards, 3)
