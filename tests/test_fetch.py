import json

import pytest

from conftest import espeak, write_session
from rapporteur.errors import FetchError
from rapporteur.fetch import download, ensure_audio, media_path
from rapporteur.core.media import container_duration, decode_to_wav, read_wav, wav_duration
from rapporteur.core.session import load_session

SPEECH = "Good morning and welcome to this session on the governance of artificial intelligence."


@pytest.fixture
def speech_wav(tmp_path):
    return espeak(SPEECH, tmp_path / "speech.wav")


def test_decode_local_file_to_16k_mono(tmp_path, speech_wav):
    out = tmp_path / "audio.wav"
    seconds = decode_to_wav(speech_wav, out)
    audio = read_wav(out)
    assert abs(len(audio) / 16000 - seconds) < 0.01
    assert abs(seconds - container_duration(speech_wav)) < 0.1
    assert not list(tmp_path.glob(".tmp*"))


def test_truncated_media_is_an_error(tmp_path, speech_wav):
    data = speech_wav.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(FetchError, match="truncated"):
        decode_to_wav(cut, tmp_path / "audio.wav")
    assert not (tmp_path / "audio.wav").exists()


@pytest.mark.parametrize("content", [b"", b"this is not audio at all" * 100])
def test_empty_or_corrupt_media(tmp_path, content):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    with pytest.raises(FetchError) as info:
        decode_to_wav(bad, tmp_path / "audio.wav")
    assert "bad.mp4" in str(info.value)


def test_local_recording_and_audio_reuse(tmp_path, speech_wav):
    d = write_session(tmp_path / "s", "title: T\nrecording: talk.wav\n")
    speech_wav.rename(d / "talk.wav")
    session = load_session(d)
    wav = ensure_audio(session)
    mtime = wav.stat().st_mtime_ns
    assert wav_duration(wav) > 3
    assert ensure_audio(session).stat().st_mtime_ns == mtime  # not decoded again


def test_missing_local_recording(tmp_path):
    d = write_session(tmp_path / "s", "title: T\nrecording: nowhere.ogg\n")
    with pytest.raises(FetchError, match="nowhere.ogg"):
        media_path(load_session(d))


def test_download_from_local_http_server(tmp_path, http_dir, speech_wav):
    root, base = http_dir
    (root / "talk.wav").write_bytes(speech_wav.read_bytes())
    d = write_session(tmp_path / "s", f"title: T\nrecording: {base}/talk.wav\n")
    session = load_session(d)
    media = download(session)
    assert media.name.startswith("media.") and media.stat().st_size == speech_wav.stat().st_size
    info = json.loads((d / "info.json").read_text())
    assert info["rapporteur_url"] == f"{base}/talk.wav"
    (root / "talk.wav").unlink()  # already fetched: no second request
    assert download(session) == media
    assert wav_duration(ensure_audio(session)) > 3


@pytest.mark.parametrize("path, needle", [("missing.wav", "404"), ("page.html", "")])
def test_download_errors_are_one_line(tmp_path, http_dir, path, needle):
    root, base = http_dir
    (root / "page.html").write_text("<html><body>No media here</body></html>")
    d = write_session(tmp_path / "s", f"title: T\nrecording: {base}/{path}\n")
    with pytest.raises(FetchError) as info:
        download(load_session(d))
    msg = str(info.value)
    assert needle in msg and "session.yaml" in msg and "\n" not in msg
    assert not list(d.glob("media.*"))


def test_unreachable_host(tmp_path):
    d = write_session(tmp_path / "s", "title: T\nrecording: http://127.0.0.1:9/x.mp4\n")
    with pytest.raises(FetchError, match="cannot fetch"):
        from rapporteur.fetch import FetchOptions

        download(load_session(d), FetchOptions(retries=0, socket_timeout=2, quiet=True))


def test_symlink_out_of_the_session_folder_is_refused(tmp_path, speech_wav):
    d = write_session(tmp_path / "recordings" / "s", "title: T\nrecording: talk.wav\n")
    (d / "talk.wav").symlink_to(speech_wav)  # speech_wav lives outside recordings/s
    with pytest.raises(FetchError, match="outside the session folder"):
        media_path(load_session(d))


def test_truncated_download_is_caught_after_yt_dlp_reports_success(tmp_path, http_dir, speech_wav):
    root, base = http_dir
    data = speech_wav.read_bytes()
    (root / "talk.wav").write_bytes(data[: len(data) // 2])  # the server itself has a cut file
    d = write_session(tmp_path / "s", f"title: T\nrecording: {base}/talk.wav\n")
    session = load_session(d)
    assert download(session).is_file()  # yt-dlp is happy
    with pytest.raises(FetchError, match="truncated"):
        ensure_audio(session)
    assert not (d / "audio.wav").exists()
