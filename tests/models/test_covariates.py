"""Time-invariant covariates in BG/NBD, MBG/NBD and Pareto/NBD: recovery of known effects on simulated customers,
no effect where there is none, exact reduction to the model without covariates, encoding, alignment, persistence,
penalty and constraints."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clv.datasets.draws import simulate_bg_nbd, simulate_pareto_nbd
from clv.errors import DataValidationError, ModelFileError
from clv.models import BetaGeo, ModifiedBetaGeo, ParetoNBD
from clv.models.covariate_design import CoefficientLayout
from clv.models.covariate_state import CovariateRows

PURCHASE = [BetaGeo, ModifiedBetaGeo, ParetoNBD]


def _customers(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Covariates (a binary ``web`` and a standard-normal ``score``) and the observation lengths T in weeks."""
    covariates = pd.DataFrame({"web": rng.integers(0, 2, n), "score": rng.normal(0.0, 1.0, n)})
    return covariates, rng.uniform(26.0, 78.0, n)


def _within(model: BetaGeo | ParetoNBD, truth: dict[tuple[str, str], float], sigmas: float) -> None:
    table = model.coefficients_.set_index(["process", "covariate"])
    for key, value in truth.items():
        estimate, se = table.loc[key, "coefficient"], table.loc[key, "se"]
        assert 0 < se < 0.25, (key, se)
        assert abs(estimate - value) < sigmas * se, (key, estimate, value, se)


def test_recovers_bg_nbd_coefficients() -> None:
    rng = np.random.default_rng(11)
    covariates, age = _customers(rng, 10_000)
    web, score = covariates["web"].to_numpy(), covariates["score"].to_numpy()
    alpha = 4.0 * np.exp(-(0.5 * web - 0.3 * score))
    dropout = np.exp(0.6 * web + 0.3 * score)
    summary = simulate_bg_nbd(rng, 0.8, alpha, 0.7 * dropout, 3.0 * dropout, age)
    model = BetaGeo().fit(summary, covariates=covariates)
    truth = {
        ("purchase", "web"): 0.5,
        ("purchase", "score"): -0.3,
        ("dropout", "web"): 0.6,
        ("dropout", "score"): 0.3,
    }
    _within(model, truth, 3.0)
    for name, value in {"r": 0.8, "alpha": 4.0, "a": 0.7, "b": 3.0}.items():
        assert abs(model.params_[name] - value) < 3.0 * model.standard_errors_[name], name
    assert model.converged_


def test_recovers_pareto_nbd_coefficients() -> None:
    rng = np.random.default_rng(12)
    covariates, age = _customers(rng, 8_000)
    web, score = covariates["web"].to_numpy(), covariates["score"].to_numpy()
    alpha = 5.0 * np.exp(-(0.4 * web + 0.25 * score))
    beta = 20.0 * np.exp(-(-0.5 * web + 0.3 * score))
    summary = simulate_pareto_nbd(rng, 0.9, alpha, 0.8, beta, age)
    model = ParetoNBD().fit(summary, covariates=covariates)
    truth = {
        ("purchase", "web"): 0.4,
        ("purchase", "score"): 0.25,
        ("dropout", "web"): -0.5,
        ("dropout", "score"): 0.3,
    }
    _within(model, truth, 3.0)
    for name, value in {"r": 0.9, "alpha": 5.0, "s": 0.8, "beta": 20.0}.items():
        assert abs(model.params_[name] - value) < 3.0 * model.standard_errors_[name], name
    effects = model.coefficients_.set_index(["process", "covariate"])["effect"]
    assert (
        effects[("purchase", "web")]
        == f"per +1 of web, customers buy {np.exp(model.coefficients_.coefficient[0]):.2f}x as often"
    )


@pytest.fixture(scope="module")
def summary_with_ids(cdnow_summary: pd.DataFrame) -> pd.DataFrame:
    return cdnow_summary[["customer_id", "frequency", "recency", "T"]].copy()


@pytest.mark.parametrize("model_class", PURCHASE)
def test_noise_covariate_has_no_effect(model_class: type[BetaGeo], summary_with_ids: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    noise = pd.DataFrame(
        {"customer_id": summary_with_ids["customer_id"], "noise": rng.normal(size=len(summary_with_ids))}
    )
    plain = model_class().fit(summary_with_ids)
    model = model_class().fit(summary_with_ids, covariates=noise)
    table = model.coefficients_
    assert (np.abs(table["coefficient"]) < 3.0 * table["se"]).all()
    assert (table["se"] > 0).all()
    # Nested models: the extra coefficients never lower the likelihood, and noise raises it by little.
    assert plain.log_likelihood_ - 1e-6 <= model.log_likelihood_ < plain.log_likelihood_ + 5.0
    assert model.n_coefficients == 2
    assert model.aic_ == pytest.approx(2 * 6 - 2 * model.log_likelihood_)


@pytest.mark.parametrize("model_class", PURCHASE)
def test_constant_zero_covariate_is_the_plain_model(
    model_class: type[BetaGeo], summary_with_ids: pd.DataFrame
) -> None:
    ids = summary_with_ids["customer_id"]
    plain = model_class().fit(summary_with_ids)
    with pytest.warns(RuntimeWarning, match="zero are constant"):
        model = model_class().fit(
            summary_with_ids, covariates=pd.DataFrame({"customer_id": ids, "zero": 0.0})
        )
    for name, value in plain.params_.items():
        assert model.params_[name] == pytest.approx(value, rel=1e-6)
    assert model.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)
    zero = pd.DataFrame({"customer_id": ids, "zero": 0.0})
    x, t_x, age = (summary_with_ids[c] for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        model.expected_purchases(10.0, summary_with_ids, None, None, covariates=zero),
        plain.expected_purchases(10.0, x, t_x, age),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        model.probability_alive(summary_with_ids, None, None, covariates=zero),
        plain.probability_alive(x, t_x, age),
        rtol=1e-6,
    )
    row = model.coefficients_.iloc[0]
    assert (row["process"], row["coefficient"]) == ("none", 0.0) and np.isnan(row["se"])
    # Refitting without covariates is exactly the plain model again.
    again = model.fit(summary_with_ids)
    assert again.covariates_ is None and again.params_ == plain.params_


def test_categorical_covariate_uses_the_first_sorted_level_as_reference(
    summary_with_ids: pd.DataFrame,
) -> None:
    rng = np.random.default_rng(3)
    channel = rng.choice(["web", "store", "app"], len(summary_with_ids))
    covariates = pd.DataFrame({"customer_id": summary_with_ids["customer_id"], "channel": channel})
    model = BetaGeo().fit(summary_with_ids, covariates=covariates, covariates_dropout=[])
    table = model.coefficients_
    assert list(table["covariate"]) == ["channel=store", "channel=web"]
    assert set(table["process"]) == {"purchase"}
    assert (table["reference"] == "channel=app").all()
    assert table["effect"][1].startswith("customers with channel=web buy ")
    assert table["effect"][1].endswith("x as often as customers with channel=app")
    # A two-level category is the same model as its 0/1 indicator.
    two = np.where(channel == "web", "web", "other")
    as_category = BetaGeo().fit(summary_with_ids, covariates=covariates.assign(channel=two))
    as_number = BetaGeo().fit(
        summary_with_ids, covariates=covariates.assign(channel=(two == "web").astype(int))
    )
    assert as_category.log_likelihood_ == pytest.approx(as_number.log_likelihood_, abs=1e-6)
    np.testing.assert_allclose(
        as_category.coefficients_["coefficient"], as_number.coefficients_["coefficient"], atol=1e-4
    )
    with pytest.raises(DataValidationError, match=r"'channel' has level\(s\) phone unseen .* \(rows 0\)"):
        as_category.probability_alive(
            summary_with_ids, None, None, covariates=covariates.assign(channel=np.r_[["phone"], two[1:]])
        )


def test_misaligned_covariates_are_refused(summary_with_ids: pd.DataFrame) -> None:
    ids = summary_with_ids["customer_id"]
    covariates = pd.DataFrame({"customer_id": ids, "score": np.linspace(-1, 1, len(ids))})
    with pytest.raises(DataValidationError, match=r"no row for 2 of the 2,357 customers .* customer_id 3, 7"):
        BetaGeo().fit(summary_with_ids, covariates=covariates[~ids.isin([3, 7])])
    with pytest.raises(DataValidationError, match=r"several rows for 1 customer\(s\) .*: 5"):
        BetaGeo().fit(summary_with_ids, covariates=pd.concat([covariates, covariates[ids == 5]]))
    with pytest.raises(DataValidationError, match=r"'score' has 1 missing or infinite value\(s\) \(rows 4\)"):
        BetaGeo().fit(
            summary_with_ids,
            covariates=covariates.assign(score=np.r_[covariates.score[:4], np.nan, covariates.score[5:]]),
        )
    with pytest.raises(DataValidationError, match="matched by position"):
        BetaGeo().fit(
            summary_with_ids["frequency"],
            summary_with_ids["recency"],
            summary_with_ids["T"],
            covariates=covariates[:10],
        )
    with pytest.raises(DataValidationError, match=r"covariates_dropout names column.*income"):
        BetaGeo().fit(summary_with_ids, covariates=covariates, covariates_dropout=["income"])
    with pytest.raises(DataValidationError, match="need covariates"):
        BetaGeo().fit(summary_with_ids, penalty=1.0)
    # Rows in another order are matched by customer_id: the same fit.
    shuffled = covariates.sample(frac=1.0, random_state=0)
    model = BetaGeo().fit(summary_with_ids, covariates=covariates)
    assert BetaGeo().fit(summary_with_ids, covariates=shuffled).log_likelihood_ == pytest.approx(
        model.log_likelihood_, abs=1e-9
    )
    with pytest.raises(DataValidationError, match=r"fitted with covariates \(score\): pass covariates"):
        model.expected_purchases(10.0, summary_with_ids, None, None)
    with pytest.raises(DataValidationError, match="fitted without covariates"):
        BetaGeo().fit(summary_with_ids).probability_alive(summary_with_ids, None, None, covariates=covariates)


@pytest.mark.parametrize("model_class", PURCHASE)
def test_save_and_load_give_identical_predictions(
    model_class: type[BetaGeo], summary_with_ids: pd.DataFrame, tmp_path
) -> None:
    rng = np.random.default_rng(8)
    covariates = pd.DataFrame(
        {
            "customer_id": summary_with_ids["customer_id"],
            "channel": rng.choice(["store", "web"], len(summary_with_ids)),
            "score": rng.normal(size=len(summary_with_ids)),
        }
    )
    model = model_class().fit(summary_with_ids, covariates=covariates, constrain_equal=["score"])
    model.save(tmp_path / "model.json")
    loaded = model_class.load(tmp_path / "model.json")
    pd.testing.assert_frame_equal(loaded.coefficients_, model.coefficients_)
    for method in ("expected_purchases", "probability_alive"):
        args = (10.0,) if method == "expected_purchases" else ()
        np.testing.assert_array_equal(
            getattr(loaded, method)(*args, summary_with_ids, None, None, covariates=covariates),
            getattr(model, method)(*args, summary_with_ids, None, None, covariates=covariates),
        )
    for got, want in zip(
        loaded.expected_purchases_interval(5.0, summary_with_ids, None, None, covariates=covariates),
        model.expected_purchases_interval(5.0, summary_with_ids, None, None, covariates=covariates),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    estimate, low, high = model.expected_purchases_interval(
        5.0, summary_with_ids, None, None, covariates=covariates
    )
    assert np.all(low < estimate) and np.all(estimate < high)
    # A model without covariates keeps its file format.
    assert "covariates" not in model_class().fit(summary_with_ids).to_dict()


def test_penalty_shrinks_coefficients_towards_zero(summary_with_ids: pd.DataFrame) -> None:
    rng = np.random.default_rng(9)
    ids = summary_with_ids["customer_id"]
    # A covariate with a real effect: the customer's own frequency, plus noise.
    signal = pd.DataFrame(
        {"customer_id": ids, "signal": np.log1p(summary_with_ids["frequency"]) + rng.normal(0, 0.5, len(ids))}
    )
    sizes = []
    for penalty in (0.0, 100.0, 10_000.0, 1e7):
        table = ParetoNBD().fit(summary_with_ids, covariates=signal, penalty=penalty).coefficients_
        sizes.append(np.abs(table["coefficient"]).to_numpy())
    sizes_array = np.array(sizes)
    assert sizes_array[0, 0] > 0.3  # a clear purchase effect without the penalty
    assert np.all(np.diff(sizes_array, axis=0) < 0)
    assert np.all(sizes_array[-1] < 1e-3)


def test_constrain_equal_and_separate_dropout(summary_with_ids: pd.DataFrame) -> None:
    rng = np.random.default_rng(10)
    covariates = pd.DataFrame(
        {"customer_id": summary_with_ids["customer_id"], "web": rng.integers(0, 2, len(summary_with_ids))}
    )
    tied = ModifiedBetaGeo().fit(summary_with_ids, covariates=covariates, constrain_equal=["web"])
    table = tied.coefficients_
    assert tied.n_coefficients == 1 and list(table["process"]) == ["purchase", "dropout"]
    assert table["coefficient"][0] == table["coefficient"][1]
    assert "constrained equal in dropout" in table["effect"][0]
    separate = BetaGeo().fit(summary_with_ids, covariates=covariates, dropout_form="separate")
    assert list(separate.coefficients_["process"]) == ["purchase", "dropout_a", "dropout_b"]
    with pytest.raises(DataValidationError, match="must enter both processes"):
        BetaGeo().fit(summary_with_ids, covariates=covariates, covariates_dropout=[], constrain_equal=["web"])
    with pytest.raises(DataValidationError, match="Pareto/NBD's dropout has one"):
        ParetoNBD().fit(summary_with_ids, covariates=covariates, dropout_form="separate")


@pytest.mark.parametrize("model_class", PURCHASE)
def test_analytic_gradient_matches_finite_differences(model_class: type[BetaGeo]) -> None:
    rng = np.random.default_rng(4)
    n = 300
    x = rng.poisson(3.0, n).astype(float)
    age = rng.uniform(10.0, 40.0, n)
    t_x = np.where(x > 0, age * rng.uniform(0.1, 1.0, n), 0.0)
    design = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n)]).astype(float)
    model = model_class()
    processes = model._covariate_processes("separate" if model_class is not ParetoNBD else "shared")
    features = ("web", "score")
    layout = CoefficientLayout.build(
        features, {f: f for f in features}, processes, {p: features for p in processes}, ["score"]
    )
    rows = CovariateRows(x, t_x, age, rng.uniform(1, 3, n), design, features, layout, np.zeros(layout.n_free))
    theta = np.concatenate([np.log([0.7, 6.0, 0.9, 3.0]), rng.normal(0.0, 0.3, layout.n_free)])
    _, gradient = model._log_likelihood(theta, rows, gradient=True)
    step = 1e-6
    numeric = [
        (
            model._log_likelihood(theta + step * e, rows, False)[0]
            - model._log_likelihood(theta - step * e, rows, False)[0]
        )
        / (2 * step)
        for e in np.eye(theta.size)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-5)


def test_no_warning_without_constant_columns(summary_with_ids: pd.DataFrame) -> None:
    covariates = pd.DataFrame(
        {"customer_id": summary_with_ids["customer_id"], "web": np.arange(len(summary_with_ids)) % 2}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BetaGeo().fit(summary_with_ids, covariates=covariates)


@pytest.mark.parametrize("model_class", PURCHASE)
def test_each_customer_is_predicted_with_their_own_parameters(
    model_class: type[BetaGeo], summary_with_ids: pd.DataFrame
) -> None:
    """A customer's predictions under the covariate model equal those of the plain model whose parameters are that
    customer's (alpha_i, a_i, b_i or beta_i), for every prediction."""
    rng = np.random.default_rng(21)
    covariates = pd.DataFrame(
        {"customer_id": summary_with_ids["customer_id"], "score": rng.normal(0.0, 1.0, len(summary_with_ids))}
    )
    model = model_class().fit(summary_with_ids, covariates=covariates)
    assert model.covariates_ is not None
    rows = [0, 1, 2, 10, 50]
    design = covariates[["score"]].to_numpy()[rows]
    own = model.customer_params(design)
    history = tuple(summary_with_ids[c].to_numpy()[rows] for c in ("frequency", "recency", "T"))
    subset = covariates.iloc[rows]
    calls = {
        "expected_purchases": lambda m, cov: m.expected_purchases(8.0, *history, **cov),
        "probability_alive": lambda m, cov: m.probability_alive(*history, **cov),
        "time_to_next_purchase": lambda m, cov: m.time_to_next_purchase(*history, **cov),
        "log_likelihood": lambda m, cov: m.log_likelihood(*history, **cov),
    }
    got = {name: call(model, {"covariates": subset}) for name, call in calls.items()}
    new_customer = model.expected_purchases_new_customer(8.0, subset)
    for i in range(len(rows)):
        plain = model_class().fit(summary_with_ids)
        plain.log_params_ = np.log(own[i])
        plain.params_ = dict(zip(plain.param_names, own[i], strict=True))
        for name, call in calls.items():
            assert got[name][i] == pytest.approx(call(plain, {})[i], rel=1e-9), name
        assert new_customer[i] == pytest.approx(plain.expected_purchases_new_customer(8.0)[0], rel=1e-9)
    # Purchase coefficient > 0 means more purchases: the customers with the highest score buy more, all else equal.
    purchase = model.coefficients_.set_index("process").loc["purchase", "coefficient"]
    same_history = (np.ones(2), np.full(2, 20.0), np.full(2, 30.0))
    low_high = pd.DataFrame({"score": [-1.0, 1.0]})
    expected = model.expected_purchases_new_customer(8.0, low_high)
    assert (expected[1] > expected[0]) == (purchase > 0)
    assert model.expected_purchases(8.0, *same_history, covariates=low_high).shape == (2,)
    # Predictions for a new customer: one row per covariate row, each the plain model's with that row's parameters.
    grid = model.probability_of_purchases(np.arange(4), 8.0, covariates=subset)
    assert grid.shape == (len(rows), 4)
    plain = model_class().fit(summary_with_ids)
    plain.log_params_ = np.log(own[3])
    plain.params_ = dict(zip(plain.param_names, own[3], strict=True))
    np.testing.assert_allclose(grid[3], plain.probability_of_purchases(np.arange(4), 8.0), rtol=1e-12)
    assert model.expected_purchases_new_customer([4.0, 8.0], subset).shape == (len(rows), 2)
    with pytest.raises(DataValidationError, match="pass covariates"):
        model.probability_of_purchases(1, 8.0)


def test_recovers_separate_bg_nbd_dropout_coefficients() -> None:
    """dropout_form="separate": a_i and b_i with their own coefficients (here of opposite sign)."""
    rng = np.random.default_rng(13)
    covariates, age = _customers(rng, 10_000)
    web = covariates["web"].to_numpy()
    summary = simulate_bg_nbd(
        rng, 0.8, 4.0 * np.exp(-0.5 * web), 0.7 * np.exp(0.8 * web), 3.0 * np.exp(-0.5 * web), age
    )
    model = BetaGeo().fit(summary, covariates=covariates[["web"]], dropout_form="separate")
    _within(model, {("purchase", "web"): 0.5, ("dropout_a", "web"): 0.8, ("dropout_b", "web"): -0.5}, 3.0)


def test_weights_count_identical_customers(summary_with_ids: pd.DataFrame) -> None:
    """Fitting each customer twice, or once with weight 2, gives the same fit."""
    rng = np.random.default_rng(14)
    web = rng.integers(0, 2, len(summary_with_ids))
    history = [summary_with_ids[c].to_numpy() for c in ("frequency", "recency", "T")]
    weighted = ParetoNBD().fit(
        *history, weights=np.full(web.size, 2.0), covariates=pd.DataFrame({"web": web})
    )
    doubled = ParetoNBD().fit(
        *(np.tile(c, 2) for c in history), covariates=pd.DataFrame({"web": np.tile(web, 2)})
    )
    assert weighted.log_likelihood_ == pytest.approx(doubled.log_likelihood_, rel=1e-12)
    np.testing.assert_allclose(
        weighted.coefficients_["coefficient"], doubled.coefficients_["coefficient"], rtol=1e-9
    )
    assert weighted.n_customers_ == doubled.n_customers_ == 2 * web.size


def test_altered_covariates_in_a_model_file_are_refused(summary_with_ids: pd.DataFrame) -> None:
    covariates = pd.DataFrame(
        {"customer_id": summary_with_ids["customer_id"], "web": np.arange(len(summary_with_ids)) % 2}
    )
    payload = BetaGeo().fit(summary_with_ids, covariates=covariates).to_dict()
    payload["covariates"]["coefficients"][0] += 0.1
    with pytest.raises(ModelFileError, match="checksum"):
        BetaGeo.from_dict(payload)
