import datetime as dt
from pathlib import Path

import pytest

from rapporteur.errors import SessionError
from rapporteur.core.session import load_session, parse_time

GOOD = """
title: Interconnecting Global AI Governance Mechanisms
event: IGF 2023
date: 2023-10-10
recording: recording.ogg
language: en
speakers:
  - name: Bu Zhong
    role: moderator
    affiliation: University
  - Xianhong Hu
agenda:
  - title: Opening
    start: "0:00"
  - title: Policy question
    start: 12:34
  - title: Closing
    start: "1:02:03.5"
speaker_map:
  SPEAKER_00: Bu Zhong
"""


def test_loads_a_complete_session(make_session):
    s = load_session(make_session(GOOD, "igf2023-ws73"))
    assert s.id == "igf2023-ws73"
    assert s.date == dt.date(2023, 10, 10) and s.year == 2023
    assert [p.name for p in s.speakers] == ["Bu Zhong", "Xianhong Hu"]
    assert s.speakers[0].role == "moderator" and s.speakers[1].role == "speaker"
    assert [a.start for a in s.agenda] == [0.0, 754.0, 3723.5]
    assert s.recording_path == s.dir / "recording.ogg" and not s.recording_is_url
    assert s.speaker_map == {"SPEAKER_00": "Bu Zhong"}
    assert s.warnings == ()


@pytest.mark.parametrize(
    "text, needle",
    [
        ("title: [unclosed\n", "malformed YAML at line"),
        ("- just a list\n", "expected a mapping"),
        ("event: IGF\n", "title: missing"),
        ("title: ''\n", "title: empty"),  # found by the fuzz test: a session page without a title
        ("title: T\nspeakers:\n  - name: '  '\n", "speakers[1].name: empty"),
        ("title: T\nagenda:\n  - title: ''\n", "agenda[1].title: empty"),
        ("title: T\ndate: 10/10/2023\n", "YYYY-MM-DD"),
        ("title: T\nrecording: ftp://example.org/x.mp4\n", "only http(s)"),
        ("title: T\nrecording: ../../etc/passwd\n", "inside the session folder"),
        ("title: T\nrecording: /etc/passwd\n", "inside the session folder"),
        ("title: T\nlanguage: English\n", "language code"),
        ("title: T\nspeakers: Bu Zhong\n", "expected a list"),
        ("title: T\nspeakers:\n  - name: A\n  - name: a\n", "listed twice"),
        ("title: T\nagenda:\n  - title: X\n    start: soon\n", "mm:ss"),
        ("title: T\nagenda:\n  - {title: X, start: '10:00'}\n  - {title: Y, start: '5:00'}\n", "earlier than"),
        ("title: T\nspeaker_map: [a]\n", "speaker_map"),
    ],
)
def test_errors_name_file_field_and_fix(make_session, text, needle):
    d = make_session(text)
    with pytest.raises(SessionError) as info:
        load_session(d)
    msg = str(info.value)
    assert needle in msg
    assert "session.yaml" in msg
    assert "\n" not in msg


def test_all_errors_reported_together(make_session):
    d = make_session("date: nope\nlanguage: English\n")
    msg = str(pytest.raises(SessionError, load_session, d).value)
    assert "title" in msg and "date" in msg and "language" in msg


def test_several_roles(make_session):
    s = load_session(make_session("title: T\nspeakers:\n  - {name: A, role: [Online moderator, rapporteur]}\n  - {name: B, role: 'moderator, speaker'}\n"))
    assert s.speakers[0].role == "online moderator, rapporteur"
    assert s.speakers[0].roles == ("online moderator", "rapporteur")
    assert s.speakers[1].roles == ("moderator", "speaker") and s.warnings == ()


def test_unknown_fields_are_warnings(make_session):
    s = load_session(make_session("title: T\ncolour: blue\nspeakers:\n  - {name: A, shoe: 42}\n"))
    assert any("colour" in w for w in s.warnings)
    assert any("shoe" in w for w in s.warnings)


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(SessionError, match="no session.yaml"):
        load_session(tmp_path)
    (tmp_path / "session.yaml").write_bytes(b"title: \xff\xfe\n")
    with pytest.raises(SessionError, match="UTF-8"):
        load_session(tmp_path)


def test_bad_folder_name(tmp_path):
    d = tmp_path / "Bad Name"
    d.mkdir()
    (d / "session.yaml").write_text("title: T\n")
    with pytest.raises(SessionError, match="session id"):
        load_session(d)


@pytest.mark.parametrize("value, seconds", [("1:30", 90.0), ("01:02:03", 3723.0), (95, 95.0), ("12.5", 12.5), ("0:05.25", 5.25)])
def test_parse_time(value, seconds):
    assert parse_time(value) == seconds


@pytest.mark.parametrize("value", ["1:75", "x", True, -1, "1:2:3:4"])
def test_parse_time_rejects(value):
    with pytest.raises(ValueError):
        parse_time(value)


def test_session_folder_given_as_dot_takes_its_own_name(tmp_path, monkeypatch):
    folder = tmp_path / "igf2023-ws73"
    folder.mkdir()
    (folder / "session.yaml").write_text("title: A session\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    assert load_session(Path(".")).id == "igf2023-ws73"
