"""The package's imports flow one way, and no two modules import each other.

The floors, from the user's end down to the shared ground::

    cli -> inspection / serving -> baselines / neural -> metrics
        -> histories / synthetic -> utils

A module may import its own package and any package on a lower floor, never a
higher one, nor a sibling on its own floor (two packages on one floor are two
jobs that know nothing of each other). The imports are read from the source with
:mod:`ast`, those at the top of a module and those hidden inside functions alike,
so a lazy import cannot hide an arrow upward or a circle.

One kind of upward arrow is sanctioned, and each instance is listed in
``LAZY_SERVING_METHODS`` with its reason: an estimator's thin method (``save``,
``to_onnx``, ``stream``, ``sample_continuations``, ...) that imports ``serving``
inside the method body. ``serving`` knows the estimators (it saves, exports and
streams them); the estimators only hand themselves over when the user asks, so
importing an estimator never loads ``serving`` and ``serving`` stays the one
place that knows file formats. These edges are left out of the circle search:
at import time they do not exist.

Run this file as a script to print the package -> package arrows.
"""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = "sklearn_seqlstm"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

FLOORS = {
    "cli": 5,
    "inspection": 4,
    "serving": 4,
    "baselines": 3,
    "neural": 3,
    "metrics": 2,
    "histories": 1,
    "synthetic": 1,
    "utils": 0,
}

# (importing module, imported serving module) -> why the arrow up is allowed.
# Every entry is a method that imports inside its body; a module-level import of
# serving from these packages fails the test whatever this list says.
_THIN = "an estimator's thin method hands the fitted model to serving on demand"
LAZY_SERVING_METHODS = {
    ("neural._estimator", "serving._persistence"): _THIN + " (save)",
    ("neural._classifier", "serving._stream"): _THIN + " (stream, load_stream)",
    ("neural._classifier", "serving._onnx"): _THIN + " (to_onnx, encode_for_onnx)",
    ("neural._classifier", "serving._continuations"): _THIN
    + " (sample_continuations, predict_suffix)",
    ("baselines._markov", "serving._persistence"): _THIN + " (save)",
}


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(importer, node, known):
    """The package's modules that an ``import`` or ``from ... import`` names."""
    is_package = known[importer].name == "__init__.py"
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
        return [n.removeprefix(PACKAGE + ".") for n in names if n.startswith(PACKAGE + ".")]
    if node.level == 0:
        if node.module is None or not (
            node.module == PACKAGE or node.module.startswith(PACKAGE + ".")
        ):
            return []
        base = node.module.removeprefix(PACKAGE).removeprefix(".")
    else:
        here = importer.split(".") if importer else []
        if not is_package:
            here = here[:-1]
        up = node.level - 1
        here = here[: len(here) - up] if up else here
        base = ".".join([*here, *([node.module] if node.module else [])])
    targets = []
    for alias in node.names:
        sub = f"{base}.{alias.name}" if base else alias.name
        if sub in known:
            targets.append(sub)
        elif base == "":
            # ``from sklearn_seqlstm import Name``: the module that defines it.
            targets.append(_lazy_target(alias.name))
        else:
            targets.append(base)
    return targets


def _lazy_target(name):
    import sklearn_seqlstm

    # A name the root defines itself (``__version__``) is the root: it imports
    # nothing at load time, so it sits beside every floor.
    return sklearn_seqlstm._LAZY.get(name, "").lstrip(".")


def import_edges():
    """Every (importer, imported, lazy) triple between the package's modules.

    ``lazy`` is True for an import inside a function or class body.
    """
    known = _modules()
    edges = set()
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lazy_nodes = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for inner in ast.walk(node):
                    if inner is not node:
                        lazy_nodes.add(id(inner))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _resolve(name, node, known):
                    if target not in (name, ""):
                        edges.add((name, target, id(node) in lazy_nodes))
    return edges


def _package(module):
    return module.split(".")[0] if module else ""


def _sanctioned(importer, imported, lazy):
    return lazy and (importer, imported) in LAZY_SERVING_METHODS


def package_arrows(edges=None):
    """The package -> package arrows, sanctioned lazy ones marked."""
    edges = import_edges() if edges is None else edges
    arrows = {}
    for importer, imported, lazy in edges:
        a, b = _package(importer), _package(imported)
        if a == b or not a or not b:
            continue
        key = (a, b)
        arrows[key] = arrows.get(key, True) and _sanctioned(importer, imported, lazy)
    return arrows


def _find_cycle(graph):
    """One circle of ``graph`` (a dict of sets) as a list of nodes, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_parse_sees_imports_at_every_depth():
    edges = import_edges()
    assert edges, "no imports were found: the parse is broken"
    assert any(lazy for *_, lazy in edges), "no import inside a function was found"
    # A relative import of a sibling module resolves to that module.
    assert ("neural._classifier", "neural._estimator", False) in edges


def test_every_package_has_a_floor():
    packages = {_package(m) for m in _modules()} - {"", "__main__"}
    assert packages <= set(FLOORS), packages - set(FLOORS)


def test_no_arrow_upward_or_sideways():
    wrong = []
    for importer, imported, lazy in sorted(import_edges()):
        a, b = _package(importer), _package(imported)
        if a == b or a in ("", "__main__") or b == "":
            continue
        if FLOORS[b] < FLOORS[a] or _sanctioned(importer, imported, lazy):
            continue
        where = "inside a function" if lazy else "at module level"
        wrong.append(f"{importer} -> {imported} ({where})")
    assert not wrong, "imports against the floors:\n" + "\n".join(wrong)


def test_nothing_imports_cli():
    importers = {i for i, t, _ in import_edges() if _package(t) == "cli"}
    assert all(_package(i) in ("cli", "__main__") for i in importers), importers


def test_sanctioned_arrows_are_lazy_and_still_used():
    edges = import_edges()
    for importer, imported in LAZY_SERVING_METHODS:
        assert (importer, imported, False) not in edges, (
            f"{importer} imports {imported} at module level"
        )
    used = {(i, t) for i, t, lazy in edges if lazy}
    stale = set(LAZY_SERVING_METHODS) - used
    assert not stale, f"exceptions no longer needed, remove them: {sorted(stale)}"


def test_no_two_modules_import_each_other():
    graph = {}
    for importer, imported, lazy in import_edges():
        if importer == "" or _sanctioned(importer, imported, lazy):
            continue
        graph.setdefault(importer, set()).add(imported)
    cycle = _find_cycle(graph)
    assert cycle is None, "a circle of imports: " + " -> ".join(cycle)


def test_packages_without_a_network_load_no_torch():
    # The floors below neural, and the baselines beside it, need no network: a
    # user of the baselines or the metrics should not pay for torch's import.
    import subprocess

    names = [
        "MarkovChainClassifier",
        "SequenceFeaturizer",
        "PrefixLookupClassifier",
        "BayesOracleClassifier",
        "SeasonalNaiveRegressor",
        "MarkovMemorySampler",
        "samples_from_log",
        "top_k_accuracy",
    ]
    code = (
        f"import sys; from {PACKAGE} import {', '.join(names)}; "
        "print(sorted(m for m in ('torch', 'skorch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
        timeout=120,
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize("limit", [800])
def test_no_module_past_limit(limit):
    long = {m: n for m, p in _modules().items() if (n := len(p.read_text().splitlines())) > limit}
    assert not long, f"modules past {limit} lines: {long}"


if __name__ == "__main__":
    for (a, b), sanctioned in sorted(package_arrows().items(), key=lambda kv: kv[0]):
        note = "  (only lazily, from estimator methods)" if sanctioned else ""
        print(f"{a} -> {b}{note}")
