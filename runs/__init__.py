"""Experiments: one module per study, run with ``genlab run NAME``."""
