"""Shared helpers: parameter checks, missing values, mixins.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
