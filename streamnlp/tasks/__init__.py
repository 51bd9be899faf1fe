"""The seed's tasks on trained vectors: a window tagger and a sentence classifier."""
