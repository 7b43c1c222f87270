"""Generate a synthetic archive for the site scale run: N ninety-minute sessions.

Each session gets a session.yaml (a YouTube recording, a roster of 4-8 people
drawn from a shared pool, so people recur across sessions, and an agenda),
a turns.json (about 13,500 words over 90 minutes, in turns of 10 s to 3 min,
some by unnamed "Speaker N" voices) and an agenda.json.  Words follow a Zipf
distribution over a 25,000-word vocabulary (English function words plus
made-up words), which is what a search index's size depends on.  One session
holds the phrase ``PLANTED`` so a query has a known answer.

    python benchmarks/make_archive.py /tmp/scale/recordings --sessions 300
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import zlib
from pathlib import Path

import yaml

PLANTED = "interoperable complaint mechanisms across jurisdictions"
FUNCTION_WORDS = (
    "the of and to a in that is for it we on with as this be are have not at by our from they "
    "but or which an will can more their there all would about what so if has one also been "
    "when who do these should need people how us other them because very think just than"
).split()
SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu " \
            "ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu gov net dig pol reg".split()
FIRST = "Amina Bu Carlos Daniela Elif Fatima Grace Hiro Ines Jana Kofi Lina Mateo Nadia Omar Priya Quentin Rosa " \
        "Sami Tanja Umar Vera Wei Xenia Yusuf Zara Ana David Peter Sarah".split()
LAST = "Abadi Brown Chen Dubois Eze Fernandes Garcia Haddad Ivanova Jensen Kim Lopez Mensah Nakamura Okafor " \
       "Petrov Quispe Rossi Singh Tanaka Usman Varga Wang Xu Yilmaz Zhou Novak Ferreira Collins Hu".split()
ROLES = ["moderator", "speaker", "speaker", "speaker", "rapporteur", "online moderator"]
GROUPS = ["Civil Society", "Government", "Private Sector", "Technical Community", "Intergovernmental Organization"]
REGIONS = ["African Group", "Asia-Pacific Group", "Eastern European Group",
           "Latin American and Caribbean Group (GRULAC)", "Western European and Others Group (WEOG)"]


def vocabulary(rng: random.Random, size: int = 25_000) -> list[str]:
    words = list(FUNCTION_WORDS)
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def sentence(rng: random.Random, vocab: list[str], weights: list[float]) -> str:
    n = rng.randint(6, 22)
    words = rng.choices(vocab, cum_weights=weights, k=n)
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice([".", ".", ".", "?", ","]).replace(",", ".")


def make_session(i: int, out: Path, rng: random.Random, vocab: list[str], weights: list[float],
                 people: list[dict], minutes: float = 90.0) -> None:
    year = 2016 + i % 9
    date = dt.date(year, 11, 1) + dt.timedelta(days=i % 28)
    sid = f"igf{year}-ws{i:03d}"
    folder = out / sid
    folder.mkdir(parents=True, exist_ok=True)
    roster = rng.sample(people, rng.randint(4, 8))
    agenda = [{"title": f"Agenda item {k + 1}: " + " ".join(rng.choices(vocab[100:3000], k=5)),
               "start": f"{k * 20 // 60}:{k * 20 % 60:02d}:00"} for k in range(4)]
    session = {
        "title": f"Workshop {i}: " + " ".join(rng.choices(vocab[100:5000], k=6)).capitalize(),
        "event": f"IGF {year}",
        "date": date.isoformat(),
        "recording": f"https://www.youtube.com/watch?v=v{i:010d}",
        "language": "en",
        "format": "Round Table - 90 Min",
        "description": " ".join(sentence(rng, vocab, weights) for _ in range(4)),
        "speakers": roster,
        "agenda": agenda,
    }
    (folder / "session.yaml").write_text(yaml.safe_dump(session, sort_keys=False, allow_unicode=True), encoding="utf-8")

    turns, t, end = [], 1.0, minutes * 60
    planted_at = rng.randint(10, 60) if i == 7 else -1
    while t < end - 5:
        who = rng.random()
        speaker = roster[0]["name"] if who < 0.3 else (f"Speaker {rng.randint(1, 3)}" if who > 0.93 else rng.choice(roster)["name"])
        length = min(rng.choice([10, 20, 40, 60, 90, 120, 180]) * rng.uniform(0.6, 1.2), end - t)
        n_words = int(length * 2.5)  # 150 words a minute
        sents, count = [], 0
        while count < n_words:
            s = sentence(rng, vocab, weights)
            sents.append(s)
            count += len(s.split())
        if len(turns) == planted_at:
            sents.insert(1, f"We need {PLANTED}.")
        text = " ".join(sents)
        turns.append({"id": f"t{int(round(t * 1000))}", "start": round(t, 3), "end": round(t + length, 3),
                      "label": f"SPEAKER_{zlib.crc32(speaker.encode()) % 100:02d}", "speaker": speaker, "text": text, "words": []})
        t += length + rng.uniform(0.2, 1.5)
    doc = {"schema_version": 1, "turns": turns, "speakers": {}, "language": "en", "duration": end,
           "parameters": {"generator": "benchmarks/make_archive.py"}, "inputs": ""}
    (folder / "turns.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    items = [{"title": a["title"], "start": k * 1200.0, "source": "session"} for k, a in enumerate(agenda)]
    (folder / "agenda.json").write_text(json.dumps({"schema_version": 1, "items": items, "inputs": ""}), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="the recordings/ folder to create")
    ap.add_argument("--sessions", type=int, default=300)
    ap.add_argument("--minutes", type=float, default=90.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    vocab = vocabulary(rng)
    weights, acc = [], 0.0
    for rank in range(1, len(vocab) + 1):  # Zipf: frequency ∝ 1/rank
        acc += 1.0 / rank
        weights.append(acc)
    names = sorted({f"{f} {l}" for f in FIRST for l in LAST})
    rng.shuffle(names)
    people = [{"name": n, "role": rng.choice(ROLES), "affiliation": f"{rng.choice(LAST)} Institute",
               "stakeholder_group": rng.choice(GROUPS), "region": rng.choice(REGIONS)} for n in names[:600]]
    for i in range(args.sessions):
        make_session(i, args.out, rng, vocab, weights, people, args.minutes)
    print(f"{args.sessions} sessions of {args.minutes:g} min in {args.out}/ (phrase: {PLANTED!r} in session 7)")


if __name__ == "__main__":
    main()
