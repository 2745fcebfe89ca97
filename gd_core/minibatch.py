"""Minibatch schedules: each epoch a fresh permutation of the points, cut into consecutive batches.

Batches are drawn without replacement; the last batch of an epoch holds the remainder (as
torch.utils.data.DataLoader does with drop_last=False). Permutations come from a CPU generator
seeded with `seed`, so a schedule is the same on every device.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch

Tensor = torch.Tensor
_PERMUTATION_BUDGET = 1 << 22  # permutation entries drawn at once (bounds memory for big data)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Iterations in one pass over n points: ceil(n / batch_size)."""
    return math.ceil(n / batch_size)


def epoch_permutation_chunks(n: int, epochs: int, seed: int) -> Iterator[Tensor]:
    """Yield (count, n) blocks of permutations of range(n), one row per epoch, a bounded chunk of epochs at a time."""
    generator = torch.Generator().manual_seed(int(seed))
    chunk = max(1, _PERMUTATION_BUDGET // max(n, 1))
    for first in range(0, epochs, chunk):
        count = min(chunk, epochs - first)
        keys = torch.rand(count, n, generator=generator, dtype=torch.float64)
        # numpy's argsort: the same permutation as torch's for distinct keys, about 4× faster on the CPU
        yield torch.from_numpy(keys.numpy().argsort(-1))


def epoch_permutations(n: int, epochs: int, seed: int) -> Iterator[Tensor]:
    """Yield one random permutation of range(n) per epoch, drawn a chunk of epochs at a time."""
    for block in epoch_permutation_chunks(n, epochs, seed):
        yield from block


def _batch_sums(values: Tensor, batch_of: Tensor, batches: int) -> Tensor:
    return torch.zeros(batches, dtype=values.dtype, device=values.device).index_add_(0, batch_of, values)


def batch_moments(x: Tensor, y: Tensor, batch_size: int, count: int, seed: int) -> tuple[Tensor, Tensor]:
    """Centred moments (see problems.centred_moments) of the first `count` batches of the schedule, and their epochs.

    Every batch's statistics are computed with a few whole-epoch tensor operations (index_add over the
    batch id of each point), so the descent loop itself only touches five numbers per step.
    """
    epochs = math.ceil(count / steps_per_epoch(x.numel(), batch_size))
    blocks = epoch_permutation_chunks(x.numel(), epochs, seed)
    moments = [permutation_moments(x, y, batch_size, block.to(x.device)) for block in blocks]
    epoch_of_step = torch.arange(count) // steps_per_epoch(x.numel(), batch_size)
    return torch.cat(moments)[:count], epoch_of_step


def permutation_moments(x: Tensor, y: Tensor, batch_size: int, permutations: Tensor) -> Tensor:
    """Centred moments of every batch of a (epochs, n) block of permutations: (epochs · ceil(n/B), 5), in step order.

    A point's batch id is (its epoch)·ceil(n/B) + (its position) // B, so one index_add per moment covers every
    batch of the block (the sums run over each batch's points in order, as a loop over epochs would).
    """
    epochs, n = permutations.shape
    per_epoch = steps_per_epoch(n, batch_size)
    position = torch.arange(n, device=x.device) // batch_size  # (n,)
    batch_of = (torch.arange(epochs, device=x.device)[:, None] * per_epoch + position).reshape(-1)  # (epochs·n,)
    batches = epochs * per_epoch
    sizes = _batch_sums(torch.ones(n, dtype=x.dtype, device=x.device), position, per_epoch).repeat(epochs)
    xp, yp = x[permutations].reshape(-1), y[permutations].reshape(-1)  # (epochs·n,)
    mean_x = _batch_sums(xp, batch_of, batches) / sizes
    mean_y = _batch_sums(yp, batch_of, batches) / sizes
    u, v = xp - mean_x[batch_of], yp - mean_y[batch_of]
    second = [_batch_sums(a * b, batch_of, batches) / sizes for a, b in ((u, u), (u, v), (v, v))]
    return torch.stack([mean_x, mean_y, *second], -1)


def batch_membership(n: int, batch_size: int, steps: int, seed: int) -> pd.DataFrame:
    """Which points form the batch of each step: one row per (step, index), for steps 0..steps−1."""
    batch_size = min(max(int(batch_size), 1), n)
    per_epoch = steps_per_epoch(n, batch_size)
    epochs = math.ceil(max(steps, 0) / per_epoch)
    rows_step, rows_index = [], []
    for epoch, permutation in enumerate(epoch_permutations(n, epochs, seed)):
        position = torch.arange(n)
        step = epoch * per_epoch + position // batch_size
        keep = step < steps
        rows_step.append(step[keep])
        rows_index.append(permutation[keep])
    if not rows_step:
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "index": pd.Series(dtype="int64")})
    return pd.DataFrame({"step": torch.cat(rows_step).numpy(), "index": torch.cat(rows_index).numpy()})


def batch_membership_of(n: int, batch_size: int, steps: int, seed: int, points, only_steps=None) -> pd.DataFrame:
    """batch_membership restricted to the listed `points` (and steps `only_steps`): rows (step, index), built
    from the same schedule without ever listing the other points; ≤ len(points) × epochs rows.

    Point i is in the batch of step e·⌈n/B⌉ + ⌊pos_e(i)/B⌋ of epoch e, pos_e the inverse of its permutation.
    """
    batch_size = min(max(int(batch_size), 1), n)
    points = torch.from_numpy(np.array(points, dtype=np.int64))
    per_epoch = steps_per_epoch(n, batch_size)
    epochs = math.ceil(max(steps, 0) / per_epoch)
    wanted = None if only_steps is None else torch.as_tensor(np.unique(np.asarray(only_steps, dtype=np.int64)))
    rows_step, rows_index = [], []
    if batch_size == n:  # the full batch: every point in every step, no shuffle needed
        schedule = enumerate(None for _ in range(epochs))
    else:
        schedule = enumerate(epoch_permutations(n, epochs, seed))
    for epoch, permutation in schedule:
        if permutation is None:
            position = torch.zeros_like(points)
        else:
            inverse = torch.empty(n, dtype=torch.int64)
            inverse[permutation] = torch.arange(n)
            position = inverse[points]
        step = epoch * per_epoch + position // batch_size
        keep = step < steps
        if wanted is not None:
            keep &= torch.isin(step, wanted)
        rows_step.append(step[keep])
        rows_index.append(points[keep])
    if not rows_step:
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "index": pd.Series(dtype="int64")})
    frame = pd.DataFrame({"step": torch.cat(rows_step).numpy(), "index": torch.cat(rows_index).numpy()})
    return frame.sort_values(["step", "index"], ignore_index=True)


def gradient_noise(frame: pd.DataFrame) -> pd.Series:
    """Per epoch, the median over its steps of |g_batch − g_full| / |g_full| (a minibatch frame's columns)."""
    error = np.hypot(frame["grad_w"] - frame["full_grad_w"], frame["grad_b"] - frame["full_grad_b"])
    size = np.hypot(frame["full_grad_w"], frame["full_grad_b"])
    ratio = (error / size.where(size > 0)).replace([np.inf, -np.inf], np.nan)
    return ratio.groupby(frame["epoch"]).median().dropna()


def points_read(steps: int, n: int, batch_size: int) -> int:
    """Data points read to compute `steps` gradients with batches of B (an epoch's last batch is the rest)."""
    per_epoch = steps_per_epoch(n, batch_size)
    position = np.arange(steps) % per_epoch
    return int(np.minimum(batch_size, n - position * batch_size).sum())
