"""Probabilistic CLV models: purchase models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB), the Gamma-Gamma spend model,
CLV with intervals, model comparison, and the contractual retention models (sBG, BdW)."""

from clv.models.beta_discrete_weibull import BetaDiscreteWeibull
from clv.models.beta_geo import BetaGeo
from clv.models.beta_geo_beta_binom import BetaGeoBetaBinom
from clv.models.compare import PURCHASE_MODELS, ModelComparison, compare_models
from clv.models.contractual import VALUE_COLUMNS, ContractualModel
from clv.models.gamma_gamma import GammaGamma
from clv.models.modified_beta_geo import ModifiedBetaGeo
from clv.models.pareto_nbd import ParetoNBD
from clv.models.purchase import PurchaseModel
from clv.models.shifted_beta_geo import ShiftedBetaGeometric
from clv.models.value import CLV_COLUMNS, customer_lifetime_value

__all__ = [
    "CLV_COLUMNS",
    "PURCHASE_MODELS",
    "VALUE_COLUMNS",
    "BetaDiscreteWeibull",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "ContractualModel",
    "GammaGamma",
    "ModelComparison",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "PurchaseModel",
    "ShiftedBetaGeometric",
    "compare_models",
    "customer_lifetime_value",
]
