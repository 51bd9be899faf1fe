"""Scoring as the fields do: token accuracy, conlleval's phrase precision/recall/F1, per-class scores."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

# conlleval.pl (CoNLL-2000, version 2004-01-26): the (previous, current) tag prefixes between which a chunk
# starts / ends, as its startOfChunk / endOfChunk list them (IOB1, IOB2, IOE1, IOE2) ...
_STARTS = {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I"), ("E", "E"), ("E", "I"), ("O", "E")}
_ENDS = {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O"), ("E", "E"), ("E", "I"), ("E", "O")}
# ... and the pairs its widely used IOBES extension adds: B and S always start a chunk, E and S always end one.
_STARTS |= {("S", "B"), ("E", "B"), ("B", "S"), ("I", "S"), ("O", "S"), ("S", "S"), ("E", "S"), ("S", "I"),
            ("S", "E")}
_ENDS |= {("B", "S"), ("I", "S"), ("E", "S"), ("E", "B"), ("S", "E"), ("S", "I"), ("S", "O"), ("S", "S"),
          ("S", "B")}
CHUNK_PREFIXES = ("B-", "I-", "E-", "S-")


def start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's startOfChunk: whether a chunk starts at the current token (tags are the prefixes)."""
    return ((prev_tag, tag) in _STARTS or (tag not in ("O", ".") and prev_type != type_)
            or tag in ("[", "]"))  # '[' and ']' chunks are assumed to have length 1


def end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's endOfChunk: whether a chunk ended at the previous token."""
    return ((prev_tag, tag) in _ENDS or (prev_tag not in ("O", ".") and prev_type != type_)
            or prev_tag in ("[", "]"))


def _split(tag: str) -> tuple[str, str]:
    """(prefix, type), split at the first '-' as conlleval's /^([^-]*)-(.*)$/ does; no '-': type ''."""
    prefix, _, type_ = tag.partition("-")
    return prefix, type_


def _check(gold: list[list[str]], pred: list[list[str]]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for s, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise ValueError(f"sentence {s}: {len(g)} gold tags but {len(p)} predicted")


def _pairs(gold: list[list[str]], pred: list[list[str]]) -> Iterator[tuple[str, str]]:
    """(gold, predicted) tags token by token, a sentence boundary after each sentence read as conlleval reads
    a blank line: both tags O."""
    _check(gold, pred)
    for g, p in zip(gold, pred):
        yield from zip(g, p)
        yield "O", "O"


def token_accuracy(gold: list[list[str]], pred: list[list[str]]) -> float:
    """The fraction of tokens tagged right (0.0 when there are none)."""
    _check(gold, pred)
    total = sum(map(len, gold))
    right = sum(g == p for gs, ps in zip(gold, pred) for g, p in zip(gs, ps))
    return right / total if total else 0.0


def is_chunk_tagset(tags: Iterable[str]) -> bool:
    """Whether tags are chunk tags (IOB1, IOB2, IOBES): every one O or B-, I-, E-, S- and a type, and at
    least one not O (a set of O alone has no phrases to score)."""
    seen = False
    for tag in tags:
        if tag != "O":
            if not (tag.startswith(CHUNK_PREFIXES) and len(tag) > 2):
                return False
            seen = True
    return seen


def _prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def phrase_scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    """Phrase (chunk) precision, recall and F1 counted as conlleval.pl counts them: a predicted phrase is
    correct when a gold one of the same type starts and ends at the same tokens. Fractions, not percents;
    per_type leaves out the empty type (tags without '-'), as conlleval's report does."""
    found_gold: Counter[str] = Counter()
    found_pred: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    last_c, last_ct, last_g, last_gt = "O", "", "O", ""
    in_correct = False  # the phrases under way in gold and predictions are the same so far
    for g, p in _pairs(gold, pred):
        c, ct = _split(g)
        guess, gt = _split(p)
        if in_correct:
            end_c = end_of_chunk(last_c, c, last_ct, ct)
            end_g = end_of_chunk(last_g, guess, last_gt, gt)
            if end_c and end_g and last_gt == last_ct:
                in_correct = False
                correct[last_ct] += 1
            elif end_c != end_g or gt != ct:
                in_correct = False
        start_c = start_of_chunk(last_c, c, last_ct, ct)
        start_g = start_of_chunk(last_g, guess, last_gt, gt)
        if start_c and start_g and gt == ct:
            in_correct = True
        if start_c:
            found_gold[ct] += 1
        if start_g:
            found_pred[gt] += 1
        last_c, last_ct, last_g, last_gt = c, ct, guess, gt
    if in_correct:  # as conlleval does at the end of its input (reached only by '.' tags)
        correct[last_ct] += 1
    per_type = {}
    for t in sorted((set(found_gold) | set(found_pred)) - {""}):
        precision, recall, f1 = _prf(correct[t], found_pred[t], found_gold[t])
        per_type[t] = {"precision": precision, "recall": recall, "f1": f1, "gold": found_gold[t],
                       "predicted": found_pred[t], "correct": correct[t]}
    n_correct, n_pred, n_gold = correct.total(), found_pred.total(), found_gold.total()
    precision, recall, f1 = _prf(n_correct, n_pred, n_gold)
    return {"precision": precision, "recall": recall, "f1": f1, "per_type": per_type, "gold_phrases": n_gold,
            "predicted_phrases": n_pred, "correct_phrases": n_correct}


def class_scores(gold: list[str], pred: list[str]) -> dict:
    """Accuracy and, for every label in gold or predictions, precision, recall, F1 and support (its gold
    count); precision 0 for a label never predicted, recall 0 for one never in gold."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predicted")
    support, predicted = Counter(gold), Counter(pred)
    right = Counter(g for g, p in zip(gold, pred) if g == p)
    per_class = {}
    for label in sorted(set(support) | set(predicted)):
        precision, recall, f1 = _prf(right[label], predicted[label], support[label])
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support[label]}
    return {"accuracy": right.total() / len(gold) if gold else 0.0, "per_class": per_class}
