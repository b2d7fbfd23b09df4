"""Does synthetic data help a classifier? The parts both drivers share (P1, P3, P0).

Two drivers stand on these parts: the fixed-split benchmark (``benchmark`` here,
``python -m keras_medgan.benchmark``) and the cross-validated study (``keras_medgan.study``,
with GANs trained inside each fold).

Modules, one job each:

- ``arms``                 the training sets compared (registry ``ARMS``): real, synthetic,
                           real+synthetic, classical, classical+synthetic — pure array
                           functions;
- ``classifier_augment``   classical augmentation (one affine + intensity, p = 0.5 each);
- ``classifier_training``  the classifier protocols: equal steps (default) or P1's early
                           stopping;
- ``endpoints``            AUC / log-loss / Brier, and accuracy etc. at a validation
                           threshold;
- ``cell``                 one classifier cell (seeds, probabilities, endpoints);
- ``classifier_flags``     the classifier flags both command lines share;
- ``splits``               per-repeat train/val/test splits with count checks;
- ``generators``           ``--generators`` parsing, checks against the data, synthetic
                           pools;
- ``gan_train``            P3's GAN-train / GAN-test SVM on features;
- ``fidelity``             P0's class fidelity (a real-trained classifier labels the fakes);
- ``benchmark``            the benchmark's jobs, resumable JSONL, ETA; ``report`` its
                           tables and plot.
"""

from keras_medgan.compare.arms import ARMS, TrainingSet, build_training_set
from keras_medgan.compare.benchmark import BenchmarkConfig, run_benchmark
from keras_medgan.compare.classifier_training import TrainConfig
from keras_medgan.compare.errors import BenchmarkError

__all__ = [
    "ARMS",
    "BenchmarkConfig",
    "BenchmarkError",
    "TrainConfig",
    "TrainingSet",
    "build_training_set",
    "run_benchmark",
]
