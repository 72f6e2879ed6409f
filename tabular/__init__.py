"""Tabular data: Adult dataset, transformers, augmentation, tabular GANs and the evaluation suite.

Not implemented yet: its issue has not landed.
"""
