"""streamnlp: a Numba-jitted streaming trainer of word vectors and recurrent language models."""
import os

# OpenBLAS's idle threads spin for ~2^25 cycles after each call and then fight the Numba kernels that
# run between the language model's matrix products for the same cores (2x slower here). A short spin,
# unless the user chose otherwise; read when OpenBLAS loads, so only if numpy is not imported yet.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
from .errors import UserError  # noqa: E402
from .glove import train_glove  # noqa: E402
from .lm import load_lm, train_lm  # noqa: E402
from .vectors import KeyedVectors, load_vectors  # noqa: E402
from .vocab import Vocab  # noqa: E402
from .word2vec import train_word2vec  # noqa: E402

__all__ = ["KeyedVectors", "UserError", "Vocab", "load_lm", "load_vectors", "train_glove", "train_lm",
           "train_word2vec"]
__version__ = "0.1.0"
