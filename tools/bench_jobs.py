"""The programs tools/bench.py runs in fresh processes: the peers (gensim, fastText, PyTorch with the peers'
recipe) and streamnlp passes timed alone. Each is a `python -c` script that prints one JSON line.
"""

GENSIM_W2V = """
import json, sys, time
from gensim.models import Word2Vec
txt, sg, workers, epochs, dim, min_count, out, hs = sys.argv[1:]
t0 = time.perf_counter()
m = Word2Vec(corpus_file=txt, vector_size=int(dim), window=5, negative=0 if int(hs) else 5, hs=int(hs), sg=int(sg),
             min_count=int(min_count), sample=1e-3, epochs=int(epochs), workers=int(workers), seed=1)
secs = time.perf_counter() - t0
m.wv.save_word2vec_format(out, binary=True)
print(json.dumps({"seconds": secs}))
"""


FASTTEXT_W2V = """
import json, sys, time
import fasttext
from streamnlp.vectors.w2vfile import write_binary
txt, model, workers, epochs, dim, min_count, out = sys.argv[1:]
t0 = time.perf_counter()
m = fasttext.train_unsupervised(txt, model=model, dim=int(dim), ws=5, neg=5, loss="ns", minCount=int(min_count),
                                t=1e-3, epoch=int(epochs), thread=int(workers), minn=0, maxn=0, verbose=0)
secs = time.perf_counter() - t0
words = m.words
write_binary(out, words, m.get_input_matrix()[[m.get_word_id(w) for w in words]])
print(json.dumps({"seconds": secs}))
"""


GENSIM_VOCAB = """
import json, sys, time
from gensim.models import Word2Vec
txt, min_count = sys.argv[1:]
t0 = time.perf_counter()
m = Word2Vec(vector_size=100, min_count=int(min_count))
m.build_vocab(corpus_file=txt)
print(json.dumps({"seconds": time.perf_counter() - t0, "vocab": len(m.wv)}))
"""


GENSIM_PHRASES = """
import json, sys, time
from gensim.models.phrases import Phrases
from gensim.models.word2vec import LineSentence
txt, min_count, out = sys.argv[1:]
t0 = time.perf_counter()
found = Phrases(LineSentence(txt), min_count=int(min_count), threshold=10.0).export_phrases()
seconds = time.perf_counter() - t0
with open(out, "w") as f:
    json.dump(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])), f)
print(json.dumps({"seconds": seconds, "phrases": len(found)}))
"""


STREAMNLP_VOCAB = """
import json, sys, time
from streamnlp.run.config import VocabConfig
from streamnlp.data.prepare import prepare_corpus
corpus, out, threads, min_count = sys.argv[1:]
import os; os.makedirs(out, exist_ok=True)
t0 = time.perf_counter()
vocab, enc, _ = prepare_corpus([corpus], out, VocabConfig(threads=int(threads), min_count=int(min_count)))
print(json.dumps({"seconds": time.perf_counter() - t0, "vocab": len(vocab), "tokens": vocab.total_tokens}))
"""


STREAMNLP_COOCCUR = """
import json, os, sys, threading, time
import numba, psutil
from streamnlp.run.config import VocabConfig
from streamnlp.train.cooccur import count_cooccurrences
from streamnlp.data.prepare import prepare_corpus
corpus, out, threads, min_count, memory = sys.argv[1:]
numba.set_num_threads(int(threads))
os.makedirs(out, exist_ok=True)
vocab, enc, _ = prepare_corpus([corpus], out, VocabConfig(threads=int(threads), min_count=int(min_count)))
count_cooccurrences(enc, len(vocab), 10, 0.05, os.path.join(out, "warm"), 1)  # compile first
proc = psutil.Process(); base = proc.memory_info().rss; peak = [base]; done = []
def poll():
    while not done:
        peak[0] = max(peak[0], proc.memory_info().rss); time.sleep(0.01)
t = threading.Thread(target=poll); t.start(); t0 = time.perf_counter()
co = count_cooccurrences(enc, len(vocab), 10, float(memory), os.path.join(out, "co"), 1)
secs = time.perf_counter() - t0; done.append(1); t.join()
print(json.dumps({"seconds": secs, "tokens": vocab.total_tokens, "memory_mb": float(memory), "records": co.n_records,
                  "counting_peak_over_baseline_mb": (peak[0] - base) / 2**20, "buckets": len(co.buckets)}))
"""


TORCH_LM = """
import collections, glob, json, math, os, sys, time
import pyarrow.parquet as pq, torch
corpus, valid, cell, threads, V = sys.argv[1:]
torch.set_num_threads(int(threads)); torch.manual_seed(1)
def tokens(d):
    out = []
    for p in sorted(glob.glob(os.path.join(d, "**", "*.parquet"), recursive=True)):
        for s in pq.read_table(p, columns=["text"]).column("text").to_pylist():
            out += s.split() + ["</s>"]
    return out
train, val = tokens(corpus), tokens(valid)
vocab = ["<unk>"] + [w for w, _ in collections.Counter(train).most_common(int(V) - 1)]
idx = {w: i for i, w in enumerate(vocab)}
def batchify(ws, B=32):
    n = len(ws) // B
    return torch.tensor([idx.get(w, 0) for w in ws][: n * B]).view(B, n).t().contiguous()
tr, va = batchify(train), batchify(val)
class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(len(vocab), 128)
        self.rnn = (torch.nn.GRU if cell == "gru" else torch.nn.RNN)(128, 256)
        self.out = torch.nn.Linear(256, len(vocab))
    def forward(self, x, h):
        y, h = self.rnn(self.emb(x), h)
        return self.out(y), h
m = LM(); opt = torch.optim.SGD(m.parameters(), lr=1.0); lossf = torch.nn.CrossEntropyLoss()
t0, n, h = time.perf_counter(), 0, None
for i in range(0, tr.size(0) - 1, 32):
    T = min(32, tr.size(0) - 1 - i)
    h = None if h is None else h.detach()
    logits, h = m(tr[i:i + T], h)
    loss = lossf(logits.view(-1, len(vocab)), tr[i + 1:i + 1 + T].reshape(-1))
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0); opt.step()
    n += T * 32
secs = time.perf_counter() - t0
tot, cnt, h = 0.0, 0, None
with torch.no_grad():
    for i in range(0, va.size(0) - 1, 32):
        T = min(32, va.size(0) - 1 - i)
        logits, h = m(va[i:i + T], h)
        tot += torch.nn.functional.cross_entropy(logits.view(-1, len(vocab)), va[i + 1:i + 1 + T].reshape(-1),
                                                 reduction="sum").item()
        cnt += T * 32
print(json.dumps({"tokens_per_s": n / secs, "train_tokens": n, "valid_ppl": math.exp(tot / cnt)}))
"""
