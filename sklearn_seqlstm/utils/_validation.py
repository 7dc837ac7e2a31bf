"""Parameter constraints that refuse what scikit-learn's ``Interval`` lets through.

``Interval(Integral, ...)`` accepts ``True`` as 1 and ``Interval(Real, ...)``
accepts ``True`` as 1.0, since ``bool`` subclasses ``int``. ``hidden_size=True``
is surely a mistake, so the estimators here declare their numbers with
:func:`integers` and :func:`reals`, which refuse bools and accept numpy scalars
(``np.int64(32)`` from ``np.arange`` in a grid search) like Python ones. An
unbounded interval still refuses ``inf``, which no parameter here can use.
"""

import math
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

__all__ = ["integers", "reals"]


class _NumberInterval(Interval):
    """An ``Interval`` that refuses bools and infinities."""

    def is_satisfied_by(self, val):
        if isinstance(val, bool) or not super().is_satisfied_by(val):
            return False
        return math.isfinite(val)

    def __str__(self):
        return f"{super().__str__()}, finite and not a bool"


def integers(left, right=None):
    """Integers from ``left`` to ``right``, both included; ``right=None``: no upper bound."""
    return _NumberInterval(Integral, left, right, closed="left" if right is None else "both")


def reals(left, right=None, *, closed="left"):
    """Real numbers (NaN excluded) in the interval; None bounds are unbounded."""
    return _NumberInterval(Real, left, right, closed=closed)
