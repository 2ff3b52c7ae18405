"""Failure cases, persistence, predictions' properties and parameter recovery."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clv.data import summarize
from clv.datasets import synthetic
from clv.errors import DataValidationError, ModelFileError, NotFittedError
from clv.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    compare_models,
    customer_lifetime_value,
)

PURCHASE = [BetaGeo, ModifiedBetaGeo, ParetoNBD]


@pytest.fixture(scope="module")
def fitted(cdnow_summary: pd.DataFrame, donations: pd.DataFrame) -> dict[str, object]:
    return {
        "BG/NBD": BetaGeo().fit(cdnow_summary),
        "MBG/NBD": ModifiedBetaGeo().fit(cdnow_summary),
        "Pareto/NBD": ParetoNBD().fit(cdnow_summary),
        "GG": GammaGamma().fit(cdnow_summary),
        "BG/BB": BetaGeoBetaBinom().fit(
            donations["frequency"], donations["recency"], donations["n"], donations["n_custs"]
        ),
    }


HISTORY = ([1, 2], [3.0, 5.0], [6.0, 8.0])
UNFITTED_CALLS = {
    "purchase": [
        lambda m: m.probability_alive(*HISTORY),
        lambda m: m.expected_purchases(10, *HISTORY),
        lambda m: m.expected_purchases_interval(10, *HISTORY),
        lambda m: m.expected_purchases_new_customer(10),
        lambda m: m.probability_of_purchases(2, 10),
        lambda m: m.time_to_next_purchase(*HISTORY),
        lambda m: m.log_likelihood(*HISTORY),
    ],
    "spend": [
        lambda m: m.expected_average_value([1, 2], [10.0, 20.0]),
        lambda m: m.expected_average_value_interval([1, 2], [10.0, 20.0]),
        lambda m: m.population_mean(),
    ],
    "any": [
        lambda m: m.summary(),
        lambda m: m.to_dict(),
        lambda m: m.save("unused.json"),
        lambda m: m.aic_,
        lambda m: m.bic_,
    ],
}


@pytest.mark.parametrize("model_class", [*PURCHASE, GammaGamma, BetaGeoBetaBinom])
def test_methods_before_fit_raise_a_clear_error(model_class: type, cdnow_summary: pd.DataFrame) -> None:
    model = model_class()
    kind = "spend" if model_class is GammaGamma else "purchase"
    for call in UNFITTED_CALLS[kind] + UNFITTED_CALLS["any"]:
        with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
            call(model)
    if model_class in PURCHASE:
        with pytest.raises(NotFittedError):
            customer_lifetime_value(model, GammaGamma(), cdnow_summary, 12, "M")


@pytest.mark.parametrize("model_class", PURCHASE)
def test_no_repeat_purchases_and_tiny_data_are_refused(model_class: type) -> None:
    with pytest.raises(DataValidationError, match="no repeat purchases: a purchase model cannot be fitted"):
        model_class().fit(np.zeros(50), np.zeros(50), np.linspace(1, 30, 50))
    with pytest.raises(DataValidationError, match="needs at least 10"):
        model_class().fit([1, 0, 2], [3.0, 0, 4], [5.0, 6, 7])
    with pytest.raises(DataValidationError, match="recency is larger than T"):
        model_class().fit([1] * 12, [9.0] * 12, [5.0] * 12)


@pytest.mark.parametrize("model_class", PURCHASE)
def test_customers_with_t_zero_and_no_repeat_get_finite_predictions(
    model_class: type, cdnow_summary: pd.DataFrame
) -> None:
    data = pd.concat(
        [cdnow_summary, pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [0.0, 0.0]})],
        ignore_index=True,
    )
    model = model_class().fit(data["frequency"], data["recency"], data["T"])
    for prediction in (
        model.probability_alive([0, 0, 3], [0, 0, 2.0], [0, 10.0, 5.0]),
        model.expected_purchases(10, [0, 0, 3], [0, 0, 2.0], [0, 10.0, 5.0]),
        model.time_to_next_purchase([0, 0, 3], [0, 0, 2.0], [0, 10.0, 5.0]),
    ):
        assert np.all(np.isfinite(prediction))


def test_gamma_gamma_refuses_non_positive_spend_naming_positions() -> None:
    with pytest.raises(DataValidationError, match=r"1 have zero or negative spend \(positions 2\)"):
        GammaGamma().fit([1, 2, 3] * 5, [10.0, 20.0, 0.0] + [10.0, 20.0, 5.0] * 4)


@pytest.mark.parametrize("name", ["BG/NBD", "MBG/NBD", "Pareto/NBD", "GG", "BG/BB"])
def test_save_and_load_round_trip(name: str, fitted: dict[str, object], tmp_path: Path) -> None:
    model = fitted[name]
    path = tmp_path / "model.json"
    model.save(path)  # type: ignore[attr-defined]
    loaded = type(model).load(path)
    assert loaded.params_ == model.params_  # type: ignore[attr-defined]
    np.testing.assert_array_equal(loaded.covariance_log_, model.covariance_log_)  # type: ignore[attr-defined]
    if name != "GG":
        np.testing.assert_array_equal(
            loaded.probability_alive([1, 5], [3.0, 6.0], [6.0, 6.0]),
            model.probability_alive([1, 5], [3.0, 6.0], [6.0, 6.0]),  # type: ignore[attr-defined]
        )


def test_tampered_wrong_kind_and_wrong_version_files_are_refused(
    fitted: dict[str, object], tmp_path: Path
) -> None:
    path = tmp_path / "model.json"
    fitted["BG/NBD"].save(path)  # type: ignore[attr-defined]
    payload = json.loads(path.read_text())
    payload["params"]["r"] = 0.5
    path.write_text(json.dumps(payload))
    with pytest.raises(ModelFileError, match="checksum does not match"):
        BetaGeo.load(path)
    fitted["BG/NBD"].save(path)  # type: ignore[attr-defined]
    with pytest.raises(ModelFileError, match="holds a 'BG/NBD' model, not a 'Pareto/NBD'"):
        ParetoNBD.load(path)
    payload = json.loads(path.read_text())
    payload["format_version"] = 99
    path.write_text(json.dumps(payload))
    with pytest.raises(ModelFileError, match="format version 99"):
        BetaGeo.load(path)
    path.write_bytes(b"\x80\x04pickle")
    with pytest.raises(ModelFileError, match="not a clv model file"):
        BetaGeo.load(path)


histories = st.tuples(st.integers(0, 60), st.floats(0, 1), st.floats(0.0, 200.0))


@settings(max_examples=80, deadline=None)
@given(history=histories, t1=st.floats(0.1, 100.0), extra=st.floats(0.0, 100.0))
def test_prediction_properties(
    fitted: dict[str, object], history: tuple[int, float, float], t1: float, extra: float
) -> None:
    frequency, share, age = history
    recency = 0.0 if frequency == 0 else share * age
    for name in ("BG/NBD", "MBG/NBD", "Pareto/NBD"):
        model = fitted[name]
        alive = model.probability_alive([frequency], [recency], [age])[0]  # type: ignore[attr-defined]
        assert 0.0 <= alive <= 1.0
        first = model.expected_purchases(t1, [frequency], [recency], [age])[0]  # type: ignore[attr-defined]
        later = model.expected_purchases(t1 + extra, [frequency], [recency], [age])[0]  # type: ignore[attr-defined]
        assert 0.0 <= first <= later * (1 + 1e-9) + 1e-12


@settings(max_examples=25, deadline=None)
@given(rates=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2, unique=True), horizon=st.floats(0.5, 36.0))
def test_clv_is_non_negative_and_decreasing_in_the_discount_rate(
    fitted: dict[str, object], cdnow_summary: pd.DataFrame, rates: list[float], horizon: float
) -> None:
    low_rate, high_rate = sorted(rates)
    for name in ("BG/NBD", "Pareto/NBD"):
        values = [
            customer_lifetime_value(
                fitted[name],  # type: ignore[arg-type]
                fitted["GG"],  # type: ignore[arg-type]
                cdnow_summary,
                horizon,
                "M",
                annual_discount_rate=rate,
            )["clv"].to_numpy()
            for rate in (low_rate, high_rate)
        ]
        assert np.all(values[1] >= 0) and np.all(np.isfinite(values[0]))
        assert np.all(values[0] >= values[1] * (1 - 1e-12))


def test_clv_is_non_negative_decreasing_in_discount_and_calendar_correct(
    fitted: dict[str, object], cdnow_summary: pd.DataFrame
) -> None:
    bg, gg = fitted["BG/NBD"], fitted["GG"]
    totals = [
        customer_lifetime_value(bg, gg, cdnow_summary, 12, "M", annual_discount_rate=rate)["clv"]  # type: ignore[arg-type]
        for rate in (0.0, 0.1, 0.3)
    ]
    assert (totals[0] >= 0).all()
    assert (
        (totals[0] >= totals[1]).all()
        and (totals[1] >= totals[2]).all()
        and totals[0].sum() > totals[2].sum()
    )
    # Undiscounted, 12 months of 365.25/12 days is exactly 365.25/7 weeks.
    months = customer_lifetime_value(bg, gg, cdnow_summary, 12, "M")  # type: ignore[arg-type]
    weeks = customer_lifetime_value(bg, gg, cdnow_summary, 365.25 / 7, "W")  # type: ignore[arg-type]
    np.testing.assert_allclose(months["clv"], weeks["clv"], rtol=1e-10)
    expected = bg.expected_purchases(
        365.25 / 7, cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    )  # type: ignore[attr-defined]
    np.testing.assert_allclose(months["expected_purchases"], expected, rtol=1e-10)
    assert (months["clv_low"] <= months["clv"]).all() and (months["clv"] <= months["clv_high"]).all()
    total, low, high = months.attrs["total"]
    assert low < total < high and total == pytest.approx(months["clv"].sum())


def test_delta_interval_agrees_with_parameter_draws(
    fitted: dict[str, object], cdnow_summary: pd.DataFrame
) -> None:
    model = fitted["BG/NBD"]
    head = cdnow_summary.head(40)
    _, low, high = model.expected_purchases_interval(39, head["frequency"], head["recency"], head["T"])  # type: ignore[attr-defined]
    rng = np.random.default_rng(1)
    draws = np.exp(rng.multivariate_normal(model.log_params_, model.covariance_log_, 2000))  # type: ignore[attr-defined]
    histories = model.histories(head["frequency"], head["recency"], head["T"])  # type: ignore[attr-defined]
    rows = histories.customer_history
    sampled = np.array(
        [model._conditional_curve(p, np.array([39.0]), histories)[rows, 0] for p in draws]  # type: ignore[attr-defined]
    )
    np.testing.assert_allclose(low, np.quantile(sampled, 0.1, axis=0), rtol=0.02)
    np.testing.assert_allclose(high, np.quantile(sampled, 0.9, axis=0), rtol=0.02)


def test_compare_models_ranks_by_bic(cdnow_summary: pd.DataFrame) -> None:
    comparison = compare_models(cdnow_summary)
    assert set(comparison.table.index) == {"BG/NBD", "Pareto/NBD", "MBG/NBD"}
    assert comparison.table["bic"].is_monotonic_increasing
    assert comparison.best == "MBG/NBD"  # -9582.1 beats -9582.4 and -9595.0 with equal parameter counts


@pytest.mark.slow
def test_parameter_recovery_on_synthetic_data() -> None:
    """Fitted BG/NBD and Gamma-Gamma parameters fall inside their 95 % intervals for most seeds (the coverage over
    40 seeds is in docs/models.md: about 95 %)."""
    covered = {"BG/NBD": 0, "Gamma-Gamma": 0}
    total = dict.fromkeys(covered, 0)
    for seed in range(6):
        data = synthetic(
            8_000, "2020-01-01", "2021-12-31", seed, seasonality=False, cancellation_rate=0, missing_id_rate=0
        )
        log = data.transactions.assign(
            customer_id=data.transactions["CustomerID"].astype("int64").astype(str),
            timestamp=data.transactions["InvoiceDate"].dt.normalize(),
            amount=data.transactions["Quantity"] * data.transactions["UnitPrice"],
        )
        summary = summarize(log[["customer_id", "timestamp", "amount"]], data.observation_end, time_unit="W")
        repeat = summary[(summary.frequency > 0) & (summary.monetary_value > 0)]
        for label, model in (("BG/NBD", BetaGeo().fit(summary)), ("Gamma-Gamma", GammaGamma().fit(repeat))):
            table = model.summary()
            for name in model.param_names:
                total[label] += 1
                covered[label] += int(
                    table.loc[name, "lower"] <= data.true_params[name] <= table.loc[name, "upper"]
                )
    for label in covered:
        assert covered[label] / total[label] >= 0.75, f"{label} coverage {covered[label]}/{total[label]}"
