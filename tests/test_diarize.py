"""Diarization: RTTM, the clustering pieces on made-up embeddings, the
pyannote wiring with a fake module, and (slow) the real builtin backend on
the committed three-speaker fixture."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

from rapporteur import diarize as D
from rapporteur.diarize import cluster, features, vad
from rapporteur.errors import ModelError, StageError
from rapporteur.core.records import Diarization, SpeechTurn

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "three-speakers"


def T(start: float, end: float, label: str) -> SpeechTurn:
    return SpeechTurn(start=start, end=end, label=label)


# ------------------------------------------------------------------ RTTM and labels


def test_rttm_round_trip():
    turns = (T(0.5, 2.25, "SPEAKER_00"), T(2.5, 4.0, "SPEAKER_01"), T(4.1, 5.0, "SPEAKER_00"))
    text = D.to_rttm(Diarization(turns=turns, backend="builtin"), "my session")
    assert text.splitlines()[0] == "SPEAKER my_session 1 0.500 1.750 <NA> <NA> SPEAKER_00 <NA> <NA>"
    assert all(len(line.split()) == 10 for line in text.splitlines())
    assert D.read_rttm(text) == list(turns)


def test_rttm_names_with_spaces_and_comments():
    text = D.to_rttm([T(1.0, 2.0, "Maria Lopez")], "f")
    assert "Maria_Lopez" in text
    mixed = ";; a comment\n\n" + text + "SPKR-INFO f 1 <NA> <NA> <NA> unknown Maria_Lopez <NA> <NA>\n"
    assert D.read_rttm(mixed) == [T(1.0, 2.0, "Maria_Lopez")]


def test_read_rttm_reports_bad_line():
    with pytest.raises(StageError, match="line 2"):
        D.read_rttm("SPEAKER f 1 0.0 1.0 <NA> <NA> A <NA> <NA>\nSPEAKER f 1 zero 1.0 <NA> <NA> B <NA> <NA>\n")


def test_relabel_orders_by_first_appearance():
    turns = D.relabel([T(5, 6, "b"), T(0, 1, "c"), T(2, 3, "b"), T(7, 8, "a")])
    assert [t.label for t in turns] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_01", "SPEAKER_02"]
    assert [t.start for t in turns] == [0, 2, 5, 7]


def test_options_are_checked():
    with pytest.raises(ValueError, match="backend"):
        D.DiarizeOptions(backend="magic")
    with pytest.raises(ValueError, match="max_speakers"):
        D.DiarizeOptions(min_speakers=3, max_speakers=2)
    with pytest.raises(ValueError, match="hop"):
        D.DiarizeOptions(hop=2.0)
    with pytest.raises(ValueError, match="device"):
        D.DiarizeOptions(device="tpu")


def test_device_and_threads_do_not_change_the_fingerprint():
    base = D.DiarizeOptions().parameters()
    assert D.DiarizeOptions(device="cuda", threads=4).parameters() == base
    assert D.DiarizeOptions(device="auto", threads=0).parameters() == base
    assert D.DiarizeOptions(hop=0.25).parameters() != base
    assert "device" not in base


@pytest.fixture
def no_gpu(monkeypatch):
    try:
        import torch
    except ImportError:  # no torch: no GPU for the diarizer either
        return
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("backend", ["builtin", "pyannote"])
def test_cuda_without_a_gpu_is_a_one_line_error(no_gpu, backend):
    with pytest.raises(ModelError) as info:
        D.diarize(np.zeros(16000, dtype=np.float32), D.DiarizeOptions(backend=backend, device="cuda"))
    text = str(info.value)
    assert "\n" not in text and "diarizer" in text and "cuda" in text and "--device cpu" in text


def test_device_auto_falls_back_to_cpu(no_gpu):
    audio = np.zeros(16000 * 2, dtype=np.float32)
    audio[4000:20000] = 0.3 * np.sin(np.arange(16000) * 0.2)
    result = D.diarize(audio, D.DiarizeOptions(device="auto", vad="energy"))
    assert result.backend == "builtin" and "device" not in result.parameters


# ------------------------------------------------------------------ windows and turns


def test_make_windows_stay_inside_regions():
    w = features.make_windows([(0.0, 1.0), (2.0, 2.2), (3.0, 5.0)], window=1.5, hop=0.25)
    assert w[0].tolist() == [0.0, 1.0]  # short region: one window of its length
    assert not np.any(np.isclose(w[:, 0], 2.0))  # 0.2 s region: too short to embed
    long = w[1:]
    assert long[0].tolist() == [3.0, 1.5] and long[-1].tolist() == [3.5, 1.5]  # last one flush with the end
    assert np.all(long[:, 0] + long[:, 1] <= 5.0 + 1e-9)


def test_windows_to_turns_splits_at_midpoints_and_merges_gaps():
    windows = np.array([[0.0, 1.5], [0.5, 1.5], [1.0, 1.5], [1.5, 1.5], [4.0, 1.0]])
    labels = np.array([0, 0, 1, 1, 1])
    turns = cluster.windows_to_turns(windows, labels, [(0.0, 3.0), (4.0, 5.0)], merge_gap=1.0)
    assert turns == [T(0.0, 1.5, "S0"), T(1.5, 3.0, "S1"), T(4.0, 5.0, "S1")]
    merged = cluster.windows_to_turns(windows, labels, [(0.0, 3.0), (4.0, 5.0)], merge_gap=1.5)
    assert merged[-1] == T(1.5, 5.0, "S1")


# ------------------------------------------------------------------ clustering on synthetic embeddings


def _voices(n_speakers: int, seed: int = 0, spread: float = 0.5) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    # every voice shares a large component, as real embeddings do: spread 0.5
    # puts voice centroids at cosine ~0.8, spread 0.35 at ~0.88
    common = rng.normal(size=256)
    centres = common + spread * rng.normal(size=(n_speakers, 256)) * np.sqrt(256) / 16
    return centres, rng


def _meeting(order: list[int], seconds: list[float], *, hop=0.25, noise=0.9, seed=0, n_speakers=None, spread=0.5):
    """Window embeddings for speakers talking in turns separated by 0.5 s pauses."""
    centres, rng = _voices(n_speakers or (max(order) + 1), seed, spread)
    emb, windows, regions, truth, t = [], [], [], [], 0.0
    for spk, dur in zip(order, seconds):
        regions.append((t, t + dur))
        for s in np.arange(t, t + dur - 1.5 + 1e-9, hop):
            windows.append((s, 1.5))
            emb.append(centres[spk] + noise * rng.normal(size=256) * np.linalg.norm(centres[spk]) / 16)
            truth.append(spk)
        t += dur + 0.5
    emb = np.array(emb, dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return emb, np.array(windows), regions, np.array(truth)


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of windows on which two labelings agree under the best mapping."""
    from scipy.optimize import linear_sum_assignment

    ka, kb = a.max() + 1, b.max() + 1
    m = np.zeros((ka, kb))
    np.add.at(m, (a, b), 1)
    r, c = linear_sum_assignment(m, maximize=True)
    return m[r, c].sum() / len(a)


def test_spectral_clusters_finds_three_voices():
    emb, windows, regions, truth = _meeting([0, 1, 2] * 4, [8.0] * 12)
    centred = emb - emb.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    times = windows[:, 0] + 0.75
    labels = cluster.spectral_clusters(centred, times)
    assert labels.max() + 1 == 3
    assert _agreement(labels, truth) > 0.95


def test_spectral_clusters_respects_bounds():
    emb, windows, _, _ = _meeting([0, 1, 2] * 4, [8.0] * 12)
    times = windows[:, 0] + 0.75
    assert cluster.spectral_clusters(emb, times, max_k=2).max() + 1 <= 2
    assert cluster.spectral_clusters(emb[:3], times[:3]).tolist() == [0, 0, 0]


def test_viterbi_smooths_blips_but_changes_at_pauses():
    # label 1 wins at t=2 (a blip) and at t=4-5 (by 2 in all): neither pays a change costing 3
    scores = np.array([[2, 0], [2, 0], [0, 1.5], [2, 0], [0, 1], [0, 1]], dtype=float)
    inside = np.full(6, 3.0)
    assert cluster.viterbi(scores, inside).tolist() == [0, 0, 0, 0, 0, 0]
    at_pause = inside.copy()
    at_pause[4] = 0.1  # a pause before t=4 makes the change cheap there
    assert cluster.viterbi(scores, at_pause).tolist() == [0, 0, 0, 0, 1, 1]


def test_smoothing_stays_inside_regions():
    emb = np.eye(4, dtype=np.float32)
    region = np.array([0, 0, 1, 1])
    out = cluster.smooth_within_regions(emb, region, radius=1)
    assert np.allclose(out[1], np.array([1, 1, 0, 0]) / np.sqrt(2))
    assert np.allclose(out[2], np.array([0, 0, 1, 1]) / np.sqrt(2))


def test_assign_speakers_counts_voices():
    order = [0, 1, 2, 0, 2, 1, 0, 1, 2]
    emb, windows, regions, truth = _meeting(order, [6.0, 5.0, 7.0, 4.0, 6.0, 5.0, 8.0, 4.0, 6.0], seed=3)
    labels = cluster.assign_speakers(emb, windows, regions, D.DiarizeOptions())
    assert labels.max() + 1 == 3
    assert _agreement(labels, truth) > 0.97
    one = cluster.assign_speakers(emb, windows, regions, D.DiarizeOptions(max_speakers=1))
    assert set(one.tolist()) == {0}


def test_recheck_finds_a_speaker_heard_briefly():
    # speakers 0 and 1 talk for minutes; speaker 2 says two sentences of 4 s
    order = [0, 1] * 12
    seconds = [10.0] * 24
    emb, windows, regions, truth = _meeting(order + [2, 0, 2], seconds + [4.0, 10.0, 4.0], seed=5, n_speakers=3)
    centred = emb - emb.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    region = cluster.region_index(windows, regions)
    merged = np.where(truth == 2, 0, truth)  # the brief speaker hidden in speaker 0's cluster
    extra = cluster.hidden_speaker(centred, merged, region, 2, raw=emb)
    assert extra is not None
    hidden = cluster._normalise(centred[truth == 2].mean(axis=0))
    assert float(extra @ hidden) > 0.95
    # nothing is hidden in the true clustering
    assert cluster.hidden_speaker(centred, truth, region, 3, raw=emb) is None


def test_recheck_ignores_a_voice_too_close_to_its_cluster():
    # the same layout with voices at raw cosine ~0.88: the centred test alone
    # would split the cluster, the raw-voice guard keeps it whole
    order, seconds = [0, 1] * 12 + [2, 0, 2], [10.0] * 24 + [4.0, 10.0, 4.0]
    emb, windows, regions, truth = _meeting(order, seconds, seed=5, n_speakers=3, spread=0.35)
    centred = emb - emb.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    region = cluster.region_index(windows, regions)
    merged = np.where(truth == 2, 0, truth)
    assert cluster.hidden_speaker(centred, merged, region, 2) is not None
    assert cluster.hidden_speaker(centred, merged, region, 2, raw=emb) is None


def test_energy_vad_finds_bursts():
    sr = D.SAMPLE_RATE
    rng = np.random.default_rng(0)
    audio = 0.001 * rng.normal(size=sr * 6).astype(np.float32)
    t = np.arange(sr) / sr
    for start in (1, 4):
        audio[start * sr : (start + 1) * sr] += 0.3 * np.sin(2 * np.pi * 220 * t).astype(np.float32)
    regions = vad.energy_vad(audio)
    assert len(regions) == 2
    for (a, b), start in zip(regions, (1, 4)):
        assert abs(a - start) < 0.05 and abs(b - start - 1) < 0.05


def test_mel_spectrogram_matches_librosa():
    librosa = pytest.importorskip("librosa")
    rng = np.random.default_rng(1)
    audio = rng.normal(scale=0.1, size=16000).astype(np.float32)
    ref = librosa.feature.melspectrogram(y=audio, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    ours = features.mel_spectrogram(audio)
    assert ours.shape == ref.shape
    assert np.allclose(ours, ref, rtol=1e-3, atol=1e-6 * ref.max())


def test_silence_gives_no_turns():
    result = D.diarize(np.zeros(16000 * 2, dtype=np.float32), D.DiarizeOptions(vad="energy"))
    assert result.turns == () and result.backend == "builtin"


# ------------------------------------------------------------------ pyannote wiring (fake module)


class _Segment:
    def __init__(self, start, end):
        self.start, self.end = start, end


class _Annotation:
    def itertracks(self, yield_label=False):
        yield _Segment(0.0, 2.0), "A", "spk_7"
        yield _Segment(2.5, 4.0), "B", "spk_3"


@pytest.fixture
def fake_pyannote(monkeypatch):
    calls = {}

    class Pipeline:
        @staticmethod
        def from_pretrained(name, token=None):
            calls["name"], calls["token"] = name, token
            if token == "bad-token":
                raise RuntimeError("401 for token bad-token")
            return Pipeline()

        def to(self, device):
            calls["device"] = str(device)
            return self

        def __call__(self, data, **kwargs):
            calls["kwargs"] = kwargs
            calls["shape"] = tuple(data["waveform"].shape)
            return _Annotation()

    audio_mod = types.ModuleType("pyannote.audio")
    audio_mod.Pipeline = Pipeline
    pkg = types.ModuleType("pyannote")
    pkg.audio = audio_mod
    monkeypatch.setitem(sys.modules, "pyannote", pkg)
    monkeypatch.setitem(sys.modules, "pyannote.audio", audio_mod)
    return calls


def test_pyannote_backend_wiring(fake_pyannote, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "secret-token")
    result = D.diarize(np.zeros(16000, dtype=np.float32), D.DiarizeOptions(backend="pyannote", max_speakers=4, threads=0))
    assert result.turns == (T(0.0, 2.0, "SPEAKER_00"), T(2.5, 4.0, "SPEAKER_01"))
    assert result.backend == "pyannote"
    assert fake_pyannote["token"] == "secret-token"
    assert fake_pyannote["kwargs"] == {"min_speakers": 1, "max_speakers": 4}
    assert fake_pyannote["shape"] == (1, 16000)
    assert "secret-token" not in repr(result)


def test_pyannote_runs_on_the_chosen_device(fake_pyannote, monkeypatch):
    torch = pytest.importorskip("torch")

    monkeypatch.setenv("HF_TOKEN", "secret-token")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    D.diarize(np.zeros(16000, dtype=np.float32), D.DiarizeOptions(backend="pyannote", device="auto"))
    assert fake_pyannote["device"] == "cuda"


def test_pyannote_needs_a_token(fake_pyannote, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(ModelError, match="HF_TOKEN"):
        D.diarize(np.zeros(16000, dtype=np.float32), D.DiarizeOptions(backend="pyannote"))


def test_pyannote_error_never_shows_the_token(fake_pyannote, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "bad-token")
    with pytest.raises(ModelError) as info:
        D.diarize(np.zeros(16000, dtype=np.float32), D.DiarizeOptions(backend="pyannote"))
    assert "bad-token" not in str(info.value)


def test_pyannote_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyannote", None)
    monkeypatch.setitem(sys.modules, "pyannote.audio", None)
    monkeypatch.setenv("HF_TOKEN", "x")
    with pytest.raises(ModelError, match=r"rapporteur\[pyannote\]"):
        D.diarize(np.zeros(16000, dtype=np.float32), D.DiarizeOptions(backend="pyannote"))


def test_import_is_cheap():
    import subprocess

    code = "import sys, rapporteur.diarize; print('torch' in sys.modules, 'faster_whisper' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# ------------------------------------------------------------------ the real backend (slow)


@pytest.fixture(scope="module")
def fixture_audio(tmp_path_factory):
    from rapporteur.core.media import decode_to_wav, read_wav

    wav = tmp_path_factory.mktemp("diarize") / "audio.wav"
    decode_to_wav(FIXTURE / "recording.ogg", wav)
    return read_wav(wav)


@pytest.mark.slow
def test_builtin_diarizes_three_speaker_fixture(fixture_audio):
    from rapporteur.eval.metrics import der

    seen = []
    result = D.diarize(fixture_audio, D.DiarizeOptions(), progress=lambda done, total: seen.append((done, total)))
    reference = D.read_rttm((FIXTURE / "reference.rttm").read_text())
    score = der(reference, list(result.turns), collar=0.25)
    assert len(result.labels) == 3
    assert score.rate <= 0.10, score
    assert result.turns[0].label == "SPEAKER_00"
    total = len(fixture_audio) / D.SAMPLE_RATE
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # the roster bound is honoured
    two = D.diarize(fixture_audio, D.DiarizeOptions(max_speakers=2))
    assert len(two.labels) <= 2


def test_merge_similar_joins_one_voice_split_in_two_but_keeps_close_voices():
    from rapporteur.diarize.cluster import merge_similar

    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(32), rng.standard_normal(32)
    a_twin = a + 0.25 * rng.standard_normal(32)  # the same voice, a little different
    rows = [a + 0.05 * rng.standard_normal(32) for _ in range(40)]
    rows += [a_twin + 0.05 * rng.standard_normal(32) for _ in range(40)]
    rows += [b + 0.05 * rng.standard_normal(32) for _ in range(40)]
    emb = np.array(rows)
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    path = np.repeat([0, 1, 2], 40)
    cost = np.full(len(emb), 10.0)
    merged = merge_similar(emb, path, cost)
    assert len(set(merged[:80])) == 1 and merged[0] != merged[-1]
    # nothing is merged when every pair is below the threshold
    kept = merge_similar(emb, path, cost, threshold=0.999)
    assert len(set(kept)) == 3


def test_split_mixed_separates_two_voices_in_one_cluster_and_keeps_one_voice_whole():
    from rapporteur.diarize.cluster import split_mixed

    rng = np.random.default_rng(3)
    dim = 16
    voices = rng.normal(size=(3, dim))
    voices[1] = voices[0] * 0.6 + rng.normal(size=dim) * 0.6  # two floor speakers, cosine ≈ 0.7
    runs = [0, 1, 0, 2, 1, 2, 0, 1]  # voice of each stretch; voices 0 and 1 share label 0
    emb, path, region = [], [], []
    for r, voice in enumerate(runs):
        for _ in range(12):  # 3 s of windows at 0.25 s
            emb.append(voices[voice] + rng.normal(size=dim) * 0.15)
            path.append(0 if voice in (0, 1) else 1)
            region.append(r)
    emb, path, region = np.array(emb), np.array(path), np.array(region)
    cos = float(voices[0] @ voices[1] / np.linalg.norm(voices[0]) / np.linalg.norm(voices[1]))
    assert cos < 0.85
    out = split_mixed(emb, path, region, max_k=4)
    truth = np.repeat(runs, 12)
    assert len(set(out)) == 3
    for v in range(3):  # each voice has exactly one label, and no label two voices
        assert len(set(out[truth == v])) == 1
    assert len({int(out[truth == v][0]) for v in range(3)}) == 3
    # the speaker count bound holds, and one voice alone is never split
    assert (split_mixed(emb, path, region, max_k=2) == path).all()
    same = np.where(truth == 1, 0, truth)
    one_voice = np.array([voices[v] + rng.normal(size=dim) * 0.15 for v in same])
    assert (split_mixed(one_voice, path, region, max_k=4) == path).all()


def _alike_voices(rng, dim=64, stretches=40, share_b=0.3, same=False):
    """Stretches of two voices that sound alike (raw cosine ~0.93, as a panellist and the online moderator
    on the p1 panel): each stretch its voice plus what it says (a stretch offset) plus window noise."""
    a = rng.normal(size=dim)
    b = a + rng.normal(size=dim) * 0.38
    emb, path, region, truth = [], [], [], []
    for r in range(stretches):
        voice = 1 if (r % int(round(1 / share_b)) == 0 and not same) else 0
        centre = (b if voice else a) + rng.normal(size=dim) * 0.2
        for _ in range(int(rng.integers(6, 16))):
            emb.append(centre + rng.normal(size=dim) * 0.3)
            path.append(0)
            region.append(r)
            truth.append(voice)
    cos = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    return np.array(emb), np.array(path), np.array(region), np.array(truth), cos


def test_split_mixed_finds_two_alike_voices_in_a_long_cluster_and_keeps_one_voice_whole():
    from rapporteur.diarize.cluster import held_out_separation, split_mixed, stretches

    rng = np.random.default_rng(7)
    emb, path, region, truth, cos = _alike_voices(rng)
    assert cos > 0.9  # too alike for the halves' cosine alone
    out = split_mixed(emb, path, region, max_k=3)
    assert len(set(out)) == 2
    assert all(len(set(out[truth == v])) == 1 for v in (0, 1)) and out[truth == 0][0] != out[truth == 1][0]
    # a cluster of one voice is left whole however long: what it says moves its stretches about, not apart
    for seed in range(5):
        one, path1, region1, _, _ = _alike_voices(np.random.default_rng(seed), same=True)
        assert (split_mixed(one, path1, region1, max_k=3) == path1).all()
        means = np.stack([one[r].mean(axis=0) for r in stretches(path1, region1)])
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        assert held_out_separation(means, np.ones(len(means))) < 10
    # too few stretches to tell: left whole
    few = region < 8
    assert (split_mixed(emb[few], path[few], region[few], max_k=3) == path[few]).all()


@pytest.mark.slow
def test_vad_in_blocks_finds_the_same_speech_and_mel_needs_no_padded_copy(fixture_audio, monkeypatch):
    whole = vad.speech_regions(fixture_audio, D.DiarizeOptions())
    monkeypatch.setattr(vad, "VAD_BLOCK_SECONDS", 7)  # ~25 block boundaries, many inside speech
    blocks = vad.speech_regions(fixture_audio, D.DiarizeOptions())
    speech = lambda rs: sum(b - a for a, b in rs)  # noqa: E731
    assert abs(speech(blocks) - speech(whole)) < 0.05 * speech(whole)
    assert abs(len(blocks) - len(whole)) <= 0.2 * len(whole)  # speech across a boundary stays one region
    assert all(b > a for a, b in blocks) and all(x[1] <= y[0] for x, y in zip(blocks, blocks[1:]))
    # the block-wise mel spectrogram equals one computed over the zero-padded whole
    audio = fixture_audio[: 16000 * 20]
    padded = np.pad(audio, 200)
    frames = np.lib.stride_tricks.sliding_window_view(padded, 400)[::160]
    hann = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)).astype(np.float32)
    expected = (np.abs(np.fft.rfft(frames * hann, axis=1)) ** 2).astype(np.float32) @ features._mel_filterbank(400).T
    assert np.allclose(features.mel_spectrogram(audio), expected, rtol=1e-5, atol=1e-7)
