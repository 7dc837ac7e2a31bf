"""One rule for missing values, wherever an event, a label or a key is read.

None, NaN (of any float or complex type), ``pd.NA``, ``pd.NaT``, numpy's
datetime and timedelta NaT and ``Decimal("NaN")`` all mean "no value". Every
estimator, the event-log functions and the sampler refuse them alike, so that a
history the sampler makes is one the classifiers take, and two missing values
never pass for the same event.
"""

from decimal import Decimal

import numpy as np
import pandas as pd

__all__ = ["is_missing", "missing_mask"]


def is_missing(value):
    """Whether one value is a missing-value marker."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return value != value
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    if isinstance(value, Decimal):
        # Decimal("sNaN") != itself raises; is_nan() covers quiet and signalling NaNs.
        return value.is_nan()
    return False


def missing_mask(values):
    """Boolean mask of the missing values of a 1-D array or Series.

    pandas' vectorised test finds the same markers as :func:`is_missing`, but
    raises on a signalling ``Decimal("sNaN")``; such arrays are tested one value
    at a time.
    """
    values = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values
    values = np.asarray(values)
    try:
        return np.asarray(pd.isna(values), dtype=bool)
    except ArithmeticError:  # decimal.InvalidOperation, from Decimal("sNaN")
        return np.fromiter(map(is_missing, values.tolist()), dtype=bool, count=len(values))
