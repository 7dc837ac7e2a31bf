"""sklearn-seqlstm: predict the next event from a history of events with an LSTM."""

from ._classifier import NextEventClassifier

__all__ = ["NextEventClassifier"]
__version__ = "0.1.0"
