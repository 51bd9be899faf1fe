"""vocab.tsv, the file that names a run's rows: one `word<TAB>count` line per word, in row order."""
from __future__ import annotations

from .atomic import atomic_write
from .errors import UserError


def write_vocab_tsv(path: str, words: list[str], counts: list[int]) -> None:
    with atomic_write(path, "w") as f:
        f.write("".join(f"{w}\t{c}\n" for w, c in zip(words, counts)))


def read_vocab_tsv(path: str) -> tuple[list[str], list[int]]:
    """(words, counts) in file order; a line that is not `word<TAB>count` is an error naming it."""
    words, counts = [], []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                word, _, count = line.rstrip("\n").rpartition("\t")
                if not word or not count.isdigit():
                    raise UserError(f"{path}:{n}: expected 'word<TAB>count'; fix or re-create the vocabulary")
                words.append(word)
                counts.append(int(count))
    except OSError as e:
        raise UserError(f"{path}: cannot read the vocabulary ({e.strerror})") from None
    return words, counts
