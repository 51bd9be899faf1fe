"""Reading labelled data: tagged sentences (CoNLL column files, row files of token lists), labelled texts."""
from __future__ import annotations

import gzip
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from ..run.errors import UserError, short_cause

Column = int | str
CONLL_HELP = "expected one token a line, whitespace-separated columns, a blank line between sentences"
FASTTEXT_HELP = "each line must be '__label__X text' (fastText's format)"
COLUMN_SEP = re.compile(r"[ \t]+")  # CoNLL columns: a token may hold other (Unicode) spaces, such as U+00A0


@dataclass
class Tagged:
    """Sentences of words, their tags (an empty list a sentence for untagged input) and feature columns
    (features[k][s]: the k-th feature column's values of sentence s)."""

    words: list[list[str]]
    tags: list[list[str]]
    features: list[list[list[str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def n_tokens(self) -> int:
        return sum(map(len, self.words))


def _kind(path: str) -> str:
    """'parquet', 'ipc', 'json' (row files), 'conllu' (tab-separated, comment lines) or 'text', by suffix
    (a .gz suffix aside)."""
    name = path.lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".arrow", ".feather")):
        return "ipc"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "json"
    return "conllu" if name.endswith(".conllu") else "text"


def _is_rows(path: str) -> bool:
    return _kind(path) in ("parquet", "ipc", "json")


def _text(path: str) -> str:
    """A text file's contents (gzip-compressed if it ends in .gz); invalid UTF-8 is read as Latin-1, with a
    warning (every byte stays a character of its own, so distinct words stay distinct)."""
    try:
        with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise UserError(f"{path}: cannot read ({short_cause(e, path)}); check the path and the file") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        print(f"warning: {path}: invalid UTF-8 at byte {e.start}; reading the file as Latin-1", file=sys.stderr)
        return raw.decode("latin-1")


def _lines(path: str) -> list[str]:
    """A text file's lines, split at newlines only (str.splitlines would also split at U+0085, U+2028, ...)."""
    return _text(path).split("\n")


def _json_table(path: str) -> pa.Table:
    """JSON Lines (or one JSON array) of objects as a table: a column per key seen, null where a row lacks it."""
    text = _text(path)
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}: not valid JSON ({e.msg}); expected JSON Lines or an array of objects") from None
    else:
        rows = []
        for lineno, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise UserError(f"{path}:{lineno}: not valid JSON ({e.msg}); each line must be an object") \
                        from None
    names: dict[str, None] = {}
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UserError(f"{path}: row {i} is not a JSON object; each row must be an object of columns")
        names.update(dict.fromkeys(row))
    columns = {}
    for name in names:
        try:
            columns[name] = pa.array([row.get(name) for row in rows])
        except (pa.ArrowException, TypeError):
            raise UserError(f"{path}: column {name!r} mixes kinds of values (say numbers and strings); "
                            "make them one kind") from None
    return pa.table(columns) if columns else pa.table({})


def _table(path: str) -> pa.Table:
    """A row file (Parquet, Arrow IPC file or stream, JSON) as a table; read errors become UserError."""
    if _kind(path) == "json":
        return _json_table(path)
    kind = "Parquet" if _kind(path) == "parquet" else "Arrow IPC"
    try:
        if kind == "Parquet":
            return pq.read_table(path)
        with pa.memory_map(path) as source:
            try:
                return pa.ipc.open_file(source).read_all()
            except pa.ArrowInvalid:
                source.seek(0)
                return pa.ipc.open_stream(source).read_all()
    except (pa.ArrowException, OSError, EOFError) as e:
        raise UserError(f"{path}: cannot read ({short_cause(e, path)}); it is corrupt, truncated or not {kind}") \
            from None


def _class_names(table: pa.Table) -> dict[str, list[str]]:
    """Hugging Face ClassLabel names by column (from the schema's 'huggingface' metadata): integer labels and
    tags stored by such data sets are read as their names."""
    meta = (table.schema.metadata or {}).get(b"huggingface")
    try:
        features = json.loads(meta)["info"]["features"] if meta else {}
    except (ValueError, KeyError, TypeError):
        return {}
    names = {}
    for column, spec in features.items() if isinstance(features, dict) else ():
        while isinstance(spec, (dict, list)):  # a ClassLabel, or a Sequence/List of one ({"feature": ...}, [...])
            if isinstance(spec, list):
                spec = spec[0] if spec else None
            elif isinstance(spec.get("names"), list):
                names[column] = [str(n) for n in spec["names"]]
                break
            else:
                spec = spec.get("feature")
    return names


def _string(value: object, names: list[str] | None) -> str:
    if names is not None and isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    return str(value)


def _is_list(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or \
        pa.types.is_list_view(t) or pa.types.is_large_list_view(t)


def _pick(table: pa.Table, path: str, flag: str, column: Column) -> str:
    """The name of the column a --*-column flag selects: by name, or by index among the list columns."""
    lists = [f.name for f in table.schema if _is_list(f.type)]
    shown = ", ".join(lists) or "none"
    if isinstance(column, str):
        if column not in table.column_names:
            raise UserError(f"{flag} {column}: {path} has no such column (its list columns: {shown})")
        return column
    if not -len(lists) <= column < len(lists):
        raise UserError(f"{flag} {column}: {path} has {len(lists)} list columns ({shown})")
    return lists[column]


def _token_lists(table: pa.Table, path: str, name: str) -> list[list[str]]:
    """A column of token lists (a string value is split on whitespace; null is no tokens)."""
    names = _class_names(table).get(name)
    out = []
    for row, value in enumerate(table.column(name).to_pylist(), 1):
        if isinstance(value, str):
            out.append(value.split())
        elif isinstance(value, list):
            if any(v is None for v in value):
                raise UserError(f"{path}: row {row}: column {name!r} has a null token; fill or drop it")
            out.append([_string(v, names) for v in value])
        elif value is None:
            out.append([])
        else:
            raise UserError(f"{path}: row {row}: column {name!r} holds {type(value).__name__}, not tokens")
    return out


def _read_rows(path: str, word_column: Column, tag_column: Column | None, feature_columns: Sequence[Column]) \
        -> Tagged:
    table = _table(path)
    if table.num_rows == 0:
        return Tagged([], [], [[] for _ in feature_columns])
    flags = [("--word-column", word_column), ("--tag-column", tag_column)] + \
        [("--feature-column", c) for c in feature_columns]
    picked = [(flag, _pick(table, path, flag, c)) for flag, c in flags if c is not None]
    _distinct(path, picked)
    columns = [_token_lists(table, path, name) for _, name in picked]
    out = Tagged([], [], [[] for _ in feature_columns])
    for row, values in enumerate(zip(*columns), 1):
        words = values[0]
        for (flag, name), v in zip(picked[1:], values[1:]):
            if len(v) != len(words):
                raise UserError(f"{path}: row {row}: {len(v)} values in {name!r} ({flag}) for {len(words)} tokens; "
                                "fix the row")
        if not words:
            continue
        out.words.append(words)
        out.tags.append(values[1] if tag_column is not None else [])
        for k, feature in enumerate(values[2 if tag_column is not None else 1:]):
            out.features[k].append(feature)
    return out


def _distinct(path: str, picked: Sequence[tuple[str, object]]) -> None:
    """The tags' column may be neither the words' nor a feature's (a feature that is the tag would score the
    model on the answer)."""
    seen: dict[object, str] = {}
    for flag, column in picked:
        if column is None:
            continue
        if column in seen and "--tag-column" in (flag, seen[column]):
            raise UserError(f"{flag} and {seen[column]} name the same column of {path}; give the tags' own column")
        seen.setdefault(column, flag)


def _index(path: str, flag: str, column: Column, width: int) -> int:
    if isinstance(column, str):
        raise UserError(f"{flag} {column}: {path} is a column file, whose columns have no names; give a number")
    if not -width <= column < width:
        raise UserError(f"{flag} {column}: {path} has {width} columns (0..{width - 1}, or -{width}..-1)")
    return column


def _read_conll(path: str, word_column: Column, tag_column: Column | None, feature_columns: Sequence[Column]) \
        -> Tagged:
    """CoNLL columns: a token a line, a blank line (or -DOCSTART-) ending a sentence. A .conllu file is
    tab-separated, its comment lines and multiword-token and empty-node lines (IDs 1-2, 1.1) skipped."""
    conllu = _kind(path) == "conllu"
    sentences: list[list[list[str]]] = []
    sentence: list[list[str]] = []
    width, first = 0, 0
    for lineno, line in enumerate(_lines(path), 1):
        line = line.rstrip("\r") if conllu else line.strip(" \t\r")
        if conllu and line.startswith("#"):
            continue
        cols = line.split("\t") if conllu else COLUMN_SEP.split(line)
        if not line or cols[0] == "-DOCSTART-":
            if sentence:
                sentences.append(sentence)
            sentence = []
            continue
        if conllu and ("-" in cols[0] or "." in cols[0]):
            continue
        if not width:
            width, first = len(cols), lineno
        elif len(cols) != width:
            raise UserError(f"{path}:{lineno}: {len(cols)} columns where the file's first token line has {width} "
                            f"(line {first}); fix the line or the file")
        sentence.append(cols)
    if sentence:
        sentences.append(sentence)
    if not sentences:
        return Tagged([], [], [[] for _ in feature_columns])
    w = _index(path, "--word-column", word_column, width)
    t = None if tag_column is None else _index(path, "--tag-column", tag_column, width)
    fs = [_index(path, "--feature-column", c, width) for c in feature_columns]
    _distinct(path, [("--word-column", w % width), ("--tag-column", None if t is None else t % width),
                     *(("--feature-column", f % width) for f in fs)])
    return Tagged([[tok[w] for tok in s] for s in sentences],
                  [[] if t is None else [tok[t] for tok in s] for s in sentences],
                  [[[tok[f] for tok in s] for s in sentences] for f in fs])


def read_tagged(path: str, word_column: Column = 0, tag_column: Column | None = -1,
                feature_columns: Sequence[Column] = ()) -> Tagged:
    """Tagged sentences of a CoNLL column file (columns by index, negative from the end) or of a row file
    (.parquet, .arrow/.feather, .jsonl/.json/.ndjson: a sentence a row; a column by name, or by index among
    its list columns in schema order). tag_column None: untagged input, every sentence's tags empty."""
    if _is_rows(path):
        out = _read_rows(path, word_column, tag_column, feature_columns)
        hint = "expected a row per sentence with lists of tokens and tags"
    else:
        out = _read_conll(path, word_column, tag_column, feature_columns)
        hint = CONLL_HELP
    if not out.words:
        raise UserError(f"{path}: no {'tagged ' if tag_column is not None else ''}sentences; {hint}")
    return out


def read_raw(path: str) -> list[list[str]]:
    """Plain text to tag: a sentence a line, whitespace-separated tokens; blank lines skipped."""
    return [toks for toks in (line.split() for line in _lines(path)) if toks]


def _row_texts(table: pa.Table, path: str, text_column: str) -> list[list[str]]:
    if text_column not in table.column_names:
        raise UserError(f"{path}: no column {text_column!r} (it has {', '.join(table.column_names) or 'none'}); "
                        "pass --text-column NAME")
    return _token_lists(table, path, text_column)


def _after_labels(toks: list[str]) -> list[str]:
    """A fastText line's tokens after its leading __label__ tokens."""
    n = next((i for i, tok in enumerate(toks) if not tok.startswith("__label__")), len(toks))
    return toks[n:]


def read_labelled(path: str, text_column: str = "text", label_column: str = "label") \
        -> tuple[list[list[str]], list[str]]:
    """The classifier's data: (token lists, labels). Row files: the text column (a string split on whitespace,
    or a list of tokens) and the label column (str() of a string, int or bool; a Hugging Face ClassLabel's
    name). Text files: fastText's lines, '__label__X [__label__Y ...] text', the first label taken."""
    texts: list[list[str]] = []
    labels: list[str] = []
    if _is_rows(path):
        table = _table(path)
        if table.num_rows == 0:
            raise UserError(f"{path}: no labelled texts; expected rows with {text_column!r} and {label_column!r}")
        texts = _row_texts(table, path, text_column)
        if label_column not in table.column_names:
            raise UserError(f"{path}: no column {label_column!r} (it has {', '.join(table.column_names)}); "
                            "pass --label-column NAME")
        names = _class_names(table).get(label_column)
        for row, value in enumerate(table.column(label_column).to_pylist(), 1):
            if value is None:
                raise UserError(f"{path}: row {row}: the label ({label_column!r}) is null; label or drop the row")
            labels.append(_string(value, names))
    else:
        for lineno, line in enumerate(_lines(path), 1):
            toks = line.split()
            if not toks:
                continue
            if not toks[0].startswith("__label__"):
                raise UserError(f"{path}:{lineno}: no __label__ at the start; {FASTTEXT_HELP}")
            labels.append(toks[0].removeprefix("__label__"))
            texts.append(_after_labels(toks))
        if not labels:
            raise UserError(f"{path}: no labelled texts; {FASTTEXT_HELP}")
    return texts, labels


def read_texts(path: str, text_column: str = "text") -> list[list[str]]:
    """Texts to classify: a row file's text column (a row each, null as no tokens), or a text file's
    non-blank lines, any leading __label__ tokens dropped."""
    if _is_rows(path):
        return _row_texts(_table(path), path, text_column)
    out = []
    for line in _lines(path):
        toks = line.split()
        if toks:
            out.append(_after_labels(toks))
    return out
