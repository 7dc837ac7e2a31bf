"""sklearn-seqlstm: predict the next event from a history of events with an LSTM."""

from ._attributed import AttributedHistories
from ._classifier import NextEventClassifier
from ._eventlog import NextEventSamples, leave_last_out_split, samples_from_log, time_split
from ._featurizer import SequenceFeaturizer
from ._markov import MarkovChainClassifier
from ._oracle import BayesOracleClassifier
from ._plot import (
    KRetrievalCurveDisplay,
    LossCurveDisplay,
    MemorySweepDisplay,
    TransitionMatrixDisplay,
)
from ._prefixes import PrefixHistories
from ._sampler import MarkovMemorySampler
from ._scoring import (
    k_retrieval_curve,
    k_retrieval_curve_from_estimator,
    neg_log_loss_scorer,
    next_event_scorers,
    reciprocal_rank,
    reciprocal_rank_scorer,
    top_k_accuracy,
    top_k_scorer,
)
from ._sweep import memory_sweep, transition_recovery
from ._uncertainty import ScoreInterval, bootstrap_interval

__all__ = [
    "NextEventSamples",
    "leave_last_out_split",
    "samples_from_log",
    "time_split",
    "KRetrievalCurveDisplay",
    "LossCurveDisplay",
    "MemorySweepDisplay",
    "TransitionMatrixDisplay",
    "memory_sweep",
    "transition_recovery",
    "BayesOracleClassifier",
    "MarkovChainClassifier",
    "SequenceFeaturizer",
    "MarkovMemorySampler",
    "NextEventClassifier",
    "PrefixHistories",
    "AttributedHistories",
    "k_retrieval_curve",
    "k_retrieval_curve_from_estimator",
    "neg_log_loss_scorer",
    "next_event_scorers",
    "reciprocal_rank",
    "reciprocal_rank_scorer",
    "top_k_accuracy",
    "top_k_scorer",
    "ScoreInterval",
    "bootstrap_interval",
]
__version__ = "0.1.0"
