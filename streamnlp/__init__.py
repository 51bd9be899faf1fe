"""streamnlp: a Numba-jitted streaming trainer of word vectors and recurrent language models."""
from .errors import UserError
from .glove import train_glove
from .vectors import KeyedVectors, load_vectors
from .vocab import Vocab
from .word2vec import train_word2vec

__all__ = ["KeyedVectors", "UserError", "Vocab", "load_vectors", "train_glove", "train_word2vec"]
__version__ = "0.1.0"
