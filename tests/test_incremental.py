"""An incremental site build equals a cold build: same files, same bytes, same search index.

`rapporteur build` twice on one archive: the second build renders only the pages whose
inputs changed (site/build.py ``page_key``) and runs ``mkdocs build --dirty``; a session
edited and another removed between the builds must leave site/ exactly as a cold build
of the new archive makes it.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from rapporteur.site.build import build_site, render_archive

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _benchmark(name: str):
    """A module of benchmarks/ (make_archive: the generated archive; site_scale: the project it is built in)."""
    if str(ROOT / "benchmarks") not in sys.path:  # site_scale imports make_archive by name
        sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build(project: Path) -> list[str]:
    logs: list[str] = []
    render_archive(project / "recordings", project / "docs", log=logs.append)
    build_site(project / "mkdocs.yml", log=logs.append)
    return logs


def _tree(site: Path) -> dict[str, bytes]:
    """Every file of a built site, by path.  Pagefind writes its filter files (and so their hashed names
    in pagefind-entry.json) in the order of a hash map, which differs between two runs on the same pages:
    those are compared by their decompressed bytes in sorted order, under one name; the metadata file that names them is only required to exist.
    The index chunks and the fragments (every page's searchable text) are compared byte for byte."""
    tree: dict[str, bytes] = {}
    unordered: dict[str, list[bytes]] = {"pagefind/filter/*": []}
    for p in sorted(site.rglob("*")):
        name = str(p.relative_to(site))
        if not p.is_file():
            continue
        if name.endswith(".pf_meta"):  # the pages' fragment names (compared as files) and the filter files' hashed names
            tree["pagefind/*.pf_meta"] = b""
            continue
        kind = "pagefind/filter/*" if name.startswith("pagefind/filter/") else ""
        if kind:
            unordered[kind].append(bytes(sorted(gzip.decompress(p.read_bytes()))))
        elif name == "pagefind/pagefind-entry.json":
            entry = json.loads(p.read_text())
            for index in entry.get("languages", {}).values():
                index.pop("hash", None)
            tree[name] = json.dumps(entry, sort_keys=True).encode()
        else:
            tree[name] = p.read_bytes()
    tree.update({kind: b"\0".join(sorted(parts)) for kind, parts in unordered.items()})
    return tree


def _edit(recordings: Path) -> str:
    """Change one word of one session's transcript, remove another session; return the new word."""
    sessions = sorted(p for p in recordings.iterdir() if (p / "session.yaml").is_file())
    turns_file = sessions[1] / "turns.json"
    data = json.loads(turns_file.read_text(encoding="utf-8"))
    data["turns"][0]["text"] = "Zyxwvutsrq " + data["turns"][0]["text"]
    turns_file.write_text(json.dumps(data), encoding="utf-8")
    shutil.rmtree(sessions[2])
    return "Zyxwvutsrq"


def test_an_incremental_build_equals_a_cold_build(tmp_path):
    make_archive, site_scale = _benchmark("make_archive"), _benchmark("site_scale")
    inc = site_scale.new_project(tmp_path / "inc")
    make_archive.main([str(inc / "recordings"), "--sessions", "4"])
    _build(inc)
    before = _tree(inc / "site")
    word = _edit(inc / "recordings")
    logs = _build(inc)
    assert any("pages whose Markdown changed" in line for line in logs), logs  # it was incremental

    cold = site_scale.new_project(tmp_path / "cold")
    shutil.copytree(inc / "recordings", cold / "recordings")
    _build(cold)
    after, expected = _tree(inc / "site"), _tree(cold / "site")
    assert sorted(set(after) ^ set(expected)) == [], sorted(set(after) ^ set(expected))
    differ = [name for name in expected if after[name] != expected[name]]
    assert not differ, differ[:10]
    assert after != before
    edited = [name for name, data in after.items() if name.endswith("index.html") and word.encode() in data]
    assert edited, "the edited word is on the rebuilt page"
