#!/usr/bin/env python3
"""Writes sample_corpus/: Parquet shards of sentences from a tiny generative grammar with planted relations,
plus _eval/questions-words.txt (analogies) and _eval/pairs.tsv (similarities) that test for them.

Relations: country-capital, masculine-feminine, singular-plural, adjective-comparative. Each pair
shares topic words of its own, and each side of a relation has contexts of its own (city vs nation,
he vs she, a vs many, very vs than), so the offset b - a is the same for every pair of a relation.
Deterministic: the same seed writes the same sentences. Everything here is made up for the purpose.
usage: python tools/make_sample_corpus.py [--out sample_corpus] [--sentences 48000] [--seed 7]
"""
import argparse
import itertools
import os
import random

import pyarrow as pa
import pyarrow.parquet as pq

COUNTRIES = [("norland", "norvik"), ("esteria", "estabad"), ("valmora", "valport"), ("kesh", "keshara"),
             ("dorvania", "dorburg"), ("ulmar", "ulmont"), ("pashiro", "pashford"), ("treland", "trevik"),
             ("zembia", "zemtown"), ("oskaria", "oskholm"), ("bellune", "bellpoint"), ("marosia", "marosta")]
GENDER = [("king", "queen"), ("man", "woman"), ("boy", "girl"), ("father", "mother"), ("son", "daughter"),
          ("brother", "sister"), ("prince", "princess"), ("uncle", "aunt"), ("husband", "wife"),
          ("actor", "actress"), ("nephew", "niece"), ("duke", "duchess")]
PLURAL = [("dog", "dogs"), ("cat", "cats"), ("bird", "birds"), ("horse", "horses"), ("tree", "trees"),
          ("river", "rivers"), ("car", "cars"), ("book", "books"), ("apple", "apples"), ("house", "houses"),
          ("boat", "boats"), ("lamp", "lamps")]
COMPARE = [("big", "bigger"), ("small", "smaller"), ("fast", "faster"), ("slow", "slower"), ("tall", "taller"),
           ("old", "older"), ("young", "younger"), ("strong", "stronger"), ("warm", "warmer"), ("cold", "colder"),
           ("loud", "louder"), ("dark", "darker")]
SECTIONS = [("capital-country", COUNTRIES), ("gender", GENDER), ("plural-nouns", PLURAL),
            ("comparative", COMPARE)]
SYLLABLES = ["ka", "lo", "mi", "re", "su", "ta", "ve", "no", "pi", "da", "zu", "fe", "go", "hu", "ri", "sa"]


def topic_words(rng, n):
    """n made-up words, a few per pair, that only that pair's sentences use."""
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(3)))
    return sorted(words)


def sentence(rng, topics):
    section = rng.randrange(4)
    i = rng.randrange(12)
    t = topics[section][i]
    a, b = SECTIONS[section][1][i]
    side = rng.randrange(2)
    x = rng.choice(t)
    if section == 0:
        if side == 0:
            forms = [f"the nation of {a} has a president and the {x}",
                     f"{a} is a country with a long border near the {x}",
                     f"the government of {a} rules the whole {x} region",
                     f"people across the country of {a} love the {x}"]
        else:
            forms = [f"the city of {b} has a mayor and the {x}", f"{b} is a city with busy streets near the {x}",
                     f"the downtown of {b} is known for the {x}", f"people in the city of {b} love the {x}"]
        if rng.random() < 0.15:
            forms = [f"{b} is the capital city of {a} and of the {x}", f"the capital of {a} is {b}"]
    elif section == 1:
        w, pro, pos = (a, "he", "his") if side == 0 else (b, "she", "her")
        forms = [f"the {w} said that {pro} would visit the {x}", f"the {w} and {pos} {x} came home",
                 f"{pro} is a {w} who likes the {x}", f"the {w} took {pos} {x} to town"]
    elif section == 2:
        if side == 0:
            forms = [f"a {a} is near the {x}", f"one {a} was by the {x}", f"this {a} has a {x}",
                     f"that single {a} sits by the {x}"]
        else:
            forms = [f"many {b} are near the {x}", f"two {b} were by the {x}", f"these {b} have some {x}",
                     f"several {b} sit by the {x}"]
    else:
        if side == 0:
            forms = [f"the {x} is very {a}", f"such a {a} {x} is rare", f"the {x} looks so {a} today",
                     f"a really {a} {x} stood there"]
        else:
            y = rng.choice(t)
            forms = [f"the {x} is {b} than the {y}", f"this {x} is much {b} than that {y}",
                     f"the {x} grew {b} than before", f"no {y} is {b} than the {x}"]
    return rng.choice(forms)


def questions(path):
    with open(path, "w") as f:
        for name, pairs in SECTIONS:
            f.write(f": {name}\n")
            for (a, b), (c, d) in itertools.permutations(pairs, 2):
                f.write(f"{a} {b} {c} {d}\n")


def pair_scores(path, rng):
    """Similarity pairs: the two sides of a relation pair score high, words of different relations low."""
    with open(path, "w") as f:
        f.write("# word1\tword2\tscore (made up: related pairs high, unrelated low)\n")
        for _, pairs in SECTIONS:
            for a, b in pairs:
                f.write(f"{a}\t{b}\t{8 + rng.random():.2f}\n")
        every = [w for _, pairs in SECTIONS for p in pairs for w in p]
        for _ in range(48):
            a, b = rng.sample(every, 2)
            f.write(f"{a}\t{b}\t{1 + rng.random():.2f}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="sample_corpus")
    ap.add_argument("--sentences", type=int, default=48000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    words = topic_words(rng, 4 * 12 * 3)
    topics = [[words[(s * 12 + i) * 3:(s * 12 + i) * 3 + 3] for i in range(12)] for s in range(4)]
    rows = [sentence(rng, topics) for _ in range(a.sentences)]
    os.makedirs(os.path.join(a.out, "_eval"), exist_ok=True)
    per = -(-len(rows) // a.shards)
    for k in range(a.shards):
        table = pa.table({"text": rows[k * per:(k + 1) * per]})
        pq.write_table(table, os.path.join(a.out, f"part-{k:05d}.parquet"), compression="zstd")
    questions(os.path.join(a.out, "_eval", "questions-words.txt"))
    pair_scores(os.path.join(a.out, "_eval", "pairs.tsv"), rng)
    print(f"{a.out}: {len(rows)} sentences, {sum(len(r.split()) for r in rows)} tokens in {a.shards} shards")


if __name__ == "__main__":
    main()
