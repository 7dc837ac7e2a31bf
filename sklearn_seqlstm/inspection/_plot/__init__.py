"""Display objects for next-event models, shaped like scikit-learn's ``RocCurveDisplay``.

Each Display stores computed values in ``__init__``; ``plot(ax=None, ...)`` draws
them, keeps ``ax_`` and ``figure_`` and returns the Display; ``from_*``
classmethods compute the values and then plot. matplotlib is an optional
dependency (``pip install "sklearn-seqlstm[plot]"``), imported only when drawing.
"""

# The demo draws the Bayes limit as the sweep display does.
from ._base import _LIMIT_STYLE as _LIMIT_STYLE
from ._k_retrieval import KRetrievalCurveDisplay
from ._loss_curve import LossCurveDisplay
from ._memory_sweep import MemorySweepDisplay
from ._transition_matrix import TransitionMatrixDisplay

__all__ = [
    "KRetrievalCurveDisplay",
    "LossCurveDisplay",
    "MemorySweepDisplay",
    "TransitionMatrixDisplay",
]
