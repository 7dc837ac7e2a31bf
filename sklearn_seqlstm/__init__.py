"""sklearn-seqlstm: predict the next event from a history of events with an LSTM.

Public names load on first use (PEP 562), so that ``import sklearn_seqlstm`` and
``seqlstm --help`` do not pay for torch, skorch, scikit-learn or matplotlib
until a model is built or loaded. ``from sklearn_seqlstm import X`` works for
every name of ``__all__``.
"""

import importlib

# Public name -> private module that defines it.
_LAZY = {
    "NextEventSamples": "._eventlog",
    "leave_last_out_split": "._eventlog",
    "samples_from_log": "._eventlog",
    "time_split": "._eventlog",
    "load": "._persistence",
    "KRetrievalCurveDisplay": "._plot",
    "LossCurveDisplay": "._plot",
    "MemorySweepDisplay": "._plot",
    "TransitionMatrixDisplay": "._plot",
    "memory_sweep": "._sweep",
    "transition_recovery": "._sweep",
    "BayesOracleClassifier": "._oracle",
    "MarkovChainClassifier": "._markov",
    "SequenceFeaturizer": "._featurizer",
    "MarkovMemorySampler": "._sampler",
    "NextEventClassifier": "._classifier",
    "HistoryStream": "._stream",
    "PrefixHistories": "._prefixes",
    "AttributedHistories": "._attributed",
    "k_retrieval_curve": "._scoring",
    "k_retrieval_curve_from_estimator": "._scoring",
    "neg_log_loss_scorer": "._scoring",
    "next_event_scorers": "._scoring",
    "reciprocal_rank": "._scoring",
    "reciprocal_rank_scorer": "._scoring",
    "top_k_accuracy": "._scoring",
    "top_k_scorer": "._scoring",
    "ScoreInterval": "._uncertainty",
    "bootstrap_interval": "._uncertainty",
}

__all__ = list(_LAZY)
__version__ = "0.1.0"


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next access is a plain attribute lookup
    return value


def __dir__():
    return sorted({*globals(), *__all__})
