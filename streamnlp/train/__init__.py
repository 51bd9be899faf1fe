"""The trainers: word2vec (skip-gram, CBOW), GloVe and the RNN / GRU language models; each owns its epochs,
schedule, progress, checkpoints and outputs, and leaves the arithmetic to kernels/."""
