"""Utility metrics: is the synthetic table as useful as the real one for a prediction task?

Both need a target column and a real holdout; without them they are listed as not evaluated.
"""

from .feature_importance import FeatureImportance
from .tstr import TSTR

__all__ = ["TSTR", "FeatureImportance"]
