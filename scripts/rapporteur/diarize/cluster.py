"""Who is who among the embeddings (pure numpy/scipy): spectral clustering with an eigengap count,
Viterbi resegmentation, a recheck for a speaker heard briefly, merging and splitting clusters, turns."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core.records import SpeechTurn, sec
from .options import AUTO_MAX_SPEAKERS, MIN_RECHECK_SECONDS, DiarizeOptions

def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-10)


def region_index(windows: np.ndarray, regions: Sequence[tuple[float, float]]) -> np.ndarray:
    """Index of the speech region each window lies in."""
    starts = np.array([a for a, _ in regions], dtype=np.float64)
    centres = windows[:, 0] + windows[:, 1] / 2
    return np.searchsorted(starts, centres, side="right") - 1


def smooth_within_regions(emb: np.ndarray, region: np.ndarray, radius: int) -> np.ndarray:
    """Mean of each embedding with its ``radius`` neighbours of the same region."""
    if radius <= 0 or len(emb) == 0:
        return emb
    csum = np.vstack([np.zeros((1, emb.shape[1])), np.cumsum(emb, axis=0, dtype=np.float64)])
    n = len(emb)
    idx = np.arange(n)
    lo, hi = np.maximum(idx - radius, 0), np.minimum(idx + radius + 1, n)
    # keep the span inside the window's own region
    first = np.searchsorted(region, region, side="left")
    last = np.searchsorted(region, region, side="right")
    lo, hi = np.maximum(lo, first), np.minimum(hi, last)
    out = (csum[hi] - csum[lo]) / (hi - lo)[:, None]
    return _normalise(out.astype(np.float32))


def spectral_clusters(
    emb: np.ndarray,
    times: np.ndarray | None = None,
    *,
    min_k: int = 1,
    max_k: int = AUTO_MAX_SPEAKERS,
    exclude: float = 1.5,
    min_neighbours: int = 12,
    fractions: Sequence[float] = (0.02, 0.04, 0.06, 0.1, 0.15, 0.2, 0.3),
    seed: int = 0,
) -> np.ndarray:
    """Cluster labels 0..k-1 of (unit-norm) embeddings, k chosen by eigengap.

    Affinity: cosine similarity (negatives clipped) pruned to each row's p
    nearest neighbours and symmetrised; pairs closer than ``exclude`` seconds
    in ``times`` are not linked.  For each candidate p the unnormalised
    Laplacian's eigengap gives a count; the p with the best gap-to-p ratio
    wins (NME-SC).  The spectral embedding is clustered with k-means++.
    """
    from scipy.cluster.vq import kmeans2
    from scipy.linalg import eigh

    n = len(emb)
    max_k = max(1, min(max_k, n - 1))
    min_k = min(max(1, min_k), max_k)
    if n < 4 or max_k == 1:
        return np.zeros(n, dtype=int)
    sim = np.clip(emb @ emb.T, 0.0, None).astype(np.float64)
    if times is not None:
        sim[np.abs(times[:, None] - times[None, :]) < exclude] = 0.0
    np.fill_diagonal(sim, 0.0)
    candidates = sorted({min(max(min_neighbours, int(f * n)), n - 2) for f in fractions})
    best = None
    rows = np.arange(n)
    for p in candidates:
        if p < 1:
            continue
        keep = np.argpartition(-sim, p - 1, axis=1)[:, :p]
        pruned = np.zeros_like(sim)
        pruned[rows[:, None], keep] = sim[rows[:, None], keep]
        affinity = np.maximum(pruned, pruned.T)
        laplacian = np.diag(affinity.sum(axis=1)) - affinity
        top = min(max_k + 1, n) - 1
        values, vectors = eigh(laplacian, subset_by_index=[0, top])
        gaps = np.diff(values)
        if len(gaps) == 0:
            continue
        k = int(np.argmax(gaps[min_k - 1 :])) + min_k
        ratio = p / max(gaps[k - 1] / (values[-1] + 1e-10), 1e-10)
        if best is None or ratio < best[0]:
            best = (ratio, k, vectors[:, :k])
    if best is None:
        return np.zeros(n, dtype=int)
    _, k, vectors = best
    if k == 1:
        return np.zeros(n, dtype=int)
    points = _normalise(vectors)
    rng = np.random.default_rng(seed)
    labels, inertia = None, np.inf
    for _ in range(5):
        centres, lab = kmeans2(points, k, minit="++", seed=rng)
        cost = float(((points - centres[lab]) ** 2).sum())
        if cost < inertia and len(np.unique(lab)) == k:
            labels, inertia = lab, cost
    if labels is None:
        labels = lab
    return _compact(labels)


def _compact(labels: np.ndarray) -> np.ndarray:
    """Renumber labels 0..k-1 (dropping empty ones)."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(-1)


def viterbi(scores: np.ndarray, change_cost: np.ndarray) -> np.ndarray:
    """Best label path for per-step ``scores`` (T, K) where moving from step
    t-1 to t to a different label costs ``change_cost[t]``."""
    steps, k = scores.shape
    if steps == 0:
        return np.zeros(0, dtype=int)
    value = scores[0].astype(np.float64).copy()
    back = np.zeros((steps, k), dtype=np.int32)
    labels = np.arange(k)
    for t in range(1, steps):
        best = int(np.argmax(value))
        moved = value[best] - change_cost[t]
        stay = value >= moved
        back[t] = np.where(stay, labels, best)
        value = np.where(stay, value, moved) + scores[t]
    path = np.zeros(steps, dtype=int)
    path[-1] = int(np.argmax(value))
    for t in range(steps - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _centroids(emb: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return _normalise(np.stack([emb[labels == j].mean(axis=0) if np.any(labels == j) else np.zeros(emb.shape[1]) for j in range(k)]))


def resegment(emb: np.ndarray, centroids: np.ndarray, change_cost: np.ndarray, *, scale: float = 10.0) -> np.ndarray:
    """Viterbi labels of every window against the centroids (cosine x ``scale``)."""
    return viterbi((emb @ centroids.T) * scale, change_cost)


def stretches(labels: np.ndarray, region: np.ndarray) -> list[np.ndarray]:
    """Window indices of each stretch: one label inside one speech region."""
    bounds = np.flatnonzero((labels[1:] != labels[:-1]) | (region[1:] != region[:-1])) + 1
    return np.split(np.arange(len(labels)), bounds)


def hidden_speaker(
    emb: np.ndarray,
    labels: np.ndarray,
    region: np.ndarray,
    k: int,
    *,
    min_run: int = 4,
    min_total: int = 12,
    z: float = -1.5,
    margin: float = 0.1,
    max_similarity: float = 0.55,
    raw: np.ndarray | None = None,
    max_raw_similarity: float = 0.88,
) -> np.ndarray | None:
    """The centroid of a speaker hidden inside the clusters, or None.

    Runs (stretches of one label inside one speech region, at least
    ``min_run`` windows) whose similarity to their cluster *without them* is
    ``z`` standard deviations below the cluster's other runs are candidates.
    Candidates that resemble each other by ``margin`` more than their own
    clusters (checked leave-one-out), add up to ``min_total`` windows and
    whose mean is below ``max_similarity`` to every centroid make a speaker.
    With ``raw`` (the embeddings before centring), the group's voice must also
    differ from the rest of the cluster it hides in: raw cosine below
    ``max_raw_similarity`` (one voice split by what it says measured 0.92-0.96
    on synthetic meetings, a distinct voice heard for 6-8 s 0.75-0.81).
    """
    runs = stretches(labels, region)
    sums = np.stack([emb[r].sum(axis=0) for r in runs])
    run_label = np.array([labels[r[0]] for r in runs])
    size = np.array([len(r) for r in runs])
    totals = np.stack([sums[run_label == j].sum(axis=0) for j in range(k)])
    cand, cand_sim = [], []
    for j in range(k):
        idx = np.flatnonzero((run_label == j) & (size >= min_run))
        if len(idx) < 3:
            continue
        rest = _normalise(totals[j] - sums[idx])
        s = (_normalise(sums[idx]) * rest).sum(axis=1)
        mu = np.average(s, weights=size[idx])
        sd = np.sqrt(np.average((s - mu) ** 2, weights=size[idx])) + 1e-6
        for i, si in zip(idx, s):
            if (si - mu) / sd < z:
                cand.append(i)
                cand_sim.append(si)
    if len(cand) < 2:
        return None
    cand, cand_sim = np.array(cand), np.array(cand_sim)
    means = _normalise(sums[cand])
    pair = means @ means.T
    centroids = _normalise(totals)
    best = None
    for a in range(len(cand)):
        group = [b for b in range(len(cand)) if b == a or pair[a, b] > max(cand_sim[a], cand_sim[b]) + margin]
        if len(group) < 2 or size[cand[group]].sum() < min_total:
            continue
        gsum = sums[cand[group]]
        gtot = gsum.sum(axis=0)
        agree = all(
            float(_normalise(gtot - gsum[x]) @ means[g]) > cand_sim[g] + margin for x, g in enumerate(group)
        )
        centre = _normalise(gtot)
        distinct = float(np.max(centroids @ centre)) < max_similarity
        if raw is not None and distinct:
            members = np.concatenate([runs[i] for i in cand[group]])
            own = _normalise(raw[members].mean(axis=0))
            near = int(np.argmax(centroids @ centre))
            others = np.setdiff1d(np.flatnonzero(labels == near), members)
            rest = _normalise(raw[others].mean(axis=0)) if len(others) else own
            distinct = float(own @ rest) < max_raw_similarity
        if agree and distinct:
            if best is None or size[cand[group]].sum() > best[0]:
                best = (size[cand[group]].sum(), centre)
    return None if best is None else best[1]


def assign_speakers(
    emb: np.ndarray, windows: np.ndarray, regions: Sequence[tuple[float, float]], options: DiarizeOptions
) -> np.ndarray:
    """Speaker index of every window: cluster, resegment, recheck."""
    n = len(emb)
    max_k = options.max_speakers or AUTO_MAX_SPEAKERS
    min_k = options.min_speakers
    if n == 0:
        return np.zeros(0, dtype=int)
    region = region_index(windows, regions)
    centred = _normalise(emb - emb.mean(axis=0))
    if n < 4 or max_k == 1:
        return np.zeros(n, dtype=int)
    radius = max(1, int(round(0.5 / options.hop)))
    smoothed = smooth_within_regions(centred, region, radius)
    step = max(1, int(round(0.5 / options.hop)), int(np.ceil(n / options.max_cluster_windows)))
    pick = np.arange(0, n, step)
    times = windows[pick, 0] + windows[pick, 1] / 2
    labels = spectral_clusters(smoothed[pick], times, min_k=min_k, max_k=max_k, exclude=options.window)
    k = int(labels.max()) + 1
    centroids = _centroids(centred[pick], labels, k)
    cost = np.full(n, options.change_penalty)
    cost[1:][region[1:] != region[:-1]] = options.pause_change_penalty
    path = _compact(resegment(centred, centroids, cost))
    for _ in range(2):  # re-estimate the centroids from the resegmented path
        path, centroids = _refit(centred, path, cost)
    k = int(path.max()) + 1
    while options.recheck and k < max_k:
        extra = hidden_speaker(centred, path, region, k, raw=emb)
        if extra is None:
            break
        trial = resegment(centred, np.vstack([centroids, extra]), cost)
        if np.count_nonzero(trial == k) * options.hop < MIN_RECHECK_SECONDS:
            break
        path, centroids = _refit(centred, trial, cost)
        if int(path.max()) + 1 <= k:
            break
        k = int(path.max()) + 1
    path = merge_similar(centred, path, cost, min_k=min_k)
    return split_mixed(emb, path, region, max_k=max_k, hop=options.hop) if options.recheck else path


MIXED_SIMILARITY = 0.85
"""A cluster whose two halves (2-means over its stretches) sound less alike than this is two voices.
Measured on synthetic meetings: two floor speakers merged into one cluster 0.80; the halves of
one speaker's cluster 0.89-0.98 (27 clusters in 5 meetings)."""

MIXED_SEPARATION = 14.0
"""A cluster of at least ``MIXED_MIN_STRETCHES`` stretches is two voices when its halves stand this far apart
(``held_out_separation``), however alike they sound.  Measured on a 46-min panel (resemblyzer): a panellist, the
online moderator and a floor speaker in one cluster 27.9, a floor speaker inside a panellist's cluster 148; the
seven clusters of one voice 3.1-6.8 (their halves' raw cosine 0.98-0.99, the mixed ones' 0.90-0.94).  On four
46-47-min panels (31 repeats, 8 seeds, 10- and 1-minute VAD blocks): 27 clusters of one voice 2.3-7.8, but for a
moderator heard in many short hand-offs 7.1-13.0; a moderator and a panellist whose voices the encoder hears as
0.88 alike (h1, 490 s; held out until then) 15.2-17.0, where 15 left them as one voice in half the runs; other mixed
clusters 17-230."""

MIXED_MIN_STRETCHES = 20
"""Below this many stretches a cluster's halves are too few to measure how far apart they stand."""


def _two_means(means: np.ndarray, size: np.ndarray, rng: np.random.Generator, tries: int = 6) -> np.ndarray | None:
    """Two centroids (unit rows) of the size-weighted 2-means of unit rows ``means``; None when it finds one group."""
    from scipy.cluster.vq import kmeans2

    best = None
    for _ in range(tries):
        _, lab = kmeans2(means, 2, minit="++", seed=rng)
        if lab.min() == lab.max():
            continue
        centres = _normalise(np.stack([(means[lab == k] * size[lab == k, None]).sum(axis=0) for k in (0, 1)]))
        cost = float((size * ((means - centres[lab]) ** 2).sum(axis=1)).sum())
        if best is None or cost < best[0]:
            best = (cost, centres)
    return None if best is None else best[1]


def held_out_separation(means: np.ndarray, size: np.ndarray, *, repeats: int = 31, seed: int = 0) -> float:
    """How far apart the two halves of a cluster stand, measured on stretches the halves were not found on.

    ``means`` are the stretches' mean embeddings (unit rows), ``size`` their window counts.  Repeatedly:
    2-means on a random half of the stretches, the other half put with the nearer centroid and projected on
    the line through both; the Fisher ratio of that projection, (m0 - m1)² / (v0 + v1).  The median over the
    repeats (31: with 9, one cluster measured 13.8-19.7 between seeds, with 31 16.1-16.5).  One voice cut in two
    by what it says gives ~3-7 (a 1-D Gaussian cut at its mean gives 3.6);
    two voices, however alike, stand apart.  Held out, so 2-means cannot make a gap out of noise as it can
    among few points in many dimensions."""
    rng = np.random.default_rng(seed)
    n = len(means)
    found: list[float] = []
    for _ in range(repeats):
        order = rng.permutation(n)
        fit, test = order[: n // 2], order[n // 2 :]
        centres = _two_means(means[fit], size[fit], rng)
        if centres is None:
            continue
        side = np.argmax(means[test] @ centres.T, axis=1)
        if side.min() == side.max():
            found.append(0.0)
            continue
        x, w = means[test] @ _normalise(centres[0] - centres[1]), size[test]
        m = [np.average(x[side == k], weights=w[side == k]) for k in (0, 1)]
        v = [np.average((x[side == k] - m[k]) ** 2, weights=w[side == k]) for k in (0, 1)]
        found.append(float((m[0] - m[1]) ** 2 / (v[0] + v[1] + 1e-12)))
    return float(np.median(found)) if found else 0.0


def split_mixed(
    raw: np.ndarray, path: np.ndarray, region: np.ndarray, *, max_k: int,
    threshold: float = MIXED_SIMILARITY, min_run: int = 4, min_seconds: float = 4.0, hop: float = 0.25,
    separation: float = MIXED_SEPARATION, min_stretches: int = MIXED_MIN_STRETCHES,
) -> np.ndarray:
    """Split clusters that hold two voices: e.g. two people from the floor, each heard once, or a panellist
    and the online moderator whose voices the encoder hears as alike.

    Each cluster's stretches (one label inside one speech region, ≥ ``min_run``
    windows) are split in two by 2-means on their mean raw embeddings; when
    both halves have ≥ 2 stretches and ``min_seconds`` of speech, and their
    voices' cosine is below ``threshold`` or (a cluster of ``min_stretches``
    stretches or more) they stand ``separation`` apart (``held_out_separation``),
    the second half becomes a speaker.  A half split off is tried again, so a
    cluster of three voices ends as three.
    """
    path = path.copy()
    runs = stretches(path, region)
    rng = np.random.default_rng(0)
    todo = list(range(int(path.max()) + 1))
    while todo:
        lab = todo.pop(0)
        if int(path.max()) + 1 >= max_k:
            break
        mine = [r for r in runs if path[r[0]] == lab and len(r) >= min_run]
        if len(mine) < 4:
            continue
        means = _normalise(np.stack([raw[r].mean(axis=0) for r in mine]))
        size = np.array([len(r) for r in mine], dtype=float)
        sim = means @ means.T
        a, b = np.unravel_index(int(np.argmin(sim)), sim.shape)
        ca, cb = means[a], means[b]
        second = np.zeros(len(mine), dtype=bool)
        for _ in range(10):
            second = means @ cb > means @ ca
            if second.all() or not second.any():
                break
            ca = _normalise((means[~second] * size[~second, None]).sum(axis=0))
            cb = _normalise((means[second] * size[second, None]).sum(axis=0))
        apart = float(ca @ cb) < threshold
        if not apart and len(mine) >= min_stretches:
            centres = _two_means(means, size, rng)
            if centres is not None and held_out_separation(means, size, seed=int(rng.integers(1 << 31))) >= separation:
                ca, cb = centres
                second = means @ cb > means @ ca
                apart = True
        if not apart or min(second.sum(), (~second).sum()) < 2 or min(size[second].sum(), size[~second].sum()) * hop < min_seconds:
            continue
        new = int(path.max()) + 1
        for r in runs:  # short stretches too, each to the nearer voice
            if path[r[0]] == lab:
                mean = _normalise(raw[r].mean(axis=0))
                if float(mean @ cb) > float(mean @ ca):
                    path[r] = new
        todo += [lab, new]
    return path


MERGE_SIMILARITY = 0.85
"""Two clusters whose (mean-centred) centroids are this similar are one voice split in two.
Measured on a 18.5-minute 4-voice meeting: the split voice's halves 0.88, the two closest
different voices 0.76."""


def merge_similar(emb: np.ndarray, path: np.ndarray, cost: np.ndarray, *, min_k: int = 1,
                  threshold: float = MERGE_SIMILARITY) -> np.ndarray:
    """Merge the most similar pair of clusters while their centroids' cosine ≥ ``threshold``."""
    while int(path.max()) + 1 > max(min_k, 1):
        k = int(path.max()) + 1
        c = _normalise(_centroids(emb, path, k))
        sim = c @ c.T
        np.fill_diagonal(sim, -1.0)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            break
        merged = np.where(path == max(i, j), min(i, j), path)
        path, _ = _refit(emb, merged, cost)
    return path


def _refit(emb: np.ndarray, path: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centroids of the current labels, then a new Viterbi path (labels compacted)."""
    path = _compact(path)
    centroids = _centroids(emb, path, int(path.max()) + 1)
    path = _compact(resegment(emb, centroids, cost))
    return path, _centroids(emb, path, int(path.max()) + 1)


def windows_to_turns(
    windows: np.ndarray, labels: np.ndarray, regions: Sequence[tuple[float, float]], *, merge_gap: float = 1.0
) -> list[SpeechTurn]:
    """Turns from window labels: each window owns the time nearest its centre
    inside its speech region; a region without a window takes the label of
    the nearest window; one speaker's turns closer than ``merge_gap`` join."""
    if len(windows) == 0:
        return []
    centres = windows[:, 0] + windows[:, 1] / 2
    pieces: list[list] = []
    for a, b in regions:
        inside = np.flatnonzero((centres >= a) & (centres <= b))
        if len(inside) == 0:
            nearest = int(np.argmin(np.abs(centres - (a + b) / 2)))
            pieces.append([a, b, int(labels[nearest])])
            continue
        c = centres[inside]
        edges = np.concatenate([[a], (c[1:] + c[:-1]) / 2, [b]])
        pieces.extend([edges[i], edges[i + 1], int(labels[j])] for i, j in enumerate(inside))
    pieces.sort()
    merged: list[list] = []
    for s, e, lab in pieces:
        if merged and merged[-1][2] == lab and s - merged[-1][1] < merge_gap:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, lab])
    return [SpeechTurn(start=sec(s), end=sec(e), label=f"S{lab}") for s, e, lab in merged if e > s]


