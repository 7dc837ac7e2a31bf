"""What the fuzz tests share: a count of the cases each one tried, and the outcomes allowed.

Every fuzz test wraps its body in :func:`counted`, below ``@given``, so that each
generated case is counted; ``tests/conftest.py`` prints the counts at the end of
the run. :func:`outcome` runs one call and allows exactly two results: a
``ValueError`` or ``TypeError`` with a message, or a value the test then checks.
"""

import functools
import os
import pickle
import traceback
from collections import Counter

import numpy as np
import scipy.sparse as sp

CASES = Counter()


def counted(test):
    """Count each call of ``test`` (each generated case) under its name."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        CASES[test.__name__] += 1
        return test(*args, **kwargs)

    return wrapper


class Refused:
    """A call that raised the clear error it should have."""

    def __init__(self, error):
        self.error = error


def outcome(call, *args, **kwargs):
    """``call(*args, **kwargs)``, or :class:`Refused` if it raised ValueError or TypeError.

    Any other exception (an IndexError from numpy, a RuntimeError from torch, a
    KeyError from pandas) propagates and fails the test: that is what a user
    would have seen.
    """
    try:
        return call(*args, **kwargs)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert message.strip(), f"{type(error).__name__} without a message"
        where = raised_in(error)
        assert where in ("sklearn_seqlstm", "sklearn"), (
            f"{type(error).__name__} raised inside {where}, not by a check of ours or of "
            f"scikit-learn's validation: {message}"
        )
        return Refused(error)


def raised_in(error):
    """The package whose code raised ``error``: 'sklearn_seqlstm', 'sklearn', 'torch', ...

    A ValueError from deep inside torch or pandas is the stack trace a user should
    never see, even though its type is right.
    """
    filename = traceback.extract_tb(error.__traceback__)[-1].filename
    parts = filename.split(os.sep)
    for package in ("sklearn_seqlstm", "sklearn", "skorch", "torch", "pandas", "numpy", "scipy"):
        if package in parts:
            return package
    return filename


def snapshot(*values):
    """Bytes that change if any of ``values`` is modified (NaN compares equal here)."""
    return pickle.dumps(values)


def assert_valid_proba(proba, n_samples, n_classes):
    """Probabilities: shape, finite, non-negative, rows summing to 1."""
    proba = proba.toarray() if sp.issparse(proba) else np.asarray(proba)
    assert proba.shape == (n_samples, n_classes)
    assert np.isfinite(proba).all()
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
