"""Trained vectors: KeyedVectors (gensim's query API), the word2vec file formats, evaluation. Needs no corpus."""
