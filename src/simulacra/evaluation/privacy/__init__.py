"""Privacy metrics: does the synthetic table reveal the training records it was made from?

Every metric needs a **holdout** (real rows the generator did not see) and compares what the synthetic
data reveal about training records with what they reveal about holdout records, so that ordinary
similarity between people is not counted as a leak. Each figure carries a 95% interval.

* :class:`ExactCopies` (``privacy.exact_copies``): synthetic rows identical to a training row.
* :class:`DCRShare` (``privacy.dcr_share``): share of synthetic rows closer to train than to holdout.
* :class:`NNDR` (``privacy.nndr``): nearest-neighbour distance ratio to the training rows.
* :class:`MembershipInference` (``privacy.membership_inference``): AUC of a DOMIAS-style attack.
* :class:`SinglingOut`, :class:`Linkability`, :class:`AttributeInference` (``privacy.singling_out``,
  ``privacy.linkability``, ``privacy.attribute_inference``): the three criteria of the Article 29
  Working Party (Opinion 05/2014) measured as in Giomi et al., PoPETs 2023.

>>> from simulacra.evaluation.privacy import DCRShare
>>> DCRShare().compute(train, synthetic, schema, holdout=holdout).score  # doctest: +SKIP
"""

from .dcr import NNDR, DCRShare
from .exact import ExactCopies
from .inference import AttributeInference
from .linkability import Linkability
from .membership import MembershipInference
from .singling_out import SinglingOut

__all__ = [
    "NNDR",
    "AttributeInference",
    "DCRShare",
    "ExactCopies",
    "Linkability",
    "MembershipInference",
    "SinglingOut",
]
