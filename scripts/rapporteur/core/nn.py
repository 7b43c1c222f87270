"""nn: the two small networks rapporteur runs, in numpy (no torch).

- ``load_torch(path)``: a ``torch.save`` checkpoint (zip format, or the legacy
  pre-1.6 format that resemblyzer's ``pretrained.pt`` uses) with tensors as
  numpy arrays.  A restricted unpickler: only tensors, their storages and
  ``OrderedDict`` are rebuilt, by this module's own code; any other global in
  the pickle is refused, so a checkpoint can never run code.
- ``load_safetensors(path)``: a ``.safetensors`` file as numpy arrays.
- ``lstm_last(x, lengths, weights, layers=…)``: a PyTorch ``nn.LSTM``
  (batch_first) forward, the last layer's final hidden state of each
  sequence at its own length (as ``pack_padded_sequence`` gives).
- ``SentenceEncoder(model_dir)``: a sentence-transformers BERT model (mean
  pooling, L2 normalisation) such as all-MiniLM-L6-v2, tokenised with the
  ``tokenizers`` package from the model's ``tokenizer.json``.

Everything is float32, as torch computes on CPU; results agree with torch to
about 1e-6 (tests/test_nn.py compares them).
"""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

# ------------------------------------------------------------------ torch checkpoints

_STORAGES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = _STORAGES[name]


class _Storage:
    """One storage of the checkpoint; ``array`` is filled once its bytes are read."""

    def __init__(self, kind: _StorageType, key: str, numel: int) -> None:
        self.kind, self.key, self.numel = kind, key, int(numel)
        self.array: np.ndarray | None = None

    def fill(self, raw: bytes) -> None:
        if self.kind.dtype == "bfloat16":  # numpy has no bfloat16: widen to float32
            self.array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            self.array = np.frombuffer(raw, dtype=np.dtype(self.kind.dtype).newbyteorder("<"))
        if self.array.size < self.numel:
            raise ValueError(f"storage {self.key} is truncated")


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple) -> None:
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def array(self) -> np.ndarray:
        data = self.storage.array
        if data is None:
            raise ValueError(f"storage {self.storage.key} has no data")
        if not self.size:
            return np.array(data[self.offset])
        extent = self.offset + 1 + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if min(self.size) > 0 and (extent > data.size or min(self.stride) < 0):
            raise ValueError(f"tensor runs past its storage {self.storage.key}")
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(data[self.offset :], self.size, [s * item for s in self.stride])
        return np.array(view)  # a contiguous, writable copy


def _rebuild_tensor(storage, offset, size, stride, *_ignored) -> _Tensor:  # torch._utils._rebuild_tensor_v2
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("a tensor without a storage")
    return _Tensor(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):
    """Rebuilds tensors, storages and OrderedDicts only; every other global is refused."""

    def __init__(self, file, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name in _STORAGES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint")

    def persistent_load(self, pid: Any) -> _Storage:
        # zip: ('storage', type, key, location, numel); legacy: the same plus view_metadata
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.80}")
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views (legacy format) are not supported")
        key = str(pid[2])
        if key not in self.storages:
            self.storages[key] = _Storage(pid[1], key, pid[4])
        return self.storages[key]


def _resolve(obj: Any) -> Any:
    if isinstance(obj, _Tensor):
        return obj.array()
    if isinstance(obj, dict):
        return type(obj)((k, _resolve(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_resolve(v) for v in obj)
    return obj


def load_torch(path: str | Path) -> Any:
    """The object a ``torch.save`` file holds, its tensors as numpy arrays (bfloat16 widened to float32)."""
    path = Path(path)
    storages: dict[str, _Storage] = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
            if len(pkl) != 1:
                raise ValueError("not a torch checkpoint (no single data.pkl)")
            prefix = pkl[0][: -len("data.pkl")]
            if f"{prefix}byteorder" in names and z.read(f"{prefix}byteorder").strip() != b"little":
                raise ValueError("big-endian checkpoints are not supported")
            with z.open(pkl[0]) as f:
                obj = _Unpickler(f, storages).load()
            for key, storage in storages.items():
                storage.fill(z.read(f"{prefix}data/{key}"))
        return _resolve(obj)
    with open(path, "rb") as f:  # legacy: magic, protocol, sys_info, object, storage keys, storages
        plain = _Unpickler(f, {})
        if plain.load() != _LEGACY_MAGIC:
            raise ValueError("not a torch checkpoint")
        plain.load()  # protocol version
        if not plain.load().get("little_endian", True):
            raise ValueError("big-endian checkpoints are not supported")
        obj = _Unpickler(f, storages).load()
        for key in _Unpickler(f, {}).load():
            storage = storages[str(key)]
            (numel,) = struct.unpack("<q", f.read(8))
            itemsize = 2 if storage.kind.dtype == "bfloat16" else np.dtype(storage.kind.dtype).itemsize
            storage.fill(f.read(numel * itemsize))
    return _resolve(obj)


# ------------------------------------------------------------------ safetensors

_SAFETENSORS_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}


def load_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file: 8-byte little-endian header length, JSON header, raw data."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[start:end]
        if info["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_SAFETENSORS_DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"])
    return out


# ------------------------------------------------------------------ LSTM


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """In place: σ(x) = 1 / (1 + exp(-x)) (exp overflowing to inf gives the right 0)."""
    np.negative(x, out=x)
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    x += 1.0
    return np.reciprocal(x, out=x)


def lstm_last(
    x: np.ndarray, lengths: Sequence[int], weights: Mapping[str, np.ndarray], *, layers: int, prefix: str = ""
) -> np.ndarray:
    """Final hidden state (batch, hidden) of the last layer of a PyTorch LSTM (gates i, f, g, o).

    ``x`` is (batch, time, features), sequence ``b`` being ``x[b, :lengths[b]]``;
    ``weights`` holds ``{prefix}weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``.
    Sequences are sorted by length, so at each step only the still running ones are computed.
    """
    x = np.asarray(x, dtype=np.float32)
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) != len(x) or (len(x) and (lengths.min() < 1 or lengths.max() > x.shape[1])):
        raise ValueError("lengths must be between 1 and the padded length, one per sequence")
    order = np.argsort(-lengths, kind="stable")
    lens = lengths[order]
    steps = int(lens[0]) if len(lens) else 0
    active = np.searchsorted(-lens, -np.arange(steps), side="left")  # rows still running at step t
    seq = np.ascontiguousarray(x[order, :steps].transpose(1, 0, 2))  # time-major (T, B, F)
    h = np.zeros((len(x), 0), dtype=np.float32)
    for k in range(layers):
        w_ih = weights[f"{prefix}weight_ih_l{k}"].astype(np.float32)
        w_hh_t = np.ascontiguousarray(weights[f"{prefix}weight_hh_l{k}"].astype(np.float32).T)
        bias = (weights[f"{prefix}bias_ih_l{k}"] + weights[f"{prefix}bias_hh_l{k}"]).astype(np.float32)
        hidden = w_hh_t.shape[0]
        gx = (seq.reshape(-1, seq.shape[-1]) @ w_ih.T + bias).reshape(steps, len(x), 4 * hidden)
        h = np.zeros((len(x), hidden), dtype=np.float32)
        c = np.zeros((len(x), hidden), dtype=np.float32)
        last = k == layers - 1
        out = None if last else np.zeros((steps, len(x), hidden), dtype=np.float32)
        for t in range(steps):
            n = active[t]
            g = gx[t, :n]
            g += h[:n] @ w_hh_t
            _sigmoid(g[:, : 2 * hidden])
            _sigmoid(g[:, 3 * hidden :])
            np.tanh(g[:, 2 * hidden : 3 * hidden], out=g[:, 2 * hidden : 3 * hidden])
            cn = c[:n]
            cn *= g[:, hidden : 2 * hidden]
            cn += g[:, :hidden] * g[:, 2 * hidden : 3 * hidden]
            np.multiply(g[:, 3 * hidden :], np.tanh(cn), out=h[:n])
            if out is not None:
                out[t, :n] = h[:n]
        seq = out
    result = np.empty_like(h)
    result[order] = h
    return result


# ------------------------------------------------------------------ BERT sentence encoder


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x * np.float32(1 / np.sqrt(2.0))))


class SentenceEncoder:
    """A sentence-transformers BERT model (Transformer → mean Pooling → Normalize), e.g. all-MiniLM-L6-v2.

    Reads ``config.json``, ``model.safetensors``, ``tokenizer.json`` and
    ``sentence_bert_config.json`` (``max_seq_length``: the truncation, in word
    pieces counting [CLS] and [SEP]) from ``directory``.
    """

    def __init__(self, directory: str | Path) -> None:
        from tokenizers import Tokenizer

        directory = Path(directory)
        config = json.loads((directory / "config.json").read_text())
        if config.get("model_type", "bert") != "bert" or config.get("hidden_act", "gelu") != "gelu":
            raise ValueError("only BERT models with GELU are supported")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        pooling = directory / "1_Pooling" / "config.json"
        if pooling.is_file():
            p = json.loads(pooling.read_text())
            if not p.get("pooling_mode_mean_tokens") or any(
                p.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
            ):
                raise ValueError("only mean pooling is supported")
        st_config = directory / "sentence_bert_config.json"
        st = json.loads(st_config.read_text()) if st_config.is_file() else {}
        self.max_length = int(st.get("max_seq_length") or config["max_position_embeddings"])
        self.lowercase = bool(st.get("do_lower_case", False))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        w = load_safetensors(directory / "model.safetensors")
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.w = {k: v.astype(np.float32) if v.dtype.kind == "f" else v for k, v in w.items()}
        for k in list(self.w):  # (out, in) → (in, out) once: x @ W
            if k.startswith("encoder.") and k.endswith(".weight") and self.w[k].ndim == 2:
                self.w[k] = np.ascontiguousarray(self.w[k].T)
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_length)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors (len(texts), hidden), float32."""
        texts = [str(t).strip() for t in texts]
        if self.lowercase:
            texts = [t.lower() for t in texts]
        encodings = self.tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), self.w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        s = 0
        while s < len(order):
            width = len(encodings[order[s]].ids)
            rows = order[s : s + max(1, min(batch_size, 1024 // width))]  # ≤ 1024 word pieces: little padding
            s += len(rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for r, i in enumerate(rows):
                e = encodings[i]
                ids[r, : len(e.ids)] = e.ids
                types[r, : len(e.ids)] = e.type_ids
                mask[r, : len(e.ids)] = e.attention_mask
            out[rows] = self._forward(ids, types, mask)
        return out

    def _forward(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, eps = self.w, self.eps
        batch, width = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][types]
             + w["embeddings.position_embeddings.weight"][:width][None])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        hidden = x.shape[-1]
        dh = hidden // self.heads
        scale = np.float32(1 / np.sqrt(dh))
        key_bias = np.where(mask > 0, np.float32(0), np.float32(-1e30))[:, None, None, :]  # padded keys get no weight
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            flat = x.reshape(-1, hidden)

            def heads(name: str) -> np.ndarray:
                y = flat @ w[p + f"attention.self.{name}.weight"] + w[p + f"attention.self.{name}.bias"]
                return y.reshape(batch, width, self.heads, dh).transpose(0, 2, 1, 3)

            q, k, v = heads("query"), heads("key"), heads("value")
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(-1, hidden)
            a = ctx @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            a = _layer_norm(a + flat, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            f = _gelu(a @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            f = f @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(f + a, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps).reshape(batch, width, hidden)
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
