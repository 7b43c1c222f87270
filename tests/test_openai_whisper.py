"""The openai-whisper backend wired end to end with a tiny randomly initialised checkpoint.

No weights for openai-whisper can be had offline, so the test checks the wiring
(checkpoint loading, word timestamps, records) rather than accuracy.
"""

import numpy as np
import pytest

from rapporteur.core.records import Transcript
from rapporteur.transcribe import TranscribeOptions, transcribe

whisper = pytest.importorskip("whisper", reason="optional extra rapporteur[openai-whisper] not installed")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    import torch
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(0)
    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=1, n_audio_layer=1,
                           n_vocab=51865, n_text_ctx=448, n_text_state=64, n_text_head=1, n_text_layer=1)
    model = Whisper(dims)
    # make the decoder's output constant and favour end-of-text, so decoding is
    # two tokens long: <|0.00|> (forced) + <|endoftext|>
    from whisper.tokenizer import get_tokenizer

    eot = get_tokenizer(multilingual=True).eot
    with torch.no_grad():  # decoding ends at once: the test is about wiring, not words
        model.decoder.ln.weight.zero_()
        model.decoder.ln.bias.fill_(1.0)
        model.decoder.token_embedding.weight.zero_()
        model.decoder.token_embedding.weight[eot].fill_(10.0)
    path = tmp_path_factory.mktemp("ow") / "tiny-random.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": model.state_dict()}, path)
    return path


@pytest.mark.slow
def test_openai_whisper_backend_loads_a_local_checkpoint(checkpoint):
    rng = np.random.default_rng(1)
    audio = (np.sin(np.arange(16000 * 4) * 0.05) * 0.3 + rng.standard_normal(16000 * 4) * 0.01).astype(np.float32)
    seen = []
    t = transcribe(audio, TranscribeOptions(backend="openai-whisper", model=str(checkpoint), language="en", beam_size=1,
                                            threads=2, no_speech_threshold=1.0,
                                            temperature_fallback=False),
                   progress=lambda d, tot: seen.append(d))
    assert isinstance(t, Transcript)
    assert t.backend == "openai-whisper" and t.language == "en" and abs(t.duration - 4.0) < 0.01
    for w in t.words():
        assert 0.0 <= w.start <= w.end <= 4.5
    assert seen[-1] == pytest.approx(4.0)


def test_result_conversion_keeps_words_and_drops_hallucinated_silence():
    from rapporteur.transcribe import whisper_result_to_transcript

    result = {"language": "fr", "segments": [
        {"text": " Bonjour à tous.", "start": 0.0, "end": 1.5, "avg_logprob": -0.2, "no_speech_prob": 0.01,
         "words": [{"word": " Bonjour", "start": 0.0, "end": 0.6, "probability": 0.9},
                   {"word": " à", "start": 0.6, "end": 0.8, "probability": 0.8},
                   {"word": " tous.", "start": 0.8, "end": 1.5, "probability": 0.95}]},
        {"text": " Merci.", "start": 2.0, "end": 3.0, "avg_logprob": -1.5, "no_speech_prob": 0.9, "words": []},
    ]}
    t = whisper_result_to_transcript(result, TranscribeOptions(backend="openai-whisper"), 3.0, backend="openai-whisper")
    assert t.language == "fr" and len(t.segments) == 1
    assert [w.text for w in t.words()] == [" Bonjour", " à", " tous."]
    assert t.words()[2].end == 1.5


def test_missing_checkpoint_is_a_model_error(tmp_path):
    from rapporteur.errors import ModelError

    with pytest.raises(ModelError, match="cannot load openai-whisper model"):
        transcribe(np.zeros(16000, np.float32), TranscribeOptions(backend="openai-whisper", model=str(tmp_path / "nope.pt")))
