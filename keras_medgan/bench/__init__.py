"""The augmentation benchmark: do GAN-made images help a classifier? (P1, P3, P0).

Modules, one job each:

- ``arms``       the training sets compared (registry ``ARMS``): real, synthetic,
                 real+synthetic, classical, classical+synthetic — pure array functions;
- ``augment``    classical augmentation (one affine + intensity, each op with p = 0.5);
- ``training``   the classifier protocols: equal steps (default) or P1's early stopping;
- ``endpoints``  AUC / log-loss / Brier, and accuracy etc. at a validation threshold;
- ``cell``       one classifier cell (seeds, probabilities, endpoints) for benchmark and study;
- ``classifier_flags`` the classifier flags both command lines share;
- ``splits``     per-repeat train/val/test splits with count checks;
- ``generators`` ``--generators`` parsing, checks against the data, synthetic pools;
- ``gan_train``  P3's GAN-train / GAN-test SVM on features;
- ``fidelity``   P0's class fidelity (a real-trained classifier labels the fakes);
- ``runner``     jobs, resumable JSONL, ETA; ``report`` tables and plot.
"""

from keras_medgan.bench.arms import ARMS, TrainingSet, build_training_set
from keras_medgan.bench.errors import BenchmarkError
from keras_medgan.bench.runner import BenchmarkConfig, run_benchmark
from keras_medgan.bench.training import TrainConfig

__all__ = [
    "ARMS",
    "BenchmarkConfig",
    "BenchmarkError",
    "TrainConfig",
    "TrainingSet",
    "build_training_set",
    "run_benchmark",
]
