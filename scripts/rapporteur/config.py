"""rapporteur.yaml: one options dataclass per stage, loaded and checked together.

```yaml
transcribe: {model: base, threads: 2, beam_size: 5}
diarize:    {backend: builtin}
attribute:  {max_gap: 1.0}
naming:     {min_score: 1.0}
captions:   {min_uncaptioned: 4.0}
agenda:     {min_confidence: 0.2}
summarize:  {backend: extractive}
fetch:      {retries: 3}
```
Unknown fields are warnings; wrongly typed values are errors naming the
file and field.  Command-line flags override the file.  ``segment:`` (the
agenda stage's old name) is still read, with a warning.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .attribute import AttributeOptions
from .diarize import DiarizeOptions
from .core.session import load_yaml
from .errors import RapporteurError
from .fetch import FetchOptions
from .naming import NamingOptions
from .agenda import AgendaOptions
from .captions import CaptionOptions
from .summarize import SummarizeOptions
from .transcribe import TranscribeOptions

CONFIG_FILE = "rapporteur.yaml"
MAX_INT = 2**31 - 1
"""No option is a number beyond a 32-bit integer (threads, beam sizes, seconds)."""


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, kw_only=True)
class Config:
    fetch: FetchOptions = field(default_factory=FetchOptions)
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    diarize: DiarizeOptions = field(default_factory=DiarizeOptions)
    attribute: AttributeOptions = field(default_factory=AttributeOptions)
    naming: NamingOptions = field(default_factory=NamingOptions)
    captions: CaptionOptions = field(default_factory=CaptionOptions)
    """Caption alignment; ``text`` comes from each session's ``transcript_text``."""
    agenda: AgendaOptions = field(default_factory=AgendaOptions)
    summarize: SummarizeOptions = field(default_factory=SummarizeOptions)
    warnings: tuple[str, ...] = ()

    @property
    def segment(self) -> AgendaOptions:
        """The agenda stage's options under its old name."""
        return self.agenda


RENAMED = {"segment": "agenda"}
"""Old section names still read (with a warning)."""


def _check(value: Any, hint: Any) -> Any:
    """Coerce/validate one YAML value against a dataclass field type."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check(value, arg)
            except TypeError:
                continue
        raise TypeError(" or ".join(getattr(a, "__name__", str(a)) for a in args if a is not type(None)))
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise TypeError("true or false")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_INT:
                raise TypeError(f"a whole number of at most {MAX_INT}")
            return value
        raise TypeError("a whole number")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number) or abs(number) > MAX_INT:
                raise TypeError(f"a finite number of at most {MAX_INT}")
            return number
        raise TypeError("a number")
    if hint is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value)
            if any("\ud800" <= ch <= "\udfff" for ch in text):
                raise TypeError("text without lone surrogate escapes")
            return text
        raise TypeError("text")
    return value


def options_from_dict(cls: type, data: dict, *, where: str, errors: list[str], warnings: list[str]) -> Any:
    """Build a stage options dataclass from a mapping, collecting problems."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    kwargs = {}
    for key, value in (data or {}).items():
        if key not in known:
            warnings.append(f"{where}.{_show(key, 40)}: unknown option ignored (known: {', '.join(sorted(known))})")
            continue
        try:
            kwargs[key] = _check(value, hints[key])
        except TypeError as exc:
            errors.append(f"{where}.{key}: expected {exc}, got {_show(value)}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, OverflowError) as exc:
        errors.append(f"{where}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        return cls()


def load_config(path: Path | None = None) -> Config:
    """Read rapporteur.yaml (absent file = defaults)."""
    path = Path(path or CONFIG_FILE)
    if not path.is_file():
        return Config()
    data = load_yaml(path, error=RapporteurError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RapporteurError("expected sections like `transcribe:` at the top level", path=path)
    errors: list[str] = []
    warnings: list[str] = []
    sections = {f.name: f for f in fields(Config) if f.name != "warnings"}
    built = {}
    for key in [k for k in data if k in RENAMED]:
        new = RENAMED[key]
        if new in data:
            warnings.append(f"{path}: section {key!r} ignored: {new!r} is given too ({key!r} is its old name)")
            del data[key]
        else:
            warnings.append(f"{path}: section {key!r} is now called {new!r}; read as {new!r}")
            data[new] = data.pop(key)
    captions = data.get("captions")
    if isinstance(captions, dict) and "text" in captions:
        warnings.append("captions.text: ignored — which text turns show is chosen per session (session.yaml transcript_text: captions|asr)")
        data["captions"] = {k: v for k, v in captions.items() if k != "text"}
    for key, value in data.items():
        if key not in sections:
            warnings.append(f"{path}: unknown section {_show(key, 40)} ignored")
            continue
        if not isinstance(value, dict):
            errors.append(f"{key}: expected a mapping of options, e.g. `{key}: {{...}}`")
            continue
        cls = sections[key].default_factory  # type: ignore[misc]
        built[key] = options_from_dict(cls, value, where=key, errors=errors, warnings=warnings)
    if errors:
        raise RapporteurError("; ".join(errors), path=path, hint="fix these options")
    return Config(**built, warnings=tuple(warnings))


def with_overrides(config: Config, section: str, **values: Any) -> Config:
    """A copy of ``config`` with non-None values replaced in one section."""
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return config
    return replace(config, **{section: replace(getattr(config, section), **values)})

