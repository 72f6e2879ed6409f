"""Robustness: imbalanced classification remedies, learning-rate sweeps, adversarial attacks and training.

Not implemented yet: its issue has not landed.
"""
