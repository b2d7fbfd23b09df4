"""Mean D(G(z)) from a run's ``metrics.jsonl`` — P0's training-time realism number.

P0 reports the discriminator's mean output on fakes over the last 20 epochs (0.314 for its
DCGAN): 0.5 would mean D cannot tell, 0 that it always spots the fakes. The GAN classes log
``d_fake`` (mean sigmoid(D) for the "bce" family; the raw critic value for Wasserstein
families, which is not a probability — the report says which).
"""

from __future__ import annotations

import numpy as np

from keras_medgan.training.metrics_file import read_records

KEY = "d_fake"


def read_metrics(path) -> list:
    """The records of a run's metrics.jsonl (a run folder or the file); an unparsable
    line is an error naming the file and the line."""
    return read_records(path, strict=True)


def mean_d_fake(records: list, last_epochs: int = 20, key: str = KEY) -> dict[str, object]:
    """Mean of ``key`` over the last ``last_epochs`` epochs.

    Records with an ``epoch`` field are grouped by it and the last record of each epoch
    kept (Keras logs the epoch's running mean last); records without one count as one
    epoch each, in file order.
    """
    per_epoch: dict[float, float] = {}
    for i, rec in enumerate(records):
        if key in rec and rec[key] is not None:
            epoch = rec.get("epoch", i)
            per_epoch[float(epoch)] = float(rec[key])
    if not per_epoch:
        raise ValueError(f"no {key!r} values in the run's metrics.jsonl")
    epochs = sorted(per_epoch)
    values = np.array([per_epoch[e] for e in epochs])
    k = min(int(last_epochs), len(values))
    return {
        "mean": float(values[-k:].mean()),
        "last_epochs": k,
        "num_epochs": len(values),
        "epochs": epochs,
        "values": values.tolist(),
        "key": key,
    }
