"""Evaluation of word vectors: analogies (3CosAdd, 3CosMul) by section, and word-pair similarity.

Follows gensim's evaluators (same vocabulary restriction, case folding, out-of-vocabulary rules and
tie to the top-5 candidates), so scores are comparable; analogies are answered in batches of
matrix products instead of one query at a time.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from ..run.errors import UserError

if TYPE_CHECKING:  # annotations only: keyed.py calls these functions
    from .keyed import KeyedVectors

BATCH = 1024


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror}); pass an existing file") from None


def _ok_vocab(kv: KeyedVectors, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
    keys = kv.index_to_key[:restrict_vocab]
    if case_insensitive:
        return {k.upper(): i for i, k in reversed(list(enumerate(keys)))}
    return {k: i for i, k in enumerate(keys)}


def read_analogies(path: str, case_insensitive: bool = True) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Sections of questions-words format: ': name' lines, then 'a b c expected' lines. Lines of another
    number of words are skipped with one warning (gensim skips them too); a file without one question is
    an error, not an accuracy of 0/0."""
    sections: list[tuple[str, list[tuple[str, ...]]]] = []
    bad: list[int] = []
    for n, line in enumerate(_read_lines(path), 1):
        if line.startswith(": "):
            sections.append((line[2:].strip(), []))
            continue
        words = line.split()
        if not words:
            continue
        if len(words) != 4:
            bad.append(n)
            continue
        if not sections:
            raise UserError(f"{path}:{n}: a question before any ': section' line; add a section header")
        sections[-1][1].append(tuple(w.upper() for w in words) if case_insensitive else tuple(words))
    if not any(quads for _, quads in sections):
        raise UserError(f"{path}: no question of four words (': section' lines, then 'a b c d' lines, as "
                        "questions-words.txt); pass an analogy file")
    if bad:
        warn(f"{path}: {len(bad)} line(s) are not four words (first: line {bad[0]}); skipped")
    return sections


def _answer(kv: KeyedVectors, quads: list[tuple[str, ...]], ok: dict[str, int], restrict_vocab: int,
            case_insensitive: bool, cosmul: bool) -> np.ndarray:
    """Whether each (in-vocabulary) question is answered right."""
    normed = kv.get_normed_vectors()[:restrict_vocab]
    idx = np.array([[ok[w] for w in q] for q in quads], dtype=np.int64).reshape(-1, 4)
    right = np.zeros(len(quads), dtype=bool)
    for s in range(0, len(quads), BATCH):
        a, b, c = (normed[idx[s:s + BATCH, k]] for k in range(3))
        if cosmul:
            pos = ((1 + b @ normed.T) / 2) * ((1 + c @ normed.T) / 2)
            scores = pos / ((1 + a @ normed.T) / 2 + 0.000001)
        else:
            mean = (b + c - a) / 3
            mean /= np.linalg.norm(mean, axis=1, keepdims=True)
            scores = mean @ normed.T
        rows = np.arange(len(scores))
        for k in range(3):
            scores[rows, idx[s:s + BATCH, k]] = -np.inf
        top = np.argpartition(-scores, 5, axis=1)[:, :5]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), axis=1, kind="stable"), 1)
        for r, q in enumerate(quads[s:s + BATCH]):
            predicted = None
            for i in top[r]:
                predicted = kv.index_to_key[i].upper() if case_insensitive else kv.index_to_key[i]
                if predicted in ok and predicted not in q[:3]:
                    break
            right[s + r] = predicted == q[3]
    return right


def evaluate_word_analogies(kv: KeyedVectors, path: str, restrict_vocab: int = 30000,
                            case_insensitive: bool = True, cosmul: bool = False) -> tuple[float, list[dict]]:
    """(total accuracy, sections) as gensim: each section has 'section', 'correct', 'incorrect' lists;
    questions with a word outside the first restrict_vocab words are skipped (counted in 'oov')."""
    ok = _ok_vocab(kv, restrict_vocab, case_insensitive)
    out, correct_all, wrong_all, oov_all = [], [], [], 0
    for name, quads in read_analogies(path, case_insensitive):
        known = [q for q in quads if all(w in ok for w in q)]
        right = _answer(kv, known, ok, restrict_vocab, case_insensitive, cosmul) if known else np.zeros(0, bool)
        correct = [q for q, r in zip(known, right) if r]
        wrong = [q for q, r in zip(known, right) if not r]
        out.append({"section": name, "correct": correct, "incorrect": wrong, "oov": len(quads) - len(known)})
        correct_all += correct
        wrong_all += wrong
        oov_all += len(quads) - len(known)
    total = len(correct_all) + len(wrong_all)
    if not total:
        warn(f"{path}: no question has all four words among the first {restrict_vocab} words of the vectors; "
             "accuracy 0 of 0")
    score = len(correct_all) / total if total else 0.0
    out.append({"section": "Total accuracy", "correct": correct_all, "incorrect": wrong_all, "oov": oov_all})
    return score, out


def evaluate_word_pairs(kv: KeyedVectors, path: str, restrict_vocab: int = 300000,
                        case_insensitive: bool = True, delimiter: str = "\t"):
    """(pearson (r, p), spearman (rho, p), oov percent) over 'word1<TAB>word2<TAB>score' lines ('#' comments)."""
    ok = _ok_vocab(kv, restrict_vocab, case_insensitive)
    normed = kv.get_normed_vectors()
    gold, model, oov, bad = [], [], 0, []
    for n, line in enumerate(_read_lines(path), 1):
        if not line or line.startswith("#"):
            continue
        parts = line.split(delimiter)
        try:
            a, b, score = parts
            value = float(score)
        except ValueError:
            bad.append(n)
            continue
        if case_insensitive:
            a, b = a.upper(), b.upper()
        if a not in ok or b not in ok:
            oov += 1
            continue
        gold.append(value)
        model.append(float(np.dot(normed[ok[a]], normed[ok[b]])))
    if bad:
        warn(f"{path}: {len(bad)} line(s) are not 'word1<TAB>word2<TAB>score' (first: line {bad[0]}); skipped")
    if len(gold) < 2:
        raise UserError(f"{path}: fewer than 2 word pairs are in the vocabulary; nothing to correlate")
    pearson = stats.pearsonr(gold, model)
    spearman = stats.spearmanr(gold, model)
    return ((float(pearson[0]), float(pearson[1])), (float(spearman[0]), float(spearman[1])),
            100.0 * oov / (len(gold) + oov))
