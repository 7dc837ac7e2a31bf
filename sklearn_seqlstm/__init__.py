"""sklearn-seqlstm: predict the next event from a history of events with an LSTM.

Public names load on first use (PEP 562), so that ``import sklearn_seqlstm`` and
``seqlstm --help`` do not pay for torch, skorch, scikit-learn or matplotlib
until a model is built or loaded. ``from sklearn_seqlstm import X`` works for
every name of ``__all__``.
"""

# Public name -> private module that defines it.
_LAZY = {
    "NextEventSamples": ".histories._eventlog",
    "leave_last_out_split": ".histories._eventlog",
    "samples_from_log": ".histories._eventlog",
    "time_split": ".histories._eventlog",
    "LeaveLastOut": ".histories._splitters",
    "read_xes": ".histories._xes",
    "fetch_process_log": ".histories._fetch",
    "load": ".serving._persistence",
    "KRetrievalCurveDisplay": ".inspection._plot",
    "LossCurveDisplay": ".inspection._plot",
    "MemorySweepDisplay": ".inspection._plot",
    "TransitionMatrixDisplay": ".inspection._plot",
    "memory_sweep": ".inspection._sweep",
    "transition_recovery": ".inspection._sweep",
    "sequence_permutation_importance": ".inspection._importance",
    "BayesOracleClassifier": ".baselines._oracle",
    "MarkovChainClassifier": ".baselines._markov",
    "SequenceFeaturizer": ".baselines._featurizer",
    "SeasonalNaiveRegressor": ".baselines._naive",
    "MarkovMemorySampler": ".synthetic._sampler",
    "NextEventClassifier": ".neural._classifier",
    "NextValueRegressor": ".neural._regressor",
    "HistoryStream": ".serving._stream",
    "PrefixHistories": ".histories._prefixes",
    "AttributedHistories": ".histories._attributed",
    "EventLogFiles": ".histories._streamed",
    "k_retrieval_curve": ".metrics._scoring",
    "k_retrieval_curve_from_estimator": ".metrics._scoring",
    "ndcg_at_k": ".metrics._ranking",
    "ndcg_scorer": ".metrics._ranking",
    "neg_log_loss_scorer": ".metrics._scoring",
    "next_event_scorers": ".metrics._scoring",
    "reciprocal_rank": ".metrics._scoring",
    "reciprocal_rank_scorer": ".metrics._scoring",
    "top_k_accuracy": ".metrics._scoring",
    "top_k_scorer": ".metrics._scoring",
    "ScoreInterval": ".metrics._uncertainty",
    "bootstrap_interval": ".metrics._uncertainty",
    "LeakageReport": ".metrics._leakage",
    "leakage_report": ".metrics._leakage",
    "PrefixLookupClassifier": ".baselines._prefix_lookup",
    "AccuracyByPrefixLengthDisplay": ".inspection._accuracy_by_length",
    "TransitionGraphDisplay": ".inspection._transition_graph",
}

__all__ = list(_LAZY)
__version__ = "0.1.0"


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Imported here, not at the top: a module-level import would be a name of the
    # package (dir(sklearn_seqlstm) would list importlib).
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # the next access is a plain attribute lookup
    return value


def __dir__():
    return sorted({*globals(), *__all__})
