from rapporteur.core import media
from rapporteur.cli import main


def test_doctor_reports_and_never_prints_secrets(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HF_TOKEN", "hf_SECRET_value_123")
    monkeypatch.setenv("RAPPORTEUR_CACHE", str(tmp_path / "cache"))
    code = main(["doctor", "--recordings", str(tmp_path)])
    out = capsys.readouterr().out
    assert "hf_SECRET" not in out and "HF_TOKEN (pyannote): set" in out
    assert "model base (bundled, default)" in out and "sha256 verified" in out
    assert code == 0, out


def test_doctor_names_what_is_missing(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RAPPORTEUR_FFMPEG", str(tmp_path / "no-ffmpeg"))
    media.ffmpeg_exe.cache_clear()
    try:
        assert main(["doctor", "--recordings", str(tmp_path)]) == 1
    finally:
        media.ffmpeg_exe.cache_clear()
    out = capsys.readouterr().out
    assert "[MISSING] ffmpeg" in out and "missing: ffmpeg" in out
