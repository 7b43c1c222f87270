"""How good a summary is, against the script of a synthetic session.

``score_summary(summary, turns, reference, roster)`` reports, for one session:

- **length**: words of the summary (abstract, items, speaker points, quotes), of
  the transcript, their ratio, and the budget (``summarize.budget``) it should keep;
- **repetition**: pairs of published sentences that share a run of 8 words
  (generated sentences among themselves, and quotes against them);
- **pronouns**: first- and second-person pronouns outside quotation marks in the
  generated sentences;
- **misheard words**: each published sentence's words against the reference
  words of the turns it cites (the reference turns that overlap them in time),
  aligned in order; a word the script does not have there was misheard. Words
  the summary writes itself — names, reporting verbs, "that", pronouns — are not
  counted; sentences made only of the roster (who took part, who opened) neither;
- **links**: sentences whose cited turns all exist.

    python -m rapporteur.eval.summary SESSION_DIR [--summary summary.json] [--turns turns.json] [--json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..core.records import Summary, Turns, summary_from_dict, turns_from_dict
from ..reported import person_pronouns
from ..summarize import SummarizeOptions, budget, published_claims, shares_run
from .metrics import normalize_english

_FRAME = set(normalize_english("she he her his him hers himself herself they their them theirs themselves s"))
_ROSTER_TEMPLATE = set(normalize_english(
    "the round table workshop panel open forum town hall keynote lightning talk session moderated by brought together "
    "and opened introduced heard from its moderators"))
_VERBS = ("said|noted|pointed out|observed|explained|argued|stressed|warned|proposed|disagreed|doubted|asked|"
          "urged participants|added|agreed|concluded")
_LEAD = re.compile(rf"^(summing up, )?.{{0,80}}? (also )?({_VERBS})( with .{{0,60}}?)?( that|, saying that|:| to)?\s+", re.I)


@dataclass(frozen=True, kw_only=True)
class SentenceScore:
    section: str  # abstract | item | speaker | quote
    text: str
    counted: int  # words compared with the script
    misheard: int
    misheard_words: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SummaryScore:
    session: str
    transcript_words: int
    summary_words: int
    budget_words: int
    abstract_words: int
    abstract_budget: int
    max_item_sentences: int
    max_speaker_points: int
    generated_sentences: int
    quotes: int
    repeated_pairs: int  # generated sentences sharing a run of 8 words
    quotes_repeating: int  # quotes sharing a run of 8 words with a generated sentence
    pronouns: int  # first/second person outside quotation marks, generated sentences
    unlinked: int  # sentences citing a turn that does not exist (or none)
    counted_words: int
    misheard_words: int
    sentences: tuple[SentenceScore, ...] = field(default_factory=tuple)

    @property
    def misheard_share(self) -> float:
        return self.misheard_words / self.counted_words if self.counted_words else 0.0

    @property
    def within_budget(self) -> bool:
        return self.summary_words <= self.budget_words and self.abstract_words <= max(self.abstract_budget, 1)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["misheard_share"] = round(self.misheard_share, 4)
        d["share_of_transcript"] = round(self.summary_words / self.transcript_words, 4) if self.transcript_words else 0.0
        d["within_budget"] = self.within_budget
        return d


def _reference_words(reference: Mapping[str, Any], spans: Sequence[tuple[float, float]]) -> list[str]:
    out: list[str] = []
    for t in sorted(reference.get("turns", []), key=lambda t: t["start"]):
        if any(t["start"] < b + 2.0 and t["end"] > a - 2.0 for a, b in spans):
            out += normalize_english(t["text"])
    return out


def _score_text(text: str, ref: list[str], skip: set[str], *, generated: bool = True) -> tuple[int, list[str]]:
    """Words of ``text`` compared with ``ref`` (in order), and those the script does not have there.

    A generated sentence's frame ("Ana Ferreira argued that") is not compared, nor the words the summary
    substitutes (names, third-person pronouns); a verb it conjugated ("invite" → "invites") matches its stem.
    """
    if generated:
        text = _LEAD.sub("", text, count=1)
    words = normalize_english(text)
    sm = difflib.SequenceMatcher(None, words, ref, autojunk=False)
    matched = set()
    for a, _, n in sm.get_matching_blocks():
        matched.update(range(a, a + n))
    near = set(ref)
    counted = [k for k, w in enumerate(words) if not (generated and w in skip)]
    wrong = [words[k] for k in counted if k not in matched
             and not (generated and (w := words[k]).endswith("s") and {w[:-1], w[:-2], w[:-3] + "y"} & near)]
    return len(counted), wrong


def score_summary(summary: Summary, turns: Turns, reference: Mapping[str, Any], roster: Sequence[Mapping[str, str]] = (),
                  *, session: str = "", options: SummarizeOptions = SummarizeOptions()) -> SummaryScore:
    """The figures above for one session (``roster``: the session's people, name and affiliation)."""
    by_id = {t.id: t for t in turns.turns}
    names = {t.speaker or t.label for t in turns.turns} | {p.get("name", "") for p in roster}
    skip = set(_FRAME)
    for n in names:
        skip.update(w for t in normalize_english(n) for w in (t, t + "'s"))  # "Ana Ferreira's network"
    roster_words = set(skip) | _ROSTER_TEMPLATE
    for p in roster:
        roster_words.update(normalize_english(p.get("affiliation", "")))
    plan = budget(turns, options)
    sections = ([("abstract", c) for c in summary.abstract] + [("item", c) for i in summary.items for c in i.sentences]
                + [("speaker", c) for s in summary.speakers for c in s.points])
    scores, unlinked = [], 0
    for section, c in sections:
        cited = [by_id[i] for i in c.turns if i in by_id]
        if not cited or len(cited) < len(c.turns):
            unlinked += 1
        if all(w in roster_words for w in normalize_english(c.text)):
            continue  # who took part / who opened: the roster's words
        counted, wrong = _score_text(c.text, _reference_words(reference, [(t.start, t.end) for t in cited]), skip)
        scores.append(SentenceScore(section=section, text=c.text, counted=counted, misheard=len(wrong),
                                    misheard_words=tuple(wrong)))
    for q in summary.quotes:
        t = by_id.get(q.turn)
        if t is None:
            unlinked += 1
            continue
        counted, wrong = _score_text(q.text, _reference_words(reference, [(t.start, t.end)]), set(), generated=False)
        scores.append(SentenceScore(section="quote", text=q.text, counted=counted, misheard=len(wrong),
                                    misheard_words=tuple(wrong)))
    generated = [c.text for c in published_claims(summary)]
    pairs = sum(shares_run(a, b, options.repeat_words) for k, a in enumerate(generated) for b in generated[k + 1:])
    quote_rep = sum(any(shares_run(q.text, g, options.repeat_words) for g in generated) for q in summary.quotes)
    words = sum(len(x.split()) for x in generated) + sum(len(q.text.split()) for q in summary.quotes)
    return SummaryScore(
        session=session, transcript_words=plan.transcript_words, summary_words=words, budget_words=plan.total,
        abstract_words=sum(len(c.text.split()) for c in summary.abstract), abstract_budget=plan.abstract,
        max_item_sentences=max((len(i.sentences) for i in summary.items), default=0),
        max_speaker_points=max((len(s.points) for s in summary.speakers), default=0),
        generated_sentences=len(generated), quotes=len(summary.quotes), repeated_pairs=pairs, quotes_repeating=quote_rep,
        pronouns=sum(person_pronouns(x) for x in generated), unlinked=unlinked,
        counted_words=sum(s.counted for s in scores), misheard_words=sum(s.misheard for s in scores),
        sentences=tuple(scores))


def score_folder(folder: Path, *, summary: Path | None = None, turns: Path | None = None,
                 options: SummarizeOptions = SummarizeOptions()) -> SummaryScore:
    """``score_summary`` on a session folder's summary.json, turns.json, reference.json and session.yaml."""
    import yaml

    s = summary_from_dict(json.loads((summary or folder / "summary.json").read_text(encoding="utf-8")))
    t = turns_from_dict(json.loads((turns or folder / "turns.json").read_text(encoding="utf-8")))
    ref = json.loads((folder / "reference.json").read_text(encoding="utf-8"))
    doc = yaml.safe_load((folder / "session.yaml").read_text(encoding="utf-8")) or {}
    roster = [p for p in doc.get("speakers") or [] if isinstance(p, dict)]
    return score_summary(s, t, ref, roster, session=folder.name, options=options)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--summary", type=Path)
    ap.add_argument("--turns", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    missing = [p for p in (args.summary or args.folder / "summary.json", args.turns or args.folder / "turns.json",
                           args.folder / "reference.json", args.folder / "session.yaml") if not p.is_file()]
    if missing:
        print(f"error: {missing[0]} does not exist — run the pipeline on a synthetic session (it has reference.json)",
              file=sys.stderr)
        return 2
    score = score_folder(args.folder, summary=args.summary, turns=args.turns)
    if args.json:
        print(json.dumps(score.as_dict(), indent=1, ensure_ascii=False))
    else:
        d = score.as_dict()
        for k in ("summary_words", "budget_words", "abstract_words", "abstract_budget", "repeated_pairs", "pronouns",
                  "misheard_share", "unlinked"):
            print(f"{k}: {d[k]}")
        for s in score.sentences:
            if s.misheard:
                print(f"  {s.section}: {s.misheard}/{s.counted} {list(s.misheard_words)} — {s.text[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
