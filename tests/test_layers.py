"""The package's imports point down only: cli -> train / tasks / cluster -> vectors, data -> run, kernels.

Read from the source (ast), lazy imports inside functions included, so the rule keeps holding as new
subpackages land.
"""
import ast
import os

import pytest
from conftest import ROOT

PKG = os.path.join(ROOT, "streamnlp")
LOW = {"run", "kernels"}
# what each subpackage may import from streamnlp (itself included); the top level (cli, __init__) may import all
ALLOWED = {
    "kernels": {"kernels"},
    "run": {"run"},
    "data": {"data"} | LOW,
    "vectors": {"vectors"} | LOW,
    "train": {"train", "data", "vectors"} | LOW,
    "tasks": {"tasks", "data", "vectors"} | LOW,
    "cluster": {"cluster", "train", "data", "vectors"} | LOW,
}


def imported(module: str, source: str) -> list[tuple[int, str]]:
    """(line, dotted streamnlp module) for every import of a streamnlp module in `source`, which is the
    module `module` ("streamnlp.data.vocab"); relative imports resolved, `from . import x` as package.x."""
    package = module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "streamnlp"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "streamnlp":
                target = node.module
            else:
                continue
            if node.module:
                found.append((node.lineno, target))
            else:
                found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
    return found


def violations(module: str, source: str) -> list[str]:
    parts = module.split(".")
    layer = parts[1] if len(parts) > 2 else None  # None: a top-level module (cli, __init__, __main__)
    if layer is None:
        return []
    allowed = ALLOWED[layer]
    bad = []
    for line, target in imported(module, source):
        t = target.split(".")
        into = t[1] if len(t) > 1 else ""
        if into not in allowed:
            bad.append(f"{module}:{line} imports {target} ({layer}/ may import {', '.join(sorted(allowed))})")
    return bad


def package_modules():
    for folder, dirs, files in os.walk(PKG):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                yield rel, path


def test_every_subpackage_is_ruled():
    subpackages = {d for d in os.listdir(PKG) if os.path.isfile(os.path.join(PKG, d, "__init__.py"))}
    assert subpackages <= set(ALLOWED), f"add a rule for {sorted(subpackages - set(ALLOWED))}"


def test_imports_point_down():
    bad = []
    for module, path in package_modules():
        with open(path) as f:
            bad += violations(module, f.read())
    assert not bad, "\n".join(bad)


def test_prange_only_in_kernels():
    users = []
    for module, path in package_modules():
        with open(path) as f:
            if "prange" in f.read() and not module.startswith("streamnlp.kernels."):
                users.append(module)
    assert not users


@pytest.mark.parametrize("module, source", [
    ("streamnlp.data.vocab", "from ..train.word2vec import Trainer"),
    ("streamnlp.data.vocab", "def f():\n    from ..vectors import w2vfile"),
    ("streamnlp.vectors.w2vfile", "from ..data.vocab import Vocab"),
    ("streamnlp.run.rundir", "from ..vectors import w2vfile"),
    ("streamnlp.run.rundir", "from .. import cli"),
    ("streamnlp.kernels.sgns", "from ..run.errors import UserError"),
    ("streamnlp.kernels.sgns", "import streamnlp.data.shards"),
    ("streamnlp.train.glove", "from streamnlp.cli import main"),
    ("streamnlp.tasks.tagger", "from ..cluster import replicas"),
])
def test_upward_imports_are_caught(module, source):
    assert violations(module, source)


@pytest.mark.parametrize("module, source", [
    ("streamnlp.data.vocab", "from ..run.errors import UserError\nfrom ..kernels.strings import StringIndex"),
    ("streamnlp.train.word2vec", "from ..data.prepare import prepare_corpus\nfrom ..vectors import w2vfile"),
    ("streamnlp.vectors.keyed", "from . import w2vfile"),
    ("streamnlp.cli", "from .train.lm import train_lm"),
])
def test_downward_imports_pass(module, source):
    assert not violations(module, source)
