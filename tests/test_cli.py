"""cli.py: every bad input ends with exit status 2 and one error line naming the file or flag; no traceback."""
import errno
import json

import pytest
from conftest import SAMPLE, run_cli, write_parquet

import streamnlp.run.atomic
from streamnlp.cli import build_parser, main


def assert_user_error(res, *needles):
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("stream-train") and "error:" in last
    for n in needles:
        assert n in last, last
    lines = [ln for ln in res.stderr.strip().splitlines() if not ln.startswith(("usage:", " "))]
    assert len(lines) == 1, res.stderr


def test_missing_path(tmp_path):
    assert_user_error(run_cli("word2vec", tmp_path / "nope", "--out", tmp_path / "o"), "nope", "no such file")


def test_folder_without_shards(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_user_error(run_cli("word2vec", tmp_path / "empty", "--out", tmp_path / "o"), "empty", "no corpus shards")


def test_an_xz_file_is_refused_by_name(tmp_path):
    import lzma
    (tmp_path / "c.txt.xz").write_bytes(lzma.compress(b"a b c\n" * 100))
    res = run_cli("word2vec", tmp_path / "c.txt.xz", "--out", tmp_path / "o")
    assert_user_error(res, "c.txt.xz", "gzip, bzip2 or zstd")


@pytest.mark.parametrize("lines, needle", [('{"body": "a b c"}\n', "no line has a 'text' field"),
                                           ('{"text": 5}\n', "JSON parse error"), ("a b c\n", "JSON parse error")])
def test_json_lines_without_a_text_field_or_not_json(tmp_path, lines, needle):
    (tmp_path / "c.jsonl").write_text(lines * 20)
    res = run_cli("word2vec", tmp_path / "c.jsonl", "--out", tmp_path / "o")
    assert_user_error(res, "c.jsonl", needle, "--text-column")


def test_resume_on_inputs_that_changed(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("a b c d e f\n" * 500)
    args = ["word2vec", tmp_path / "c", "--out", tmp_path / "o", "--min-count", "1", "--epochs", "1", "--dim", "8",
            "--keep-checkpoints"]
    assert run_cli(*args).returncode == 0
    (tmp_path / "c" / "b.txt").write_text("a b c\n" * 100)  # words the vocabulary has: other blocks
    assert_user_error(run_cli(*args, "--resume"), "--resume", "blocks", "same inputs")


def test_corrupt_shard(tmp_path):
    good = write_parquet(str(tmp_path / "g.parquet"), ["a b c d"] * 200)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "cut.parquet").write_bytes(open(good, "rb").read()[:300])
    res = run_cli("word2vec", tmp_path / "c", "--out", tmp_path / "o")
    assert_user_error(res, "cut.parquet", "corrupt", "Parquet magic bytes not found", "re-create or remove it")
    assert len(res.stderr.strip()) - len(str(tmp_path)) < 140, res.stderr  # the cause in a few words


def test_missing_text_column(tmp_path):
    write_parquet(str(tmp_path / "c" / "a.parquet"), ["a b"], column="body")
    assert_user_error(run_cli("word2vec", tmp_path / "c", "--out", tmp_path / "o"), "a.parquet", "--text-column")


def test_empty_corpus_and_empty_vocabulary(tmp_path):
    write_parquet(str(tmp_path / "e" / "a.parquet"), ["", "  "])
    write_parquet(str(tmp_path / "e" / "b.parquet"), [""])
    for command in ("word2vec", "phrases", "vocab"):  # the corpus's folder named, as one line
        assert_user_error(run_cli(command, tmp_path / "e", "--out", tmp_path / command), f"{tmp_path / 'e'}: the "
                          "corpus holds no tokens")
    assert_user_error(run_cli("word2vec", SAMPLE, "--out", tmp_path / "o", "--min-count", "10000000"), "--min-count")


def test_non_utf8_text_is_replaced_with_a_warning_not_an_error(tmp_path):
    (tmp_path / "t.txt").write_bytes(b"\n".join([b"alpha beta gamma delta \xff"] * 50))
    res = run_cli("word2vec", tmp_path / "t.txt", "--out", tmp_path / "o", "--min-count", "1", "--epochs", "1")
    assert res.returncode == 0, res.stderr
    assert "t.txt" in res.stderr and "UTF-8" in res.stderr


def test_out_or_cache_dir_is_an_existing_file(tmp_path):
    (tmp_path / "f").write_text("keep me")
    assert_user_error(run_cli("word2vec", SAMPLE, "--out", tmp_path / "f"), "--out", "is a file")
    assert_user_error(run_cli("word2vec", SAMPLE, "--out", tmp_path / "o", "--cache-dir", tmp_path / "f"),
                      "--cache-dir", "is a file")
    assert (tmp_path / "f").read_text() == "keep me"


@pytest.mark.parametrize("flag, value, needle", [
    ("--dim", "abc", "--dim"), ("--dim", "0", "--dim"), ("--window", "-3", "--window"),
    ("--sample", "2", "--sample"), ("--alpha", "nan", "--alpha"), ("--model", "skipgram", "--model"),
    ("--threads", "0", "--threads"), ("--hot-rows", "-1", "--hot-rows"), ("--hot-rows", "many", "--hot-rows"),
    ("--max-sentence-length", "0", "--max-sentence-length"), ("--regions", "0", "--regions"),
    ("--ns-exponent", "11", "--ns-exponent"), ("--ns-exponent", "nan", "--ns-exponent"),
])
def test_nonsense_flags(tmp_path, flag, value, needle):
    assert_user_error(run_cli("word2vec", SAMPLE, "--out", tmp_path / "o", flag, value), needle)


def test_eval_and_similar_errors(tmp_path):
    assert_user_error(run_cli("eval", "analogy", tmp_path / "none.bin", tmp_path / "q.txt"), "none.bin")
    (tmp_path / "bad.bin").write_text("not a header\n")
    assert_user_error(run_cli("similar", tmp_path / "bad.bin", "x"), "bad.bin", "word2vec")


@pytest.mark.parametrize("args, needle", [
    (["glove", SAMPLE, "--memory", "1"], "--memory"),
    (["glove", SAMPLE, "--window", "0"], "--window"),
    (["lm", SAMPLE, "--batch", "10000000", "--vocab-size", "50"], "--batch"),
    (["lm", SAMPLE, "--valid", "/nonexistent/valid"], "/nonexistent/valid"),
    (["lm", SAMPLE, "--valid", f"{SAMPLE}/_eval/questions-words.txt", "--batch", "100000", "--vocab-size", "50"],
     "--batch"),
])
def test_glove_and_lm_bad_input(tmp_path, args, needle):
    assert_user_error(run_cli(*args, "--out", tmp_path / "o"), needle)


def test_generate_bad_flags(tmp_path):
    assert_user_error(run_cli("generate", tmp_path / "none"), "model.npz")
    assert_user_error(run_cli("generate", tmp_path / "none", "--tokens", "0"), "--tokens")
    assert_user_error(run_cli("generate", tmp_path / "none", "--temperature", "0"), "--temperature")


def test_a_full_disk_is_one_line_and_keeps_the_outputs_there(tmp_path, monkeypatch, capsys):
    """A write the file system refuses (here: no space left) ends with exit status 1 and one line naming
    the run's folders; the outputs of an earlier run there stay whole (atomic writes)."""
    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "run"
    args = ["word2vec", str(SAMPLE), "--out", str(out), "--epochs", "1", "--threads", "1"]
    assert main(args) == 0
    before = (out / "vectors.bin").read_bytes()
    capsys.readouterr()
    monkeypatch.setattr(streamnlp.run.atomic.os, "fsync", full)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and str(out) in err, err
    assert (out / "vectors.bin").read_bytes() == before and not list(out.glob("*.tmp-*"))


def test_what_a_command_prints_reaches_a_pipe_before_the_process_ends(tmp_path, monkeypatch):
    """cli.run ends the process with os._exit: it must flush stdout first (a pipe is block-buffered)."""
    import json
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)

    import numpy as np

    from streamnlp.vectors.w2vfile import write_binary
    words = [f"w{i}" for i in range(50)]
    write_binary(str(tmp_path / "v.bin"), words, np.random.default_rng(0).random((50, 8), dtype=np.float32))
    res = run_cli("similar", tmp_path / "v.bin", "w3", "--topn", "49", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["query"] == "w3" and len(out["results"]) == 49


@pytest.mark.parametrize("command", ["word2vec", "glove"])
@pytest.mark.parametrize("argv, field, value", [(["--size", "50"], "dim", 50), (["--vector-size", "40"], "dim", 40),
                                                (["--iter", "3"], "epochs", 3), (["--workers", "2"], "threads", 2)])
def test_word2vec_and_gensim_flag_names_are_aliases(command, argv, field, value):
    """word2vec.c's -size / -iter and gensim's vector_size / workers name the same settings."""
    assert getattr(build_parser().parse_args([command, "in", "--out", "o", *argv]), field) == value


def test_a_csv_named_as_input_is_refused(tmp_path):
    (tmp_path / "c.csv").write_text('text,label\n"a b, c",1\n' * 50)
    assert_user_error(run_cli("word2vec", tmp_path / "c.csv", "--out", tmp_path / "o"), "c.csv", "CSV", "Parquet")


def test_an_analogy_file_without_questions_is_an_error_and_bad_lines_a_warning(tmp_path):
    run = tmp_path / "run"
    assert run_cli("word2vec", SAMPLE, "--out", run, "--epochs", "1", "--dim", "8").returncode == 0
    (tmp_path / "three.txt").write_text(": capitals\nathens greece berlin\nparis france rome\n")
    assert_user_error(run_cli("eval", "analogy", run, tmp_path / "three.txt"), "three.txt", "no question of four words")
    good = open(f"{SAMPLE}/_eval/questions-words.txt").read()
    (tmp_path / "mixed.txt").write_text(good + "one two three\n")
    res = run_cli("eval", "analogy", run, tmp_path / "mixed.txt", "--json")
    assert res.returncode == 0 and "1 line(s) are not four words" in res.stderr
    assert json.loads(res.stdout)["sections"]


def test_a_mistyped_flag_is_named_by_its_subcommand_with_the_closest_flag(tmp_path):
    res = run_cli("word2vec", SAMPLE, "--out", tmp_path / "o", "--dimm", "50")
    assert res.returncode == 2 and "usage: stream-train word2vec" in res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert "unrecognized arguments: --dimm" in last and last.endswith("(did you mean --dim?)")


def test_a_finished_run_says_what_it_left_and_how_large(tmp_path):
    res = run_cli("word2vec", SAMPLE, "--out", tmp_path / "o", "--epochs", "1", "--dim", "8", "--no-write-text")
    first, last = res.stdout.strip().splitlines()
    assert " 1 epoch in " in first
    assert last.startswith(f"{tmp_path / 'o'} holds config.json (") and "vectors.bin (" in last
    assert "cache" not in last and "checkpoints" not in last


def test_word2vec_help_lists_the_model_flags_before_the_corpus_flags():
    text = build_parser()._subparsers._group_actions[0].choices["word2vec"].format_help()
    assert text.index("--model") < text.index("--min-count") < text.index("--text-column")
