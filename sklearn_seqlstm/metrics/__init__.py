"""Scores of next-event predictions and their uncertainty.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
