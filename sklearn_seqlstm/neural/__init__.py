"""The neural core: the LSTM module, one pass per chain, step encoding, and the estimators built on them.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
