"""labelled.py: every format of tagged and labelled data, and bad input as one short UserError line."""
import gzip
import json

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from streamnlp.run.errors import UserError
from streamnlp.tasks.labelled import Tagged, read_labelled, read_raw, read_tagged, read_texts

CONLL = """-DOCSTART- -X- O

He PRP B-NP
reckons VBZ B-VP
. . O

The DT B-NP
pound NN I-NP
-DOCSTART- -X- O
It PRP B-NP
"""


def user_error(fn, *parts):
    """The UserError fn raises: one line under 200 characters holding every one of parts."""
    with pytest.raises(UserError) as e:
        fn()
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 200, msg
    for part in parts:
        assert part in msg, msg
    return msg


def write(path, text):
    path.write_text(text)
    return str(path)


def test_conll_columns_docstart_and_negative_indexes(tmp_path):
    path = write(tmp_path / "train.txt", CONLL)
    t = read_tagged(path)  # word 0, tag -1: the chunk column
    # -DOCSTART- lines are skipped and end a sentence ("pound" and "It" are in different sentences)
    assert t.words == [["He", "reckons", "."], ["The", "pound"], ["It"]]
    assert t.tags == [["B-NP", "B-VP", "O"], ["B-NP", "I-NP"], ["B-NP"]]
    assert len(t) == 3 and t.n_tokens == 6 and t.features == []
    pos = read_tagged(path, word_column=-3, tag_column=1, feature_columns=[-1])
    assert pos.words == t.words
    assert pos.tags == [["PRP", "VBZ", "."], ["DT", "NN"], ["PRP"]]
    assert pos.features == [t.tags]
    with pytest.raises(UserError, match="--feature-column and --tag-column name the same column"):
        read_tagged(path, tag_column=1, feature_columns=[-2])  # the tags as a feature would score on the answer
    with pytest.raises(UserError, match="--tag-column and --word-column"):
        read_tagged(path, tag_column=-3)


def test_conll_untagged_and_gzip(tmp_path):
    path = tmp_path / "test.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write(CONLL.replace("\n", "\r\n"))
    t = read_tagged(str(path), tag_column=None)
    assert t.words[0] == ["He", "reckons", "."]
    assert t.tags == [[], [], []]


def test_conll_spaces_inside_tokens_and_latin1(tmp_path, capsys):
    # columns are split at spaces and tabs only: a token may hold U+00A0; a Latin-1 file is read as Latin-1
    path = tmp_path / "es.txt"
    path.write_bytes("España\tNP B-LOC\n1\u00a0000 Z O\n".encode("latin-1"))
    t = read_tagged(str(path))
    assert t.words == [["España", "1\u00a0000"]] and t.tags == [["B-LOC", "O"]]
    assert "Latin-1" in capsys.readouterr().err
    # lines end at newlines only, not at U+2028 or U+0085
    fasttext = tmp_path / "ft.txt"
    fasttext.write_text("__label__a one\u2028two\x85three\n", encoding="utf-8")
    assert read_labelled(str(fasttext)) == ([["one", "two", "three"]], ["a"])


def test_conllu_skips_comments_multiword_tokens_and_empty_nodes(tmp_path):
    rows = ["# sent_id = 1", "1-2\tdel\t_\t_", "1\tde\tde\tADP", "2\tel\tel\tDET", "2.1\tx\tx\tX", "3\t#\t#\tSYM", ""]
    t = read_tagged(write(tmp_path / "es.conllu", "\n".join(rows) + "\n"), word_column=1, tag_column=3)
    assert t.words == [["de", "el", "#"]] and t.tags == [["ADP", "DET", "SYM"]]


def test_parquet_list_columns_by_name_and_by_index(tmp_path):
    path = str(tmp_path / "train.parquet")
    pq.write_table(pa.table({"id": ["0", "1"], "tokens": [["a", "b"], ["c"]], "pos_tags": [["X", "Y"], ["Z"]],
                             "chunk_tags": [["B-NP", "I-NP"], ["O"]]}), path)
    t = read_tagged(path)  # the first and the last list column; "id" is no list column
    assert t.words == [["a", "b"], ["c"]] and t.tags == [["B-NP", "I-NP"], ["O"]]
    by_name = read_tagged(path, word_column="tokens", tag_column="pos_tags", feature_columns=["chunk_tags"])
    assert by_name.tags == [["X", "Y"], ["Z"]]
    assert by_name.features == [t.tags]
    with pytest.raises(UserError, match="same column"):
        read_tagged(path, word_column="tokens", tag_column="pos_tags", feature_columns=[1])


def test_hugging_face_class_labels_read_as_names(tmp_path):
    path = str(tmp_path / "hf.parquet")
    features = {"tokens": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"},
                "ner_tags": {"feature": {"names": ["O", "B-PER", "I-PER"], "_type": "ClassLabel"},
                             "_type": "Sequence"}}
    table = pa.table({"tokens": [["Ann", "Lee", "ran"]], "ner_tags": [[1, 2, 0]]})
    table = table.replace_schema_metadata({"huggingface": json.dumps({"info": {"features": features}})})
    pq.write_table(table, path)
    assert read_tagged(path).tags == [["B-PER", "I-PER", "O"]]


def test_jsonl_tagged_rows(tmp_path):
    rows = [{"tokens": ["a", "b"], "tags": ["N", "V"]}, {"tokens": [], "tags": []}, {"tokens": ["c"], "tags": ["N"]}]
    path = write(tmp_path / "train.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    t = read_tagged(path)
    assert t.words == [["a", "b"], ["c"]] and t.tags == [["N", "V"], ["N"]]  # the empty row is skipped


def test_labelled_rows_parquet_arrow_and_jsonl(tmp_path):
    pq.write_table(pa.table({"text": ["a good film", "bad"], "label": ["pos", "neg"]}), tmp_path / "t.parquet")
    assert read_labelled(str(tmp_path / "t.parquet")) == ([["a", "good", "film"], ["bad"]], ["pos", "neg"])
    table = pa.table({"sentence": [["x", "y"], ["z"]], "gold": [1, 0]})
    feather.write_feather(table, tmp_path / "t.feather")
    with pa.OSFile(str(tmp_path / "t.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)  # an IPC stream, not a file
    for name in ("t.feather", "t.arrow"):
        got = read_labelled(str(tmp_path / name), text_column="sentence", label_column="gold")
        assert got == ([["x", "y"], ["z"]], ["1", "0"])
    path = write(tmp_path / "t.jsonl", '{"text": "so so", "label": true}\n\n{"text": "yes", "label": false}\n')
    assert read_labelled(path) == ([["so", "so"], ["yes"]], ["True", "False"])
    assert read_texts(path) == [["so", "so"], ["yes"]]


def test_fasttext_lines_and_texts(tmp_path):
    path = write(tmp_path / "train.txt", "__label__pos __label__extra a fine film\n\n__label__neg  dull\n")
    assert read_labelled(path) == ([["a", "fine", "film"], ["dull"]], ["pos", "neg"])
    assert read_texts(path) == [["a", "fine", "film"], ["dull"]]
    plain = write(tmp_path / "new.txt", "one text here\n\nanother\n")
    assert read_texts(plain) == [["one", "text", "here"], ["another"]]


def test_read_raw(tmp_path):
    path = write(tmp_path / "raw.txt", "The pound fell .\n\n  It rose \n")
    assert read_raw(path) == [["The", "pound", "fell", "."], ["It", "rose"]]


def test_tagged_is_a_dataclass():
    t = Tagged([["a"]], [["N"]])
    assert len(t) == 1 and t.n_tokens == 1 and t.features == []


def test_wrong_column_count(tmp_path):
    path = write(tmp_path / "bad.txt", "a X B-NP\nb Y I-NP\nc O\n")
    user_error(lambda: read_tagged(path), f"{path}:3:", "2 columns", "has 3")


def test_column_out_of_range_or_named(tmp_path):
    path = write(tmp_path / "t.txt", CONLL)
    user_error(lambda: read_tagged(path, tag_column=5), "--tag-column 5", path, "0..2, or -3..-1")
    user_error(lambda: read_tagged(path, word_column=-4), "--word-column -4", path)
    user_error(lambda: read_tagged(path, feature_columns=[3]), "--feature-column 3", path)
    user_error(lambda: read_tagged(path, tag_column="pos"), "--tag-column pos", path)


def test_row_file_column_errors(tmp_path):
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.table({"tokens": [["a", "b"], ["c"]], "tags": [["N", "V"], ["N", "V"]]}), path)
    user_error(lambda: read_tagged(path, tag_column="ner"), "--tag-column ner", path, "tokens, tags")
    user_error(lambda: read_tagged(path, tag_column=2), "--tag-column 2", path, "2 list columns")
    # row 2 has 1 token and 2 tags
    user_error(lambda: read_tagged(path), f"{path}: row 2", "2 values", "1 tokens")


def test_missing_label_or_text_column(tmp_path):
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.table({"text": ["a b"], "y": ["pos"]}), path)
    user_error(lambda: read_labelled(path), path, "'label'", "--label-column", "text, y")
    user_error(lambda: read_labelled(path, text_column="review", label_column="y"), path, "--text-column")
    user_error(lambda: read_texts(path, text_column="review"), path, "--text-column")


def test_null_label(tmp_path):
    path = write(tmp_path / "t.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": null}\n')
    user_error(lambda: read_labelled(path), f"{path}: row 2", "null")


def test_fasttext_line_without_label(tmp_path):
    path = write(tmp_path / "t.txt", "__label__a yes\nno label here\n")
    user_error(lambda: read_labelled(path), f"{path}:2:", "__label__")


def test_empty_sets(tmp_path):
    empty = write(tmp_path / "empty.txt", "\n-DOCSTART- -X- O\n\n")
    user_error(lambda: read_tagged(empty), f"{empty}: no tagged sentences")
    blank = write(tmp_path / "blank.txt", "\n  \n")
    user_error(lambda: read_labelled(blank), f"{blank}: no labelled texts")
    rows = str(tmp_path / "empty.parquet")
    pq.write_table(pa.table({"tokens": pa.array([], pa.list_(pa.string())), "tags": pa.array([], pa.list_(pa.string())),
                             "text": pa.array([], pa.string()), "label": pa.array([], pa.string())}), rows)
    user_error(lambda: read_tagged(rows), f"{rows}: no tagged sentences")
    user_error(lambda: read_labelled(rows), f"{rows}: no labelled texts")


def test_unreadable_files(tmp_path):
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1" + b"\x00garbage" * 50)
    msg = user_error(lambda: read_tagged(str(corrupt)), str(corrupt), "cannot read")
    assert msg.count(str(corrupt)) == 1
    user_error(lambda: read_labelled(str(corrupt)), str(corrupt), "cannot read")
    arrow = tmp_path / "corrupt.arrow"
    arrow.write_bytes(b"not arrow at all")
    user_error(lambda: read_labelled(str(arrow)), str(arrow), "cannot read")
    missing = str(tmp_path / "missing.txt")
    user_error(lambda: read_tagged(missing), missing, "cannot read")
    bad_json = write(tmp_path / "bad.jsonl", '{"text": "a", "label": "x"}\n{"text": \n')
    user_error(lambda: read_labelled(bad_json), f"{bad_json}:2:", "JSON")
