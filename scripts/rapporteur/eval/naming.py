"""Naming, looked at by hand: ``python -m rapporteur.eval.naming SESSION_DIR…`` prints how each voice was named
and, for synthetic sessions, the share of words that carry the right name."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

from ..naming import name_speakers


def describe(info: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per label: who, how sure, and the strongest evidence."""
    lines = []
    for lab, d in info.items():
        ev = sorted(d.get("evidence", []), key=lambda e: -e["weight"])[:2]
        why = "; ".join(f"{e['rule']} @{e['start']:.1f}s: “{e['text']}”" for e in ev)
        lines.append(f"{lab} → {d['name']} ({d['source']}, {d['confidence']:.2f}){': ' + why if why else ''}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rapporteur.eval.naming SESSION_DIR…``: name the speakers of processed sessions
    (turns.json, ignoring speaker_map with --no-map) and, where reference.json exists, score them."""
    import argparse
    from pathlib import Path

    from ..core import folder as files
    from ..core.folder import SessionFolder
    from ..core.session import load_session

    parser = argparse.ArgumentParser(prog="python -m rapporteur.eval.naming", description=main.__doc__)
    parser.add_argument("sessions", nargs="+", type=Path)
    parser.add_argument("--no-map", action="store_true", help="ignore session.yaml's speaker_map")
    args = parser.parse_args(argv)
    for d in args.sessions:
        turns = SessionFolder(d).require(files.TURNS)
        session = load_session(d)
        if args.no_map:
            session = dataclasses.replace(session, speaker_map={})
        named, info = name_speakers(turns, session)
        line = f"== {d.name}"
        if (d / "reference.json").is_file():
            from .evaluate import attribution_accuracy
            from .synth import load_reference

            acc, _ = attribution_accuracy(load_reference(d / "reference.json"), named, None)
            line += f": {acc:.1%} of words carry the right name"
        print(line)
        print(describe(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
