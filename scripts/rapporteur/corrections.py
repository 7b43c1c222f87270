"""corrections: human fixes to a transcript that survive every rebuild.

Two files, both versioned in git and reviewed like code:

``recordings/<id>/corrections.yaml`` — fixes to one session, in file order::

    turns:
      - at: "0:28"                 # a moment inside the turn as the site shows it (m:ss, h:mm:ss) or its id (t28400)
        replace:                   # phrase as heard → what was said, within that turn
          risks human rights: respects human rights
      - at: "0:50"
        speaker: Guest Speaker     # who really spoke this turn
      - at: "12:03"
        split_at: "and my second point"   # a new turn starts at these words …
        speaker: Xianhong Hu              # … spoken by this person (optional)
      - at: "14:10"
        merge_with_previous: true

``recordings/glossary.yaml`` — phrases heard → how they are written, in every session::

    I GF: IGF
    Shanghong Who: Xianhong Hu

YAML times: both files are read with :class:`YamlLoader`, a SafeLoader without YAML 1.1's
timestamp and base-60 resolvers, so an unquoted ``at: 0:28`` is the text "0:28", not the
integer 28.  A number is taken as seconds — which is also what a plain ``yaml.safe_load``
makes of an unquoted ``m:ss`` (base 60), so either reading gives the same time.

API for the pipeline stage (after naming, before agenda)::

    corrections = load_corrections(session_dir)        # Corrections; empty when the file is absent
    glossary = load_glossary(session_dir.parent)       # Glossary; empty when recordings/glossary.yaml is absent
    fingerprint_parts(corrections, glossary)           # -> list[str]: put into the stage's digest(...)
    turns, report = apply_corrections(turns, corrections, glossary)   # pure; never changes its inputs
    report.lines()                                     # one line per entry that could not be placed
    report.summary()                                   # "3 corrections applied, 1 not placed, 2 glossary replacements"

``turns`` must be the uncorrected turns (what attribute + naming made): a merge applied twice would
join one turn too many, so ``apply_corrections`` refuses turns that already carry corrections
(ValueError). The stage should keep the uncorrected turns as its input (e.g. attribute writes them,
corrections writes ``turns.json`` from them) and its fingerprint should name them and
``fingerprint_parts``.

Nothing changes when both are empty: ``to_json(apply_corrections(t, EMPTY, EMPTY)[0]) == to_json(t)``.
Every change is recorded on its turn (``Turn.corrections``, a tuple of ``TurnCorrection``).
Problems with a file raise :class:`CorrectionsError` listing every problem, one line each.

For the ASR prompt: ``glossary.written_forms()`` (also ``glossary_terms(recordings_dir)``).

For the site's edit control: ``entry_yaml(turn, turns=None, *, speaker=None, replace=None)`` → the
exact YAML entry for a turn, ready to paste under ``turns:``.

For the CLI: ``check_entry(entry, turns)`` and ``append_entry(session_dir, entry)``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from .core.records import Turn, TurnCorrection, Turns, Word, sec, turn_id
from .core.text import mmss
from .core.session import parse_time
from .errors import RapporteurError

CORRECTIONS_FILE = "corrections.yaml"
GLOSSARY_FILE = "glossary.yaml"
ENTRY_KEYS = ("at", "replace", "speaker", "split_at", "merge_with_previous")

TOLERANCE = 5.0
"""Seconds: an ``at`` between turns goes to the nearest turn this close; phrases are looked for in that
turn and its neighbours as far as this beyond it (turn boundaries move when a session is re-transcribed)."""
MIN_SIMILARITY = 0.75
"""0–1: how closely the words found must match a phrase (difflib ratio of the normalised words)."""


class CorrectionsError(RapporteurError):
    """corrections.yaml or glossary.yaml is malformed or invalid."""


# ---------------------------------------------------------------- YAML


class YamlLoader(yaml.SafeLoader):
    """SafeLoader without the YAML 1.1 surprises: no timestamps, no base-60 numbers (``0:28`` stays text)."""


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=YamlLoader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError:
        raise CorrectionsError("not UTF-8 text — save the file as UTF-8", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CorrectionsError(f"malformed YAML{where}: {problem}", path=path, hint="check indentation and quoting") from None


# ---------------------------------------------------------------- records


@dataclass(frozen=True, kw_only=True)
class CorrectionEntry:
    """One entry of corrections.yaml ``turns:``."""

    index: int
    """Position in ``turns:`` (0-based), as messages name it: ``turns[3]``."""
    at: float
    """Seconds: the moment given (for a turn id, the time the id encodes)."""
    at_text: str
    """``at`` as written (``0:28``, ``t28400``)."""
    turn: str | None = None
    """The turn id when ``at`` was one (tried first; the time is the fallback)."""
    replace: tuple[tuple[str, str], ...] = ()
    speaker: str | None = None
    split_at: str | None = None
    merge_with_previous: bool = False
    whole_second: bool = True
    """``at`` was given to the second (m:ss): it means the turn the site stamps with that second."""

    @property
    def name(self) -> str:
        return f"turns[{self.index}]"

    def as_dict(self) -> dict[str, Any]:
        """The entry as it is written in YAML."""
        out: dict[str, Any] = {"at": self.at_text}
        if self.replace:
            out["replace"] = dict(self.replace)
        if self.split_at is not None:
            out["split_at"] = self.split_at
        if self.speaker is not None:
            out["speaker"] = self.speaker
        if self.merge_with_previous:
            out["merge_with_previous"] = True
        return out


@dataclass(frozen=True, kw_only=True)
class Corrections:
    """A session's corrections.yaml."""

    path: str = CORRECTIONS_FILE
    entries: tuple[CorrectionEntry, ...] = ()
    warnings: tuple[str, ...] = ()
    text: str = ""
    """The file's text (for the stage fingerprint)."""


@dataclass(frozen=True, kw_only=True)
class Glossary:
    """recordings/glossary.yaml: phrases heard → how they are written, applied to every session."""

    path: str = GLOSSARY_FILE
    entries: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    text: str = ""

    def written_forms(self) -> list[str]:
        """The written forms, once each, in file order: vocabulary for the ASR prompt."""
        return list(dict.fromkeys(w for _, w in self.entries))


EMPTY_CORRECTIONS = Corrections()
EMPTY_GLOSSARY = Glossary()


@dataclass(frozen=True, kw_only=True)
class Placement:
    """What became of one corrections.yaml entry."""

    entry: str
    """``recordings/x/corrections.yaml turns[3]``"""
    placed: bool
    turn: str | None = None
    """The turn it was applied to."""
    detail: str = ""
    """What was done, or why it could not be placed."""


@dataclass(frozen=True, kw_only=True)
class CorrectionsReport:
    placements: tuple[Placement, ...] = ()
    glossary_replacements: int = 0

    @property
    def placed(self) -> tuple[Placement, ...]:
        return tuple(p for p in self.placements if p.placed)

    @property
    def unplaced(self) -> tuple[Placement, ...]:
        return tuple(p for p in self.placements if not p.placed)

    def lines(self) -> list[str]:
        """One line per entry that could not be placed (it stays in the file)."""
        return [f"{p.entry}: not placed — {p.detail}" for p in self.unplaced]

    def summary(self) -> str:
        return (f"{len(self.placed)} correction(s) applied, {len(self.unplaced)} not placed, "
                f"{self.glossary_replacements} glossary replacement(s)")


# ---------------------------------------------------------------- loading and validation


_ID_RE = re.compile(r"^t(\d+)b*$")


def _parse_at(value: Any) -> tuple[float, str, str | None, bool]:
    """(seconds, text as written, turn id or None, given to the whole second)."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise ValueError("not a time")
    if isinstance(value, str) and _ID_RE.match(value.strip()):
        text = value.strip()
        return int(_ID_RE.match(text).group(1)) / 1000.0, text, text, False
    seconds = parse_time(value)
    whole = isinstance(value, int) or (isinstance(value, str) and "." not in value)
    return seconds, str(value).strip(), None, whole


def _phrase_ok(text: Any) -> bool:
    return isinstance(text, str) and bool(_tokens(text))


def parse_corrections(data: Any, *, source: str = CORRECTIONS_FILE) -> Corrections:
    """Validate parsed corrections.yaml; all problems raised together (CorrectionsError)."""
    errors: list[str] = []
    warnings: list[str] = []
    if data is None:
        return Corrections(path=source)
    if not isinstance(data, dict):
        raise CorrectionsError(f"expected a mapping with `turns:` at the top, got a {type(data).__name__}",
                               path=source, hint="start the file with `turns:` and a list of entries")
    for key in data:
        if key != "turns":
            warnings.append(f"{source}: unknown key `{key}` ignored — the file has one key, `turns:`")
    raw = data.get("turns") or []
    if not isinstance(raw, list):
        raise CorrectionsError(f"turns: expected a list of entries (`- at: ...`), got a {type(raw).__name__}", path=source)
    entries: list[CorrectionEntry] = []
    for i, item in enumerate(raw):
        where = f"{source}: turns[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: expected a mapping (`- at: \"0:28\"` and a fix), got {item!r}")
            continue
        bad = False
        for key in item:
            if key not in ENTRY_KEYS:
                warnings.append(f"{where}: unknown key `{key}` ignored — expected one of {', '.join(ENTRY_KEYS)}")
        if "at" not in item:
            errors.append(f"{where}: at: missing — add `at: \"m:ss\"` (a moment inside the turn) or the turn id (t28400)")
            bad = True
            at = (0.0, "", None, True)
        else:
            try:
                at = _parse_at(item["at"])
            except ValueError:
                errors.append(f"{where}: at: {item['at']!r} is not a time — write \"m:ss\" or \"h:mm:ss\" (quoted), seconds, or a turn id like t28400")
                bad = True
                at = (0.0, "", None, True)
        pairs: list[tuple[str, str]] = []
        if "replace" in item:
            rep = item["replace"]
            if not isinstance(rep, dict) or not rep:
                errors.append(f"{where}: replace: expected a mapping of `phrase as heard: what was said`, got {rep!r}")
                bad = True
            else:
                for heard, said in rep.items():
                    if not _phrase_ok(heard):
                        errors.append(f"{where}: replace: empty phrase {heard!r} — write the words as heard, as text")
                        bad = True
                    elif not isinstance(said, str) or not said.strip():
                        errors.append(f"{where}: replace: {heard!r}: empty replacement — write what was said (quote it if it has `:` or `#`)")
                        bad = True
                    else:
                        pairs.append((heard, said))
        speaker = item.get("speaker")
        if "speaker" in item and (not isinstance(speaker, str) or not speaker.strip()):
            errors.append(f"{where}: speaker: expected a name, got {speaker!r}")
            bad = True
        split = item.get("split_at")
        if "split_at" in item and not _phrase_ok(split):
            errors.append(f"{where}: split_at: expected the words the new turn starts with, got {split!r}")
            bad = True
        merge = item.get("merge_with_previous", False)
        if not isinstance(merge, bool):
            errors.append(f"{where}: merge_with_previous: expected true or false, got {merge!r}")
            bad = True
            merge = False
        if merge and ("split_at" in item or "speaker" in item or "replace" in item):
            errors.append(f"{where}: merge_with_previous: cannot be combined with split_at, speaker or replace in one "
                          "entry — put them in an entry of their own")
            bad = True
        if not bad and not (pairs or "speaker" in item or "split_at" in item or merge):
            errors.append(f"{where}: nothing to do — add replace, speaker, split_at or merge_with_previous: true")
            bad = True
        if bad:
            continue
        entries.append(CorrectionEntry(
            index=i, at=at[0], at_text=at[1], turn=at[2], whole_second=at[3], replace=tuple(pairs),
            speaker=speaker.strip() if isinstance(speaker, str) else None,
            split_at=split if isinstance(split, str) else None, merge_with_previous=merge,
        ))
    errors += _conflicts(entries, source)
    if errors:
        raise CorrectionsError(f"{source}: {len(errors)} problem(s):\n  " + "\n  ".join(errors), path=source,
                               hint="fix them; nothing from this file was applied")
    return Corrections(path=source, entries=tuple(entries), warnings=tuple(warnings))


def _conflicts(entries: Sequence[CorrectionEntry], source: str) -> list[str]:
    """Entries that contradict each other on the same ``at``."""
    out: list[str] = []
    by_at: dict[Any, list[CorrectionEntry]] = {}
    for e in entries:
        by_at.setdefault(e.turn or round(e.at, 3), []).append(e)
    for group in by_at.values():
        for a_i, a in enumerate(group):
            for b in group[a_i + 1:]:
                if a.merge_with_previous and b.split_at is not None or b.merge_with_previous and a.split_at is not None:
                    out.append(f"{source}: {b.name}: conflicts with {a.name} — a merge and a split of the turn at "
                               f"{b.at_text}; keep one of them")
                elif a.merge_with_previous and b.merge_with_previous:
                    out.append(f"{source}: {b.name}: repeats {a.name} (merge of the turn at {b.at_text}) — delete one")
                elif (a.speaker and b.speaker and a.speaker != b.speaker and a.split_at is None and b.split_at is None):
                    out.append(f"{source}: {b.name}: conflicts with {a.name} — two speakers for the turn at "
                               f"{b.at_text} ({a.speaker!r}, {b.speaker!r}); keep one")
                elif a.split_at is not None and b.split_at is not None and _norm(a.split_at) == _norm(b.split_at):
                    if a.speaker != b.speaker:
                        out.append(f"{source}: {b.name}: conflicts with {a.name} — the same split with two speakers; keep one")
    return out


def load_corrections(session_dir: Path) -> Corrections:
    """Read and validate ``session_dir/corrections.yaml`` (empty when absent)."""
    path = Path(session_dir) / CORRECTIONS_FILE
    if not path.is_file():
        return Corrections(path=str(path))
    text = path.read_text(encoding="utf-8", errors="replace")
    return dataclasses.replace(parse_corrections(_read_yaml(path), source=str(path)), text=text)


def parse_glossary(data: Any, *, source: str = GLOSSARY_FILE) -> Glossary:
    if data is None:
        return Glossary(path=source)
    if not isinstance(data, dict):
        raise CorrectionsError(f"expected a mapping of `phrase as heard: how it is written`, got a {type(data).__name__}",
                               path=source, hint="one line per phrase, e.g. `I GF: IGF`")
    errors: list[str] = []
    warnings: list[str] = []
    entries: list[tuple[str, str]] = []
    seen: dict[tuple[str, ...], str] = {}
    for heard, written in data.items():
        where = f"{source}: {heard!r}"
        if not _phrase_ok(heard):
            errors.append(f"{where}: empty phrase — write the words as heard, as text")
        elif not isinstance(written, str) or not written.strip():
            errors.append(f"{where}: expected how it is written (text), got {written!r}")
        elif _tokens(heard) in seen:
            errors.append(f"{where}: the same words as {seen[_tokens(heard)]!r} — keep one")
        else:
            if _tokens(heard) == _tokens(written) and heard.strip() == written.strip():
                warnings.append(f"{where}: heard and written are the same — the entry does nothing")
            seen[_tokens(heard)] = heard
            entries.append((heard, written))
    if errors:
        raise CorrectionsError(f"{source}: {len(errors)} problem(s):\n  " + "\n  ".join(errors), path=source,
                               hint="fix them; nothing from this file was applied")
    return Glossary(path=source, entries=tuple(entries), warnings=tuple(warnings))


def load_glossary(recordings_dir: Path) -> Glossary:
    """Read and validate ``recordings_dir/glossary.yaml`` (empty when absent)."""
    path = Path(recordings_dir) / GLOSSARY_FILE
    if not path.is_file():
        return Glossary(path=str(path))
    text = path.read_text(encoding="utf-8", errors="replace")
    return dataclasses.replace(parse_glossary(_read_yaml(path), source=str(path)), text=text)


def glossary_terms(recordings_dir: Path) -> list[str]:
    """The glossary's written forms, for the ASR prompt (empty when there is no glossary)."""
    return load_glossary(recordings_dir).written_forms()


def fingerprint_parts(corrections: Corrections, glossary: Glossary) -> list[str]:
    """What the corrections stage's output depends on (entries as parsed, not comments or layout)."""
    return [repr([e.as_dict() for e in corrections.entries]), repr(list(glossary.entries))]


# ---------------------------------------------------------------- words and phrases


_TOKEN_RE = re.compile(r"[\w']+", re.UNICODE)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t.strip("'") for t in _TOKEN_RE.findall(_fold(text)) if t.strip("'"))


def _norm(text: str) -> str:
    return " ".join(_tokens(text))


def _word_tokens(words: Sequence[Word]) -> tuple[list[str], list[int]]:
    """Normalised tokens of the words, and for each token the index of its word."""
    toks: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        for t in _tokens(w.text):
            toks.append(t)
            owner.append(i)
    return toks, owner


@dataclass(frozen=True)
class _Match:
    first: int  # word indices, inclusive
    last: int
    score: float


def find_phrase(words: Sequence[Word], phrase: str, *, exact: bool = False) -> _Match | None:
    """Where ``phrase`` is in ``words``: normalised words, exact first, then fuzzily (small ASR differences)."""
    target = _tokens(phrase)
    toks, owner = _word_tokens(words)
    if not target or not toks:
        return None
    n = len(target)
    for i in range(len(toks) - n + 1):
        if tuple(toks[i:i + n]) == target:
            return _Match(owner[i], owner[i + n - 1], 1.0)
    if exact:
        return None
    goal = " ".join(target)
    best: tuple[float, _Match] | None = None
    for size in {max(1, n - 1), n, n + 1}:
        for i in range(len(toks) - size + 1):
            window = toks[i:i + size]
            text = " ".join(window)
            score = _ratio(goal, text)
            if score < MIN_SIMILARITY:
                continue
            # prefer a window that starts and ends like the phrase and is as long (measured on the
            # demo re-transcribed with tiny.en: "risk is human rights" for "risks human rights")
            rank = (score + 0.3 * (_ratio(target[0], window[0]) + _ratio(target[-1], window[-1])) / 2
                    - 0.5 * abs(len(text) - len(goal)) / len(goal))
            if best is None or rank > best[0]:
                best = (rank, _Match(owner[i], owner[i + size - 1], score))
    return best[1] if best else None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


_LEAD = re.compile(r"^\s*([^\w\s]*)")
_TRAIL = re.compile(r"([^\w\s]*)\s*$")


def _respell(words: Sequence[Word], m: _Match, heard: str, written: str) -> tuple[Word, ...]:
    """``words[m.first..m.last]`` replaced by ``written``, spread over the span they took.

    Punctuation around the replaced words (an opening quote, a closing comma) is kept unless the
    phrase as heard included it; the written words themselves are exactly the text given.
    """
    old = words[m.first:m.last + 1]
    lead = _LEAD.match(old[0].text.strip()).group(1)
    trail = _TRAIL.search(old[-1].text.strip()).group(1)
    if _LEAD.match(heard.strip()).group(1) or re.match(r"^\s*'", heard):
        lead = ""
    if _TRAIL.search(heard.strip()).group(1):
        trail = ""
    if written.rstrip()[-1:] in ".,;:!?…" and trail and trail in ".,;:!?…":
        trail = ""
    parts = written.split()
    parts[0] = lead + parts[0]
    parts[-1] = parts[-1] + trail
    start, end = old[0].start, old[-1].end
    if len(parts) == len(old):
        spans = [(w.start, w.end) for w in old]
    else:
        weights = [max(1, len(p)) for p in parts]
        total = float(sum(weights))
        spans, t = [], start
        for wgt in weights:
            t2 = t + (end - start) * wgt / total
            spans.append((t, t2))
            t = t2
    new = tuple(Word(start=sec(a), end=sec(b), text=" " + p, probability=1.0) for p, (a, b) in zip(parts, spans))
    return tuple(words[:m.first]) + new + tuple(words[m.last + 1:])


def _join(words: Sequence[Word]) -> str:
    return "".join(w.text for w in words).strip()


def _text_replace(text: str, heard: str, written: str) -> str | None:
    """For a turn whose text is not its words (official captions): the phrase replaced in the text."""
    toks = _tokens(heard)
    rx = re.compile(r"(?<![\w'])" + r"[^\w]+".join(re.escape(t) for t in toks) + r"(?![\w'])", re.IGNORECASE)
    m = rx.search(text)
    if not m:
        return None
    return text[:m.start()] + written.strip() + text[m.end():]


def _with_words(turn: Turn, words: tuple[Word, ...], heard: str, written: str) -> Turn:
    if turn.text == _join(turn.words):
        text = _join(words)
    else:
        text = _text_replace(turn.text, heard, written) or turn.text
    return dataclasses.replace(turn, words=words, text=text, start=sec(words[0].start), end=sec(words[-1].end))


def _add(turn: Turn, change: TurnCorrection) -> Turn:
    return dataclasses.replace(turn, corrections=(turn.corrections or ()) + (change,))


# ---------------------------------------------------------------- anchoring


def _distance(turn: Turn, t: float, width: float) -> float:
    return max(turn.start - (t + width), t - turn.end, 0.0)


def _home(turns: Sequence[Turn], entry: CorrectionEntry) -> int | None:
    """The index of the turn ``at`` points at: its id, the turn the site stamps with that second,
    the turn containing it, else the nearest within TOLERANCE."""
    if entry.turn:
        for i, t in enumerate(turns):
            if t.id == entry.turn:
                return i
    width = 1.0 if entry.whole_second else 0.0
    stamped = [i for i, t in enumerate(turns) if entry.whole_second and int(t.start + 1e-9) == int(entry.at)]
    if stamped:
        return stamped[0]
    best = min(range(len(turns)), key=lambda i: (_distance(turns[i], entry.at, width), turns[i].start), default=None)
    if best is None or _distance(turns[best], entry.at, width) > TOLERANCE:
        return None
    return best


def _near(turns: Sequence[Turn], home: int | None, entry: CorrectionEntry) -> list[int]:
    """Turns where a phrase may be: the home turn first, then its neighbours by distance."""
    width = 1.0 if entry.whole_second else 0.0
    cands = [i for i, t in enumerate(turns) if _distance(t, entry.at, width) <= TOLERANCE]
    if home is not None:
        cands = sorted(set(cands) | {j for j in (home - 1, home, home + 1) if 0 <= j < len(turns)})
    return sorted(cands, key=lambda i: (i != home, _distance(turns[i], entry.at, width)))


def _place_phrases(turns: Sequence[Turn], entry: CorrectionEntry, phrases: Sequence[str]) -> tuple[int | None, str]:
    """The turn holding every phrase (best total similarity; the home turn wins ties)."""
    home = _home(turns, entry)
    best: tuple[float, int] | None = None
    for rank, i in enumerate(_near(turns, home, entry)):
        matches = [find_phrase(turns[i].words, p) for p in phrases]
        if all(matches):
            score = sum(m.score for m in matches) / len(matches) - 0.01 * rank
            if best is None or score > best[0]:
                best = (score, i)
    if best is None:
        where = f"turn {turns[home].id}" if home is not None else "no turn"
        said = "; ".join(repr(p) for p in phrases)
        return None, f"{said} not found near {entry.at_text} ({where} and its neighbours) — fix the phrase or the time, or delete the entry"
    return best[1], ""


# ---------------------------------------------------------------- applying


def _apply_glossary(turns: list[Turn], glossary: Glossary) -> int:
    count = 0
    for heard, written in glossary.entries:
        source = f"{Path(glossary.path).name} {heard!r}"
        for k, turn in enumerate(turns):
            start = 0
            while True:
                m = _find_from(turn.words, heard, start)
                if m is None:
                    break
                before = _join(turn.words[m.first:m.last + 1])
                words = _respell(turn.words, m, heard, written)
                added = len(words) - len(turn.words)
                after = _join(words[m.first:m.last + 1 + added])
                start = m.last + 1 + added
                if after == before:
                    continue
                turn = _add(_with_words(turn, words, heard, written), TurnCorrection(kind="glossary", source=source, before=before, after=after))
                count += 1
            turns[k] = turn
    return count


def _find_from(words: Sequence[Word], phrase: str, start: int) -> _Match | None:
    m = find_phrase(words[start:], phrase, exact=True)
    return _Match(m.first + start, m.last + start, m.score) if m else None


def _unique_id(turns: Sequence[Turn], start: float, skip: Turn | None = None) -> str:
    used = {t.id for t in turns if t is not skip}
    tid = turn_id(start)
    while tid in used:
        tid += "b"
    return tid


def _apply_entry(turns: list[Turn], entry: CorrectionEntry, source: str) -> tuple[str | None, str]:
    """Apply one entry to ``turns`` in place; (turn id, what was done) or (None, why not)."""
    if not turns:
        return None, "the session has no turns"
    if entry.merge_with_previous:
        i = _home(turns, entry)
        if i is None:
            return None, f"no turn at {entry.at_text} (within {TOLERANCE:g} s) — fix the time or delete the entry"
        t = turns[i]
        if abs(t.start - entry.at) > TOLERANCE and entry.turn != t.id:
            return None, f"no turn starts near {entry.at_text}: its words are inside {t.id} ({mmss(t.start)}–{mmss(t.end)}) already"
        if i == 0:
            return None, f"{t.id} is the first turn: there is nothing before it to merge with"
        prev = turns[i - 1]
        merged = dataclasses.replace(prev, end=max(prev.end, t.end), words=prev.words + t.words,
                                     text=f"{prev.text} {t.text}".strip(),
                                     corrections=(prev.corrections or ()) + (t.corrections or ()) or None)
        turns[i - 1:i + 1] = [_add(merged, TurnCorrection(kind="merge", source=source, before=t.id, after=prev.id))]
        return prev.id, f"{t.id} ({t.speaker}) joined to {prev.id} ({prev.speaker})"
    phrases = [h for h, _ in entry.replace] + ([entry.split_at] if entry.split_at is not None else [])
    if phrases:
        i, why = _place_phrases(turns, entry, phrases)
        if i is None:
            return None, why
    else:
        i = _home(turns, entry)
        if i is None:
            return None, f"no turn at {entry.at_text} (within {TOLERANCE:g} s) — fix the time or delete the entry"
    done: list[str] = []
    turn = turns[i]
    for heard, written in entry.replace:
        m = find_phrase(turn.words, heard)
        before = _join(turn.words[m.first:m.last + 1])
        words = _respell(turn.words, m, heard, written)
        after = _join(words[m.first:m.last + 1 + len(words) - len(turn.words)])
        if after == before:
            done.append(f"{before!r} already so")
            continue
        turn = _add(_with_words(turn, words, heard, written), TurnCorrection(kind="replace", source=source, before=before, after=after))
        done.append(f"{before!r} → {after!r}")
    target = turn
    if entry.split_at is not None:
        m = find_phrase(turn.words, entry.split_at)
        if m.first == 0:
            done.append("already starts a turn")
        else:
            head_words, tail_words = turn.words[:m.first], turn.words[m.first:]
            new_id = _unique_id(turns, tail_words[0].start, skip=turns[i])
            head = _with_part(turn, head_words)
            tail = dataclasses.replace(_with_part(turn, tail_words), id=new_id, corrections=None)
            change = TurnCorrection(kind="split", source=source, before=turn.id, after=new_id)
            turns[i:i + 1] = [_add(head, change), _add(tail, change)]
            i, turn, target = i + 1, turns[i + 1], turns[i + 1]
            done.append(f"split: {new_id} starts at {_join(tail_words[:4])!r}")
    if entry.speaker is not None and entry.speaker != target.speaker:
        target = _add(dataclasses.replace(target, speaker=entry.speaker),
                      TurnCorrection(kind="speaker", source=source, before=target.speaker, after=entry.speaker))
        done.append(f"speaker {turn.speaker!r} → {entry.speaker!r}")
    elif entry.speaker is not None:
        done.append(f"speaker already {entry.speaker!r}")
    turns[i] = target
    return target.id, "; ".join(done)


def _with_part(turn: Turn, words: Sequence[Word]) -> Turn:
    words = tuple(words)
    if turn.text == _join(turn.words):
        text = _join(words)
    else:  # caption text: cut it where the words are (by proportion of words)
        share = len(words) / max(1, len(turn.words))
        cut = turn.text.split()
        k = round(len(cut) * share)
        text = " ".join(cut[:k] if words[0] is turn.words[0] else cut[len(cut) - k:])
    return dataclasses.replace(turn, words=words, text=text, start=sec(words[0].start), end=sec(words[-1].end))


def apply_corrections(
    turns: Turns,
    corrections: Corrections = EMPTY_CORRECTIONS,
    glossary: Glossary = EMPTY_GLOSSARY,
) -> tuple[Turns, CorrectionsReport]:
    """The turns with the glossary, then each entry in file order, applied (a pure function).

    An entry finds its turn by time (``at``) *and*, for ``replace``/``split_at``, by its phrase (fuzzily,
    in that turn or a neighbour), so it is placed again when the session is re-transcribed. An entry
    that cannot be placed is reported (``report.lines()``) and changes nothing.
    """
    if any(t.corrections for t in turns.turns):
        raise ValueError("these turns are already corrected: apply corrections to the turns attribute and naming made")
    work = list(turns.turns)
    n_glossary = _apply_glossary(work, glossary) if glossary.entries else 0
    placements: list[Placement] = []
    for entry in corrections.entries:
        name = f"{corrections.path} {entry.name}"
        source = f"{Path(corrections.path).name} {entry.name}"
        tid, detail = _apply_entry(work, entry, source)
        placements.append(Placement(entry=name, placed=tid is not None, turn=tid, detail=detail))
    if n_glossary == 0 and not any(p.placed for p in placements):
        return turns, CorrectionsReport(placements=tuple(placements))
    return (dataclasses.replace(turns, turns=tuple(work)),
            CorrectionsReport(placements=tuple(placements), glossary_replacements=n_glossary))


# ---------------------------------------------------------------- writing entries


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar (always quoted: times, colons, `#` and hostile text stay literal)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def entry_yaml(turn: Turn, turns: Sequence[Turn] | None = None, *, speaker: str | None = None,
               replace: Mapping[str, str] | None = None) -> str:
    """The corrections.yaml entry for ``turn``, ready to paste under ``turns:`` (two-space indented list item).

    ``at`` is the turn's time stamp as the site shows it; the turn id when another of ``turns``
    starts in the same second.  Without ``speaker``/``replace`` the entry is a template: the turn's
    speaker and its first words as a phrase to edit (``replace``), which a maintainer completes.
    """
    same_second = [t for t in (turns or ()) if int(t.start + 1e-9) == int(turn.start + 1e-9)]
    at = turn.id if len(same_second) > 1 else mmss(turn.start)
    lines = [f"  - at: {_yaml_str(at)}    # {turn.id}, {_one_line(turn.speaker)}"]
    if replace is None and speaker is None:
        phrase = " ".join(turn.text.split()[:6])
        lines += ["    replace:                # the words as heard: what was said", f"      {_yaml_str(phrase)}: {_yaml_str(phrase)}",
                  f"    # speaker: {_yaml_str(turn.speaker)}"]
    else:
        if replace:
            lines.append("    replace:")
            lines += [f"      {_yaml_str(h)}: {_yaml_str(w)}" for h, w in replace.items()]
        if speaker is not None:
            lines.append(f"    speaker: {_yaml_str(speaker)}")
    return "\n".join(lines) + "\n"


def check_entry(data: Mapping[str, Any], turns: Turns, existing: Corrections = EMPTY_CORRECTIONS) -> CorrectionEntry:
    """Validate one new entry (with the existing ones, for conflicts) and place it on ``turns``.

    Raises CorrectionsError (one line) when it is invalid, conflicts or cannot be placed.
    """
    raw = {"turns": [e.as_dict() for e in existing.entries] + [dict(data)]}
    parsed = parse_corrections(raw, source=existing.path)
    entry = parsed.entries[-1]
    # the entry applies after the existing ones: on turns.json as the pipeline wrote it (already corrected),
    # or on uncorrected turns after applying them
    already = any(t.corrections for t in turns.turns)
    current = turns if already else apply_corrections(turns, existing)[0]
    tid, why = _apply_entry(list(current.turns), entry, "")
    if tid is None:
        raise CorrectionsError(f"the new entry cannot be placed on the current turns.json: {why}", path=existing.path)
    return entry


def _block(entry: Mapping[str, Any]) -> str:
    lines = [f"  - at: {_yaml_str(str(entry['at']))}"]
    if entry.get("replace"):
        lines.append("    replace:")
        lines += [f"      {_yaml_str(h)}: {_yaml_str(w)}" for h, w in entry["replace"].items()]
    if entry.get("split_at") is not None:
        lines.append(f"    split_at: {_yaml_str(entry['split_at'])}")
    if entry.get("speaker") is not None:
        lines.append(f"    speaker: {_yaml_str(entry['speaker'])}")
    if entry.get("merge_with_previous"):
        lines.append("    merge_with_previous: true")
    return "\n".join(lines) + "\n"


HEADER = ("# Human corrections to this session's transcript (see README: Correcting a transcript).\n"
          "# Each entry finds its turn by time and by its words, so it survives re-transcription.\n")


def append_entry(session_dir: Path, entry: Mapping[str, Any]) -> Path:
    """Append ``entry`` to ``session_dir/corrections.yaml``, keeping every existing entry and comment.

    The text is appended (not re-dumped), then the file is read back: the old entries plus the new
    one, or nothing is written.
    """
    from .core.fsutil import write_text_atomic

    path = Path(session_dir) / CORRECTIONS_FILE
    old_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    old = parse_corrections(_read_yaml(path), source=str(path)) if old_text else Corrections(path=str(path))
    block = _block(entry)
    sep = "" if not old_text or old_text.endswith("\n") else "\n"
    candidates = []
    if not old_text.strip():
        candidates.append(HEADER + "turns:\n" + block)
    else:
        candidates.append(old_text + sep + block)  # the usual case: `turns:` is the last key, in block style
        candidates.append(old_text + sep + block.replace("\n  ", "\n").removeprefix("  "))  # a list written at column 0
        candidates.append(old_text + sep + "turns:\n" + block)  # no `turns:` yet
        # last resort (e.g. `turns: []`): `turns:` rewritten, comments above it kept
        head = re.split(r"(?m)^turns:.*$", old_text, maxsplit=1)[0]
        candidates.append(head + ("" if not head or head.endswith("\n") else "\n") + "turns:\n"
                          + "".join(_block(e.as_dict()) for e in old.entries) + block)
    want = [e.as_dict() for e in old.entries] + [_normal(entry)]
    for text in candidates:
        try:
            new = parse_corrections(yaml.load(text, Loader=YamlLoader), source=str(path))
        except (yaml.YAMLError, CorrectionsError):
            continue
        if [e.as_dict() for e in new.entries] == want:
            write_text_atomic(path, text)
            return path
    raise CorrectionsError("could not append the entry without changing the others — add it by hand", path=path)


def _normal(entry: Mapping[str, Any]) -> dict[str, Any]:
    return parse_corrections({"turns": [dict(entry)]}).entries[0].as_dict()
