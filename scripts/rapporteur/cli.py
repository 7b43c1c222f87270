"""Command line: ``rapporteur run|fetch|transcribe|diarize|attribute|agenda|summarize|export|render|build|validate``.

Every failure a maintainer can fix is one line naming the session, the file
and the fix; ``--debug`` shows tracebacks.  Batch commands skip a failing
session, finish the rest, and exit 1 with a summary.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from .errors import RapporteurError

EXIT_FAILED = 1
EXIT_USAGE = 2


def _log(msg: str) -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _config(args: argparse.Namespace):
    from .config import load_config, with_overrides

    config = load_config(Path(args.config) if args.config else None)
    for w in config.warnings:
        _err(f"warning: {w}")
    config = with_overrides(
        config,
        "transcribe",
        model=getattr(args, "model", None),
        backend=getattr(args, "backend", None),
        threads=getattr(args, "threads", None),
        compute_type=getattr(args, "compute_type", None),
        batch_size=getattr(args, "batch_size", None),
        device=getattr(args, "device", None),
    )
    config = with_overrides(config, "diarize", threads=getattr(args, "threads", None), device=getattr(args, "device", None))
    return config


def _session_dirs(paths: Sequence[str]) -> list[Path]:
    """Expand arguments: a session folder, or a folder of session folders (e.g. recordings/)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir() and not (path / "session.yaml").exists() and any(path.glob("*/session.yaml")):
            out.extend(sorted(d.parent for d in path.glob("*/session.yaml")))
        else:
            out.append(path)
    return out


def _batch(dirs: list[Path], work: Callable[[Path], None], *, debug: bool) -> int:
    failed: list[tuple[str, str]] = []
    for d in dirs:
        try:
            work(d)
        except RapporteurError as exc:
            if debug:
                import traceback

                traceback.print_exc()
            msg = str(exc)
            if d.name not in msg:
                msg = f"{d.name}: {msg}"
            _err(f"error: {msg}")
            failed.append((d.name, msg))
        except KeyboardInterrupt:
            _err(f"interrupted during {d.name}; finished artefacts are kept, rerun to continue")
            return 130
    if failed:
        _err(f"{len(failed)} of {len(dirs)} session(s) failed: {', '.join(n for n, _ in failed)}")
        return EXIT_FAILED
    return 0


def cmd_run(args: argparse.Namespace, stages: tuple[str, ...] | None) -> int:
    """Run ``stages`` (None: every stage) of the given sessions."""
    from .pipeline import STAGES, run_session

    stages = stages or STAGES
    config = _config(args)
    force = frozenset(stages if args.force else ())
    dirs = _session_dirs(args.sessions)
    t0 = time.monotonic()

    def work(d: Path) -> None:
        run_session(d, config, stages=stages, force=force, log=_log, quiet_progress=args.quiet)

    if args.scheduler:
        from .distributed import run_distributed

        status = run_distributed(args.scheduler, dirs, config, stages=stages, force=force, split_threads=args.threads is None,
                                 log=_log, err=_err, debug=args.debug)
    else:
        status = _batch(dirs, work, debug=args.debug)
    if len(stages) > 1 and not args.quiet:
        _log(f"{len(dirs)} session(s) checked in {time.monotonic() - t0:.1f} s")
    return status


def cmd_export(args: argparse.Namespace) -> int:
    from .site.exports import export_session

    text = export_session(Path(args.session), args.format)
    if args.output and args.output != "-":
        from .core.fsutil import write_text_atomic

        write_text_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from .site.build import render_archive

    problems = render_archive(Path(args.recordings), Path(args.docs), log=_log,
                              downloads_at_build=args.downloads_at_build)
    return EXIT_FAILED if problems and args.strict else 0


def cmd_build(args: argparse.Namespace) -> int:
    from .site.build import build_site, render_archive

    if not args.skip_render:  # the downloads are laid out while the site engine and Pagefind work
        render_archive(Path(args.recordings), Path(args.docs), log=_log, downloads_at_build=True)
    build_site(Path(args.config_file), engine=args.engine, log=_log)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .core.session import load_session

    def work(d: Path) -> None:
        s = load_session(d)
        for w in s.warnings:
            _err(f"warning: {w}")
        _log(f"{s.id}: ok ({len(s.speakers)} speakers, {len(s.agenda)} agenda items)")
        _validate_corrections(d)

    return _batch(_session_dirs(args.sessions), work, debug=args.debug)


def _validate_corrections(d: Path) -> None:
    """corrections.yaml of the session and the archive's glossary.yaml (beside the session folders)."""
    from .corrections import CORRECTIONS_FILE, load_corrections, load_glossary

    if (d / CORRECTIONS_FILE).is_file():
        c = load_corrections(d)
        for w in c.warnings:
            _err(f"warning: {w}")
        _log(f"{d.name}: {CORRECTIONS_FILE} ok ({len(c.entries)} entries)")
    g = load_glossary(d.resolve().parent)
    for w in g.warnings:
        _err(f"warning: {w}")


def cmd_correct(args: argparse.Namespace) -> int:
    """Append one entry to SESSION/corrections.yaml after placing it on the current turns.json."""
    from .core.folder import TURNS, SessionFolder
    from .corrections import CORRECTIONS_FILE, CorrectionsError, append_entry, check_entry, load_corrections

    d = Path(args.session)
    turns = SessionFolder(d).read(TURNS)  # the one policy: a damaged turns.json counts as none
    if turns is None:
        raise CorrectionsError("no usable turns.json yet — run `rapporteur run` on the session first", path=d)
    entry: dict = {"at": args.at}
    if args.replace:
        pairs = {}
        for item in args.replace:
            heard, sep, said = item.partition("=")
            if not sep:
                raise CorrectionsError(f"--replace {item!r}: write it as \"words as heard=what was said\"", path=d / CORRECTIONS_FILE)
            pairs[heard.strip()] = said.strip()
        entry["replace"] = pairs
    if args.split_at is not None:
        entry["split_at"] = args.split_at
    if args.speaker is not None:
        entry["speaker"] = args.speaker
    if args.merge_with_previous:
        entry["merge_with_previous"] = True
    check_entry(entry, turns, load_corrections(d))
    path = append_entry(d, entry)
    _log(f"{path}: entry added (at {args.at}); `make` applies it")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .eval.evaluate import evaluate_session

    report = evaluate_session(Path(args.session), collar=args.collar, as_json=args.json)
    _log(report)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .importers.igfpage import new_session

    path = new_session(args.source, Path(args.recordings), args.id)
    _log(f"created {path}")
    todo = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if "TODO" in line]
    for line in todo:
        _log(f"  {line}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .site.build import serve

    serve(Path(args.directory), port=args.port)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import doctor

    return doctor(Path(args.recordings), log=_log)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapporteur",
        description="Turn recorded sessions into a searchable static archive site.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(p: argparse.ArgumentParser, *, options: bool = True) -> None:
        p.add_argument("sessions", nargs="+", metavar="SESSION_DIR", help="session folder(s), or recordings/ for all")
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        if options:
            p.add_argument("--force", action="store_true", help="redo the stage(s) even when up to date")
            p.add_argument("--config", help="options file (default: rapporteur.yaml when present)")
            p.add_argument("--quiet", action="store_true", help="no progress lines")
            p.add_argument("--model", help="Whisper model name or folder (default: base, bundled offline)")
            p.add_argument("--backend", choices=["faster-whisper", "openai-whisper"], help="ASR backend")
            p.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
            p.add_argument("--compute-type", dest="compute_type", help="CTranslate2 compute type (default: int8)")
            p.add_argument("--batch-size", dest="batch_size", type=int,
                           help="faster-whisper: decode N VAD-cut windows at once (default 8; 1: one 30-s window after another, each conditioned on the last)")
            p.add_argument("--device", choices=["cpu", "cuda", "auto"],
                           help="device for ASR and the diarizer (default: cpu; auto: cuda when a GPU is usable)")
            p.add_argument("--scheduler", metavar="ADDRESS",
                           help="run the sessions on a Dask cluster, one task per session: tcp://host:8786 (workers "
                                "must see the sessions at the same path), or local[:N] for N worker processes here")

    p = sub.add_parser(
        "run",
        help="run every out-of-date stage of the given sessions",
        description="Run every out-of-date stage of the given sessions.",
        epilog="Distributed runs (needs `pip install 'rapporteur[distributed]'`): --scheduler tcp://host:8786 sends "
               "one task per session to a running Dask scheduler; every worker must run the same rapporteur and see "
               "the session folders at the same absolute path (e.g. a shared NFS checkout). --scheduler local:N "
               "starts N worker processes on this machine and gives each session cores/N threads unless --threads "
               "is given. Worker log lines are printed when each session finishes.",
    )
    common(p)
    p.set_defaults(func=lambda a: cmd_run(a, None))
    from .pipeline import TABLE

    for stage in TABLE:  # one command per stage of the table; old names (segment) as aliases
        p = sub.add_parser(stage.name, help=stage.help, aliases=list(stage.aliases))
        common(p)
        p.set_defaults(func=lambda a, s=stage.name: cmd_run(a, (s,)))

    p = sub.add_parser("export", help="write a session's transcript as vtt, srt, txt, json or rttm")
    p.add_argument("session", metavar="SESSION_DIR")
    p.add_argument("--format", "-f", required=True, choices=["vtt", "srt", "txt", "json", "rttm"])
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("render", help="write the site's Markdown (docs/) from all sessions")
    p.add_argument("--recordings", default="recordings")
    p.add_argument("--docs", default="docs")
    p.add_argument("--strict", action="store_true", help="exit 1 when a session could not be rendered")
    p.add_argument("--downloads-at-build", action="store_true",
                   help="leave changed sessions' downloads (captions, text, JSON) to `rapporteur build`, which lays them "
                        "out while the site engine and the search index work (faster on a large archive)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("build", help="render docs/ and build the static site (mkdocs)")
    p.add_argument("--recordings", default="recordings")
    p.add_argument("--docs", default="docs")
    p.add_argument("--config-file", default="mkdocs.yml")
    p.add_argument("--skip-render", action="store_true", help="build from docs/ as it is")
    p.add_argument("--engine", choices=("mkdocs", "zensical"), default="mkdocs",
                   help="site generator: Material for MkDocs (default) or Zensical (pip install 'rapporteur[zensical]')")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="check session.yaml files (and corrections.yaml, glossary.yaml)")
    p.add_argument("sessions", nargs="+", metavar="SESSION_DIR")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("correct", help="add a correction to SESSION/corrections.yaml (checked against its turns.json)",
                       epilog='e.g. rapporteur correct recordings/x --at 0:28 --replace "risks human rights=respects human rights"')
    p.add_argument("session", metavar="SESSION_DIR")
    p.add_argument("--at", required=True, help="a moment inside the turn (m:ss or h:mm:ss, as the site shows it) or its id (t28400)")
    p.add_argument("--replace", action="append", metavar="HEARD=SAID", help="a phrase as heard = what was said (repeatable)")
    p.add_argument("--speaker", help="who really spoke the turn (with --split-at: the new turn)")
    p.add_argument("--split-at", dest="split_at", metavar="WORDS", help="a new turn starts at these words")
    p.add_argument("--merge-with-previous", dest="merge_with_previous", action="store_true",
                   help="join the turn with the one before it")
    p.set_defaults(func=cmd_correct)

    p = sub.add_parser("new", help="create recordings/<id>/session.yaml from an IGF session page (file or URL)")
    p.add_argument("source", help="saved page (.txt or .html) or its URL")
    p.add_argument("--id", help="session id (default: derived from the page, e.g. igf2023-ws73)")
    p.add_argument("--recordings", default="recordings")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("serve", help="serve the built site on 127.0.0.1 (with HTTP Range, so audio can seek)")
    p.add_argument("--directory", default="site")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("doctor", help="check ffmpeg, models, disk space and optional extras")
    p.add_argument("--recordings", default="recordings")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("evaluate", help="WER and DER of a session against reference.json / reference.rttm")
    p.add_argument("session", metavar="SESSION_DIR")
    p.add_argument("--collar", type=float, default=0.25, help="DER collar in seconds (default 0.25)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "debug"):
        args.debug = False
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return int(args.func(args) or 0)
    except RapporteurError as exc:
        if args.debug:
            raise
        _err(f"error: {exc}")
        return EXIT_FAILED
    except OSError as exc:
        if args.debug:
            raise
        _err(f"error: {exc.filename or ''}: {exc.strerror or exc} — check the path, permissions and free disk space")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err("interrupted; finished artefacts are kept, rerun to continue")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
