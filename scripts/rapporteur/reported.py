"""reported: one sentence of a transcript as a rapporteur reports it.

``analyse(text)`` reads the move a cleaned sentence opens with ("I think",
"I agree with X that", "I disagree", "I propose", "to conclude", "so we hear",
"let us", a question) and ``Reporter.report`` writes it in reported speech:

- the verb fits the move: argued, proposed, disagreed, doubted, concluded,
  asked, warned, stressed, agreed; "Summing up, …" only for a closing turn;
- first person turns into third: "our network" → "her network", or
  "Ana Ferreira's network" when the person's gender is not known (from the
  session.yaml ``honorific``: Ms → she, Mr → he, anything else: the name);
  "I think" is dropped (the verb says it);
- what cannot be turned safely (we, you, a second "I" of someone whose
  gender is not known) is quoted verbatim in quotation marks, when the
  caller says the words may be quoted (a run of the turn's words, heard
  with confidence); otherwise the sentence is not published (None).

``person_pronouns(text)`` counts first- and second-person pronouns outside
quotation marks: a reported sentence has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

FILLER = re.compile(r"\b(um+|uh+|erm+|er|ah+|hmm+|mm+)\b[,.]?|,?\s*\b(you know|i mean)\b,?", re.I)
_LEAD = re.compile(r"^((so|and|but|well|okay|ok|yes|right|now|also|actually|basically|look|partly|indeed|"
                   r"absolutely|exactly|sure|of course|first|firstly|second|secondly|third|thirdly|lastly)\b[,]?|"
                   r"thank you( very much| all| both)?(, [A-Z][\w'-]*)?[,.!]|thanks[,.!])\s+(?=\S)", re.I)


def clean(text: str) -> str:
    """A sentence without fillers, stutters or leading discourse markers."""
    t = FILLER.sub(" ", " " + text + " ")
    t = re.sub(r"\b(\w+)( \1\b)+", r"\1", t, flags=re.I)  # "the the"
    t = " ".join(t.split())
    t = re.sub(r"\s+([,.;:!?])", r"\1", t)
    t = re.sub(r"^[,;:\s]+", "", t)
    prev = None
    while prev != t:
        prev, t = t, _LEAD.sub("", t)
    return t[:1].upper() + t[1:] if t else t


# ------------------------------------------------------------------ pronouns

_FIRST = r"i|me|my|mine|myself|i'm|i've|i'd|i'll|we|us|our|ours|ourselves|we're|we've|we'd|we'll|let's"
_SECOND = r"you|your|yours|yourself|yourselves|you're|you've|you'd|you'll"
PERSON = re.compile(rf"(?<![\w'’])({_FIRST}|{_SECOND})(?![\w'’])", re.I)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def person_pronouns(text: str) -> int:
    """First- and second-person pronouns outside quotation marks."""
    return len(PERSON.findall(_QUOTED.sub(" ", text.replace("’", "'"))))


_SHE = {"ms", "mrs", "miss", "madam", "mme", "madame", "dame", "lady", "mademoiselle", "sra", "frau"}
_HE = {"mr", "sir", "lord", "monsieur", "sr", "herr"}


@dataclass(frozen=True)
class Voice:
    """How the summary refers to a speaker: the full name, and a pronoun only when the gender is known."""

    name: str
    pronoun: str | None = None  # "she" | "he" | None

    @property
    def forms(self) -> dict[str, str] | None:
        if self.pronoun == "she":
            return {"subj": "she", "obj": "her", "poss": "her", "own": "hers", "self": "herself"}
        if self.pronoun == "he":
            return {"subj": "he", "obj": "him", "poss": "his", "own": "his", "self": "himself"}
        return None


def voice(name: str, honorific: str = "") -> Voice:
    """The speaker's voice in the summary: "Ms"/"Mrs" → she, "Mr" → he; "Dr", "Prof.", "H.E." say nothing of gender."""
    h = re.sub(r"[^a-z]", "", (honorific or "").lower())
    return Voice(name=name, pronoun="she" if h in _SHE else "he" if h in _HE else None)


_MODALS = {"can", "could", "will", "would", "shall", "should", "may", "might", "must", "did", "was", "had", "used",
           "ought", "cannot", "can't", "couldn't", "won't", "wouldn't", "shouldn't", "mustn't", "didn't", "wasn't"}
_PAST = {"said", "saw", "thought", "knew", "took", "made", "went", "came", "gave", "found", "told", "felt", "left",
         "met", "got", "began", "wrote", "spoke", "heard", "led", "ran", "became", "brought", "built", "taught"}
_ADVERBS = {"also", "really", "strongly", "just", "still", "always", "often", "never", "only", "fully", "truly",
            "personally", "actually", "certainly", "generally", "usually", "particularly", "mainly", "now", "already"}
_THIRD = {"am": "is", "'m": "is", "have": "has", "'ve": "has", "do": "does", "don't": "doesn't", "go": "goes",
          "'d": "would", "'ll": "will", "are": "is", "were": "was"}


def third_singular(verb: str) -> str:
    """The verb after "she"/"he" for the verb after "I" ("work" → "works", "am" → "is", "can" → "can")."""
    low = verb.lower()
    if low in _THIRD:
        return _THIRD[low]
    if low in _MODALS or low in _PAST or (low.endswith("ed") and not low.endswith("eed")) or not low.isalpha():
        return verb
    if re.search(r"(s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


_NOT_VERBS = {"and", "or", "but", "as", "in", "at", "to", "from", "for", "with", "myself", "too", "the", "a", "an", "who"}
_ORG = (r"network|company|organi[sz]ation|ministry|government|team|institute|university|foundation|agency|department|"
        r"office|project|programme|program|association|group|centre|center|lab|coalition|initiative|community|members|"
        r"research|work|colleagues|country|region|city|sector|platform|service|firm|business|industry|council|commission")
_OUR_ORG = re.compile(rf"(?<![\w'’])our(?= (?:own |new |small |local |national )?(?:{_ORG})\b)", re.I)
_I_VERB = re.compile(r"(?<![\w'’])I(?:(['’](?:m|ve|d|ll))|\s+((?:(?:" + "|".join(_ADVERBS) + r")\s+)?)([A-Za-z']+))?(?![\w'’])")
_SINGULAR = re.compile(r"(?<![\w'’])(me|my|mine|myself)(?![\w'’])", re.I)
_PLURAL = {"we": "they", "us": "them", "our": "their", "ours": "theirs", "ourselves": "themselves", "we're": "they're",
           "we've": "they've", "we'd": "they'd", "we'll": "they'll", "you": "they", "your": "their", "yours": "theirs",
           "yourself": "themselves", "yourselves": "themselves", "you're": "they're", "you've": "they've"}
_PLURAL_RE = re.compile(r"(?<![\w'’])(" + "|".join(sorted(map(re.escape, _PLURAL), key=len, reverse=True)) + r")(?![\w'’])", re.I)


def third_person(body: str, v: Voice, *, plural_to_they: bool = False) -> str | None:
    """``body`` with its first person singular turned into ``v``'s third person (None when that is not safe).

    With ``plural_to_they`` (an exhortation to the participants) we/us/our/you turn into they/them/their.
    Without a known gender the name stands in once ("my network" → "Ana Ferreira's network"); a second
    reference would repeat the name, so the sentence is given up.
    """
    forms = v.forms
    used = 0

    def subject(m: re.Match) -> str:
        nonlocal used
        used += 1
        who = forms["subj"] if forms else v.name
        if m.group(1):  # I'm, I've, I'd, I'll
            return f"{who} {_THIRD[m.group(1).replace('’', chr(39)).lower()]}"
        if m.group(3):
            verb = m.group(3) if m.group(3).lower() in _NOT_VERBS else third_singular(m.group(3))
            return f"{who} {m.group(2) or ''}{verb}"
        return who

    def other(m: re.Match) -> str:
        nonlocal used
        used += 1
        word = m.group(1).lower()
        if forms:
            return forms[{"me": "obj", "my": "poss", "mine": "own", "myself": "self"}[word]]
        return {"me": v.name, "my": v.name + "'s", "mine": v.name + "'s", "myself": v.name}[word]

    out = _I_VERB.sub(subject, body)
    out = _OUR_ORG.sub("my", out)  # "our network" of someone speaking for their organisation: theirs
    out = _SINGULAR.sub(other, out)
    if not forms and used > 1:
        return None
    if plural_to_they:
        out = _PLURAL_RE.sub(lambda m: _case(m.group(1), _PLURAL[m.group(1).lower()]), out)
    if person_pronouns(out):
        return None
    return out


def _case(like: str, word: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


# --------------------------------------------------------------------- moves

_STANCE = re.compile(r"^(i (really |do |strongly |personally )?(think|believe|feel|would say|'d say|am convinced|"
                     r"am sure)( that)?|in my (view|opinion)|for me|personally|from my (side|perspective))[,]?\s+", re.I)
_AGREE = re.compile(r"^(i|we) (fully |strongly |also |totally |completely )?agree (with ((?-i:[A-Z][\w'-]*(?: [A-Z][\w'-]*)?)|"
                    r"that|this|what [\w ]+? said)[,]?)?\s*(that\s+)?", re.I)
_DISAGREE = re.compile(r"^(i|we) (respectfully |strongly |partly )?(disagree|do not agree|don't agree)( with "
                       r"((?-i:[A-Z][\w'-]*(?: [A-Z][\w'-]*)?)|that|this))?[,.;:]?\s*(that\s+|because\s+)?", re.I)
_DOUBT = re.compile(r"^i (do not|don't) (think|believe)( that)?\s+", re.I)
_PROPOSE = re.compile(r"^((i|we) (would )?(like to )?(propose|suggest|recommend)|my (proposal|suggestion|"
                      r"recommendation) (is|would be))( that)?[,:]?\s+", re.I)
_CONCLUDE = re.compile(r"^(to conclude|in conclusion|to sum up|to summari[sz]e|in summary|finally|in closing|"
                       r"my (final|last|closing) (point|remark|message) (is|would be)( that)?)[,:]?\s+", re.I)
SYNTH = re.compile(r"^(so,? )?(i|we) (have )?(hear|heard)( that)?\s+", re.I)
_IMPERATIVE = re.compile(r"^(let us|let's|keep|make|let|build|ensure|remember|stop|include|invest|protect|listen|"
                         r"bring|involve|consider|focus|fund|help|create|strengthen|avoid|put|start|work)\b"
                         r"(?! (is|are|was|were|has|have|can|will)\b)", re.I)


@dataclass(frozen=True)
class Move:
    """A sentence split into the move it opens with and the words that follow."""

    kind: str  # statement | stance | agree | disagree | doubt | propose | conclude | synth | urge | question
    body: str  # the words after the move (the whole sentence for a statement)
    other: str | None = None  # who was agreed or disagreed with


def analyse(text: str) -> Move:
    """The move ``text`` (a cleaned sentence) opens with."""
    if text.rstrip().endswith("?"):
        return Move("question", text)
    for kind, pattern in (("doubt", _DOUBT), ("stance", _STANCE), ("propose", _PROPOSE), ("conclude", _CONCLUDE),
                          ("synth", SYNTH)):
        m = pattern.match(text)
        if m and text[m.end():].strip():
            return Move(kind, _upper_first(text[m.end():]))
    for kind, pattern, group in (("disagree", _DISAGREE, 5), ("agree", _AGREE, 4)):  # the group of whom
        m = pattern.match(text)
        if m:
            who = m.group(group)
            other = who if who and who[0].isupper() and who.lower() not in ("that", "this") else None
            return Move(kind, _upper_first(text[m.end():]), other)
    if _IMPERATIVE.match(text):
        return Move("urge", re.sub(r"^(let us|let's)\s+", "", text, flags=re.I))
    return Move("statement", text)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


_VERBS = ("said", "noted", "pointed out", "observed", "explained")


def verb_for(kind: str, body: str, k: int) -> str:
    """The reporting verb that fits the move and what the words do."""
    low = body.lower()
    if kind == "propose":
        return "proposed"
    if kind == "doubt":
        return "doubted"
    if re.search(r"\b(danger|risk|threat|harm\w*|worr\w*|problem)\b", low):
        return "warned"
    if kind == "stance" or re.search(r"\b(should|must|need to|needs to|have to|has to|ought)\b", low):
        return "argued"
    if re.search(r"\b(important|key|crucial|essential|hardest|most of all|critical)\b", low):
        return "stressed"
    return _VERBS[k % len(_VERBS)]


class Reporter:
    """Writes sentences in reported speech, varying the verb for consecutive sentences of one speaker."""

    def __init__(self, voices: Mapping[str, Voice], proper: set[str]):
        self.voices, self.proper = voices, proper
        self.k = 0
        self.last, self.run = "", 0

    def _body(self, text: str, who: str = "") -> str:
        first = re.match(r"[A-Za-z']+", text)
        if first and not (who and text.startswith(who)) and first.group(0) != "I" and first.group(0) not in self.proper:
            text = text[:1].lower() + text[1:]
        text = text.rstrip()
        if text.endswith("!"):
            text = text[:-1] + "."
        return text if text.endswith((".", "?", "…")) else text.rstrip(",;:") + "."

    def report(self, speaker: str, move: Move, *, closing: bool = False, quotable: bool = False) -> str | None:
        """The sentence in reported speech, or None when it cannot be written in the third person nor quoted."""
        v = self.voices.get(speaker) or Voice(speaker)
        who = v.name
        self.k += 1
        run = self.run + 1 if speaker == self.last else 0
        kind, raw = move.kind, move.body

        def quoted(verb: str, sep: str = " that ") -> str | None:
            if not quotable:
                return None
            body = self._body(raw)
            return f"{who} {verb}{sep}“{body}”" if sep.strip() != ":" else f"{who} {verb}: “{_upper_first(body)}”"

        if kind == "question":
            out = quoted("asked", ": ")
        elif kind == "urge":
            body = third_person(self._body(raw), v, plural_to_they=True)
            out = f"{who} urged participants to {body[:1].lower() + body[1:]}" if body else None
        else:
            body = third_person(raw, v)
            if body is not None and not v.forms and who in body and not body.startswith(who):
                body = None  # the name twice ("Ana Ferreira said that Ana Ferreira's team …"): quote instead
            if body is None:  # a "we" or "you" that cannot be turned safely: the words, in quotation marks
                verb = {"agree": "agreed", "disagree": "disagreed", "synth": "noted", "conclude": "concluded"}.get(
                    kind, verb_for(kind, raw, self.k))
                other = f" with {move.other}" if move.other and kind in ("agree", "disagree") else ""
                out = quoted(verb + other, ", saying that " if kind == "disagree" else " that ")
            else:
                out = self._frame(who, kind, move, self._body(body, who), closing, run, raw)
        if out is not None:
            self.last, self.run = speaker, run
        return out

    def _frame(self, who: str, kind: str, move: Move, body: str, closing: bool, run: int, raw: str) -> str:
        if body.startswith(who):  # "my network works …" → "Ana Ferreira's network works …": the name opens it
            return body
        other = f" with {move.other}" if move.other else ""
        if kind == "agree":
            return f"{who} agreed{other} that {body}"
        if kind == "disagree":
            return f"{who} disagreed{other}, saying that {body}"
        if kind == "synth":
            clause = re.search(r"\b(can|could|should|must|is|are|was|were|will|would|need|needs|has|have)\b", body)
            lead = f"Summing up, {who} noted" if closing else f"{who} noted"
            return f"{lead} {'that ' if clause and not body.startswith('that ') else ''}{body}"
        if kind == "conclude":
            return f"{who} concluded that {body}" if closing else f"{who} added that {body}"
        if run == 1 and kind == "statement":
            return f"{who} added that {body}"
        verb = verb_for(kind, raw, self.k)
        if run >= 2 and kind == "statement":
            return f"{who} also {verb} that {body}"
        return f"{who} {verb} that {body}"
