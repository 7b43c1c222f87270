"""The package's shape: no import cycle, no private name imported across modules, and the
runtime pipeline never loads the evaluation code.

Imports are read from the source (every ``import``/``from`` statement anywhere in a module,
function-level ones included, relative imports resolved), not from what happens to be loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scripts" / "rapporteur"
SITE = "rapporteur.site"
"""Being split by another change: what it does is reported (``-s``), not yet enforced."""


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()


def _imports(module: str) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import statement in ``module``."""
    path, is_package = MODULES[module]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found += [(target, a.name, node.lineno) for a in node.names]
    return found


def _edges() -> dict[str, set[str]]:
    """Module → the package modules it imports (``from pkg import mod`` counts as importing mod)."""
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for m in MODULES:
        for target, name, _ in _imports(m):
            if name and f"{target}.{name}" in MODULES:
                edges[m].add(f"{target}.{name}")
            elif target in MODULES:
                edges[m].add(target)
        edges[m].discard(m)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def _in_site(module: str) -> bool:
    return module == SITE or module.startswith(SITE + ".")


def test_the_scanner_sees_function_level_and_relative_imports():
    assert "rapporteur.core.records" in _edges()["rapporteur.pipeline"]
    assert "rapporteur.transcribe" in _edges()["rapporteur.pipeline"]  # imported inside a function
    assert "rapporteur.errors" in _edges()["rapporteur.core.folder"]  # from ..errors, inside a method
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle():
    cycles = _cycles(_edges())
    assert cycles == []


def test_no_private_name_imported_across_modules():
    found = []
    for m in MODULES:
        for target, name, line in _imports(m):
            if target in MODULES and target != m and name and name.startswith("_") and not name.startswith("__"):
                found.append(f"{MODULES[m][0].relative_to(PACKAGE.parent)}:{line}: {name} from {target}")
    assert found == []


def test_pipeline_loads_no_evaluation_module():
    code = "import json, sys, rapporteur.pipeline, rapporteur.cli; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(PACKAGE.parent), "PATH": "/usr/bin:/bin"})
    loaded = json.loads(out.stdout)
    assert "rapporteur.pipeline" in loaded
    assert [m for m in loaded if m == "rapporteur.eval" or m.startswith("rapporteur.eval.")] == []
    assert [m for m in loaded if _in_site(m)] == []  # the pipeline formats nothing


@pytest.mark.parametrize("module", ["rapporteur.core.text", "rapporteur.core.folder", "rapporteur.core.records"])
def test_core_imports_only_core_and_errors(module):
    allowed = ("rapporteur.core", "rapporteur.errors")
    for target in _edges()[module]:
        assert target.startswith(allowed), f"{module} imports {target}"


def test_site_reads_core_records_only():
    """The site formats records; it never imports a stage, the pipeline or the command line."""
    allowed = ("rapporteur.core", "rapporteur.errors", SITE)
    for module in [m for m in MODULES if _in_site(m)]:
        for target in _edges()[module]:
            assert target.startswith(allowed), f"{module} imports {target}"


def test_stages_never_import_the_site():
    for module in [m for m in MODULES if not _in_site(m) and m not in ("rapporteur.cli", "rapporteur.distributed")]:
        assert not [t for t in _edges()[module] if _in_site(t)], module
