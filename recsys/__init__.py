"""recsys: a trained, explainable, auditable candidate-role recommender."""

__version__ = "0.1.0"
