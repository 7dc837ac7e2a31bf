"""The neural core: the LSTM module, one pass per chain, step encoding, the estimators.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
