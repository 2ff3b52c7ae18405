"""MBG/NBD: the modified BG/NBD model.

Batislam, E. P., Denizel, M. & Filiztekin, A. (2007), "Empirical validation and comparison of models for customer
base analysis", International Journal of Research in Marketing 24(3), 201-209. As BG/NBD, except that a customer may
also drop out right after the first purchase, so customers without repeat purchases are not certainly alive: the
likelihood is ``Gamma(r + x) alpha^r / Gamma(r) [B(a, b + x + 1) / B(a, b) (alpha + T)^-(r+x)
+ B(a + 1, b + x) / B(a, b) (alpha + t_x)^-(r+x)]`` for every ``x``.
"""

from __future__ import annotations

from typing import ClassVar

from clv.models.beta_geo import BetaGeo


class ModifiedBetaGeo(BetaGeo):
    """MBG/NBD purchase model with parameters ``r, alpha, a, b``."""

    model_type: ClassVar[str] = "MBG/NBD"
    dropout_shift: ClassVar[int] = 1
