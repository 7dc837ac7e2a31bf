"""Synthetic histories whose Bayes limit is known.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
