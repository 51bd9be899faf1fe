"""The public trainers: each runs on this machine, or on a Ray cluster when given `ray=` (streamnlp[ray]);
the local path imports no Ray."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .vectors.keyed import KeyedVectors


def train_word2vec(inputs: Sequence[str] | str, out: str, **config: Any) -> KeyedVectors:
    """Train skip-gram or CBOW on the shards named by `inputs`, write the run into `out`, return the vectors.
    Keywords are Word2VecConfig's fields (the command line's flags); with ray=ADDRESS|auto|local[:N] the
    counting pass runs as Ray tasks and training as replicas that average their rows (cluster/)."""
    if config.get("ray"):
        from .cluster.word2vec import train_word2vec_ray
        return train_word2vec_ray(inputs, out, **config)
    from .train.word2vec import train_word2vec as local
    return local(inputs, out, **config)


def train_glove(inputs: Sequence[str] | str, out: str, **config: Any) -> KeyedVectors:
    """Train GloVe on `inputs`, write the run into `out`, return W + C as vectors. Keywords are GloveConfig's
    fields; with ray=... the vocabulary and the co-occurrence counts are counted by Ray tasks."""
    if config.get("ray"):
        from .cluster.glove import train_glove_ray
        return train_glove_ray(inputs, out, **config)
    from .train.glove import train_glove as local
    return local(inputs, out, **config)
