"""streamnlp: a Numba-jitted streaming trainer of word vectors and recurrent language models, and the window
tagger and sentence classifier that use the vectors."""
import importlib
import os

# OpenBLAS's idle threads spin for ~2^25 cycles after each call and then fight the Numba kernels that
# run between the language model's matrix products for the same cores (2x slower here). A short spin,
# unless the user chose otherwise; read when OpenBLAS loads, so only if numpy is not imported yet.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
# Arrow's default allocator (mimalloc) kept ~90 MiB of the counting and encoding passes' freed buffers
# for the rest of a run; the system allocator returns them (word2vec on realtext: peak RSS 436 -> 374 MiB,
# same speed). Likewise only if pyarrow is not imported yet, and unless the user chose a pool.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
from .run.errors import UserError  # noqa: E402

# The public names load their module on first use, so `stream-train word2vec` does not import GloVe's
# and the language models' modules (0.1 s of every run's start).
_LAZY = {"KeyedVectors": "vectors.keyed", "load_vectors": "vectors.keyed", "Vocab": "data.vocab",
         "train_word2vec": "api", "train_glove": "api", "load_lm": "train.lm", "train_lm": "train.lm",
         "train_tagger": "tasks.tagging", "load_tagger": "tasks.tagger", "train_classifier": "tasks.classifying",
         "load_classifier": "tasks.classifier"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KeyedVectors", "UserError", "Vocab", "load_classifier", "load_lm", "load_tagger", "load_vectors",
           "train_classifier", "train_glove", "train_lm", "train_tagger", "train_word2vec"]
__version__ = "0.1.0"
