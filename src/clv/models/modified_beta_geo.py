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
    """MBG/NBD purchase model: BG/NBD in which a customer may also drop out right after the first purchase.

    As :class:`~clv.models.beta_geo.BetaGeo` (rate ``lambda ~ Gamma(r, alpha)`` per time unit, dropout probability
    ``p ~ Beta(a, b)``), except that the dropout chance also follows the first purchase, so a customer without repeat
    purchases is not certainly alive::

        L(r, alpha, a, b | x, t_x, T) = Gamma(r + x) alpha^r / Gamma(r)
            * [ B(a, b + x + 1) / B(a, b) (alpha + T)^-(r+x) + B(a + 1, b + x) / B(a, b) (alpha + t_x)^-(r+x) ]

    for every ``x``, with ``t_x`` and ``T`` in the summary's time unit. Covariates enter as in
    :class:`~clv.models.beta_geo.BetaGeo` (``alpha_i``, ``a_i``, ``b_i``).

    Parameters
    ----------
    l2_penalty : float, default 0.0
        Weight of an L2 penalty on the log-parameters, added to the mean negative log-likelihood per customer.
    tol : float, default 1e-9
        Convergence tolerance of the L-BFGS-B optimiser (on the mean log-likelihood per customer).
    max_iter : int, default 1000
        Iterations allowed per start.
    n_starts : int, default 6
        Starting points tried (the first from moments, the rest jittered) until one converges.

    Attributes
    ----------
    params_ : dict of str to float
        The maximum-likelihood estimates: ``r``, ``a``, ``b`` have no unit, ``alpha`` is in the time unit of
        the summary.
    standard_errors_ : dict of str to float
        Their standard errors from the inverse Hessian of the log-likelihood (NaN when it is not positive definite).
    log_likelihood_ : float
        The maximised log-likelihood over all customers.
    converged_ : bool
        Whether the optimiser reported convergence.
    covariates_ : CovariateFit or None
        The covariate encoding, coefficients and their covariance (None when fitted without covariates); read them
        as a table with ``coefficients_``.

    References
    ----------
    Batislam, E. P., Denizel, M. & Filiztekin, A. (2007), "Empirical validation and comparison of models for customer
    base analysis", International Journal of Research in Marketing 24(3), 201-209.
    Fader, P. S. & Hardie, B. G. S. (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD
    models", http://www.brucehardie.com/notes/019/.
    Meierer, M. et al., CLVTools (R package), https://github.com/bachmannpatrick/CLVTools.
    """

    model_type: ClassVar[str] = "MBG/NBD"
    dropout_shift: ClassVar[int] = 1
