"""Probabilistic CLV models: purchase models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB) and the Gamma-Gamma spend model."""

from clv.models.beta_geo import BetaGeo
from clv.models.gamma_gamma import GammaGamma
from clv.models.modified_beta_geo import ModifiedBetaGeo
from clv.models.pareto_nbd import ParetoNBD

__all__ = ["BetaGeo", "GammaGamma", "ModifiedBetaGeo", "ParetoNBD"]
