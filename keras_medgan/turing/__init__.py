"""Visual Turing test (P0, P4): make a blinded study, serve a rating page, score it.

``python -m keras_medgan.turing make|serve|score`` — see ``cli.py``.
"""

from keras_medgan.turing.score import cohen_kappa, score_study, turing_metrics
from keras_medgan.turing.study import make_study

__all__ = ["cohen_kappa", "make_study", "score_study", "turing_metrics"]
