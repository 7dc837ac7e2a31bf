"""Simple models to beat: Markov chains, features for linear and tree models, the Bayes oracle,
the seasonal naive forecast.

Public names are imported from :mod:`sklearn_seqlstm` itself."""
