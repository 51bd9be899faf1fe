"""keyed.py / w2vfile.py / evaluate.py: exact interop with gensim, and gensim-equal queries and scores."""
import numpy as np
import pytest
from conftest import QUESTIONS, SAMPLE
from gensim.models import KeyedVectors as G

from streamnlp import KeyedVectors, load_vectors, train_word2vec
from streamnlp.run.errors import UserError
from streamnlp.vectors import w2vfile
from streamnlp.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("vec") / "run"
    train_word2vec(SAMPLE, str(out), epochs=3, dim=24, threads=2, seed=2)
    return out


def random_kv(n=200, d=12, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n - 3)] + ["ünï", "日本", "x-y"]
    return KeyedVectors(words, rng.standard_normal((n, d)).astype(np.float32))


@pytest.mark.parametrize("binary", [True, False])
def test_gensim_reads_our_files_identically(tmp_path, binary):
    kv = random_kv()
    path = str(tmp_path / ("v.bin" if binary else "v.txt"))
    kv.save_word2vec_format(path, binary=binary)
    g = G.load_word2vec_format(path, binary=binary)
    assert g.index_to_key == kv.index_to_key
    assert np.array_equal(g.vectors, kv.vectors)


@pytest.mark.parametrize("binary", [True, False])
def test_files_written_in_chunks_are_the_same_bytes(tmp_path, binary, monkeypatch):
    kv = random_kv()
    name = "v.bin" if binary else "v.txt"
    kv.save_word2vec_format(str(tmp_path / name), binary=binary)  # 2400 values: one chunk
    monkeypatch.setattr(w2vfile, "CHUNK_VALUES", 37)  # 3 rows a chunk, the last one short
    kv.save_word2vec_format(str(tmp_path / ("chunked-" + name)), binary=binary)
    assert (tmp_path / name).read_bytes() == (tmp_path / ("chunked-" + name)).read_bytes()


@pytest.mark.parametrize("binary", [True, False])
def test_we_read_gensim_files_identically(tmp_path, binary):
    kv = random_kv(seed=1)
    g = G(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    path = str(tmp_path / ("g.bin" if binary else "g.txt"))
    g.save_word2vec_format(path, binary=binary)
    back = load_vectors(path)
    assert back.index_to_key == g.index_to_key
    assert np.array_equal(back.vectors, g.vectors)
    assert load_vectors(path, limit=10).index_to_key == g.index_to_key[:10]


def test_npy_with_vocab_tsv(tmp_path):
    kv = random_kv(n=5)
    np.save(tmp_path / "v.npy", kv.vectors)
    (tmp_path / "vocab.tsv").write_text("".join(f"{w}\t{5 - i}\n" for i, w in enumerate(kv.index_to_key)))
    back = load_vectors(str(tmp_path / "v.npy"))
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)


def test_truncated_binary_is_a_user_error(tmp_path):
    path = str(tmp_path / "v.bin")
    random_kv().save_word2vec_format(path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(UserError, match="truncated"):
        load_vectors(path)


def test_queries_equal_gensims(trained):
    kv = load_vectors(str(trained / "vectors.bin"))
    g = G.load_word2vec_format(str(trained / "vectors.bin"), binary=True)
    for word in kv.index_to_key[::25]:
        ours = kv.most_similar(word, topn=10)
        theirs = g.most_similar(word, topn=10)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    for pos, neg in [(["queen", "man"], ["king"]), (["norvik", "esteria"], ["norland"]), (["dogs"], [])]:
        assert [w for w, _ in kv.most_similar(pos, neg, topn=5)] == [w for w, _ in g.most_similar(pos, neg, topn=5)]
        assert ([w for w, _ in kv.most_similar_cosmul(pos, neg, topn=5)]
                == [w for w, _ in g.most_similar_cosmul(pos, neg, topn=5)])
    assert kv.similarity("king", "queen") == pytest.approx(g.similarity("king", "queen"), abs=1e-6)
    odd = ["king", "queen", "prince", "apples"]
    assert kv.doesnt_match(odd) == g.doesnt_match(odd)


def test_evaluators_equal_gensims(trained, tmp_path):
    kv = load_vectors(str(trained / "vectors.bin"))
    g = G.load_word2vec_format(str(trained / "vectors.bin"), binary=True)
    ours, sections = evaluate_word_analogies(kv, QUESTIONS, restrict_vocab=300)
    theirs, gsections = g.evaluate_word_analogies(QUESTIONS, restrict_vocab=300)
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert [len(s["correct"]) for s in sections] == [len(s["correct"]) for s in gsections]
    pairs = f"{SAMPLE}/_eval/pairs.tsv"
    (p1, s1, o1), (p2, s2, o2) = evaluate_word_pairs(kv, pairs), g.evaluate_word_pairs(pairs)
    assert s1[0] == pytest.approx(s2[0], abs=1e-9) and p1[0] == pytest.approx(p2[0], abs=1e-6) and o1 == o2


def test_reads_files_as_the_word2vec_c_tool_writes_them(tmp_path):
    """word2vec.c: text values as '%lf ' (trailing space); binary vectors each followed by '\\n'."""
    words, vecs = ["the", "cat"], np.array([[0.5, -1.25], [2.0, 0.0]], dtype=np.float32)
    text = "2 2\n" + "".join(w + " " + "".join(f"{v:f} " for v in row) + "\n" for w, row in zip(words, vecs))
    (tmp_path / "c.txt").write_text(text)
    (tmp_path / "c.bin").write_bytes(b"2 2\n" + b"".join(w.encode() + b" " + r.tobytes() + b"\n"
                                                         for w, r in zip(words, vecs)))
    for name in ["c.txt", "c.bin"]:
        kv = load_vectors(str(tmp_path / name))
        assert kv.index_to_key == words and np.array_equal(kv.vectors, vecs)
