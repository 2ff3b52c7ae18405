"""What a fit can be trusted with: standard errors only where the likelihood pins the parameters down, fits that did
not converge never used silently, and model files that cannot be forged (with a key) or made to crash the reader."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv
from clv.datasets import load_cdnow_summary
from clv.errors import ModelFileError
from clv.models import BetaGeo, compare_models
from clv.models.base import covariance_from_hessian
from clv.pipeline.results import Results


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return load_cdnow_summary()


def _quietly_fit(model: BetaGeo, customers: pd.DataFrame) -> BetaGeo:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(customers)


def test_a_saddle_has_no_standard_errors() -> None:
    saddle = np.array([[2.0, 0.0], [0.0, -1.0]])
    covariance, positive_definite = covariance_from_hessian(saddle)
    assert not positive_definite
    np.testing.assert_allclose(
        covariance, [[0.5, 0.0], [0.0, 0.0]], atol=1e-15
    )  # the determined direction only
    bowl = np.array([[2.0, 0.5], [0.5, 1.0]])
    covariance, positive_definite = covariance_from_hessian(bowl)
    assert positive_definite
    np.testing.assert_allclose(covariance, np.linalg.inv(bowl))


def test_a_flat_bg_nbd_likelihood_reports_no_standard_errors(summary: pd.DataFrame, tmp_path: Path) -> None:
    # 70 CDNOW customers on which BG/NBD's dropout runs to a -> 0, b -> 0: converged, but flat there.
    customers = summary.sample(70, random_state=2)
    model = _quietly_fit(BetaGeo(), customers)
    assert model.converged_ and not model.hessian_positive_definite_
    assert np.isnan(list(model.standard_errors_.values())).all()
    table = model.summary()
    assert table["standard_error"].isna().all() and table[["lower", "upper"]].isna().all().all()
    estimate, low, high = model.expected_purchases_interval(
        10, customers["frequency"], customers["recency"], customers["T"], 0.8
    )
    assert np.isfinite(low).all() and np.isfinite(high).all() and (low <= estimate).all()
    model.save(tmp_path / "bg.json")
    loaded = BetaGeo.load(tmp_path / "bg.json")
    assert not loaded.hessian_positive_definite_ and np.isnan(loaded.standard_errors_["a"])
    well_determined = _quietly_fit(BetaGeo(), summary)
    assert well_determined.hessian_positive_definite_
    assert all(0 < se < np.inf for se in well_determined.standard_errors_.values())


def test_the_run_says_when_the_chosen_model_has_no_standard_errors(summary: pd.DataFrame) -> None:
    customers = summary.sample(70, random_state=2).assign(
        total_revenue=lambda f: f["monetary_value"] * f["frequency"]
    )
    customers.attrs["time_unit"] = "W"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = clv.run(customers, clv.Settings(purchase_models=("BG/NBD",), backtest=False, learned=False))
    notes = " ".join(results.metadata["notes"])
    assert "BG/NBD: the log-likelihood is flat or saddle-shaped" in notes
    assert np.isfinite(results.predictions[["clv_low", "clv_high"]].to_numpy()).all()


def test_a_fit_that_did_not_converge_is_not_chosen_silently(summary: pd.DataFrame) -> None:
    customers = summary.sample(66, random_state=22)  # BG/NBD and MBG/NBD stop without converging here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = compare_models(customers)
        assert not comparison.models["BG/NBD"].converged_ and comparison.models["Pareto/NBD"].converged_
        customers = customers.assign(total_revenue=lambda f: f["monetary_value"] * f["frequency"])
        customers.attrs["time_unit"] = "W"
        results = clv.run(customers, clv.Settings(backtest=False, learned=False))
    assert results.metadata["purchase_model"] == "Pareto/NBD"
    notes = results.metadata["notes"]
    assert any(note.startswith("BG/NBD left out: its optimiser stopped without converging") for note in notes)
    assert any(note.startswith("MBG/NBD left out") for note in notes)


def test_with_a_key_model_files_are_signed_and_forgeries_refused(
    summary: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _quietly_fit(BetaGeo(), summary)
    unsigned = tmp_path / "unsigned.json"
    model.save(unsigned)
    monkeypatch.setenv("CLV_MODEL_KEY", "a secret of the operator")
    with pytest.raises(ModelFileError, match="not signed, and CLV_MODEL_KEY is set"):
        BetaGeo.load(unsigned)
    signed = tmp_path / "signed.json"
    model.save(signed)
    assert BetaGeo.load(signed).params_ == model.params_
    # Doubling r and recomputing the (public) checksum passes without a key, not with one.
    payload = json.loads(signed.read_text())
    payload["params"]["r"] *= 2
    content = {k: v for k, v in payload.items() if k not in ("checksum", "signature")}
    payload["checksum"] = hashlib.sha256(
        json.dumps(content, sort_keys=True, default=str).encode()
    ).hexdigest()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(payload))
    with pytest.raises(ModelFileError, match="signature does not match"):
        BetaGeo.load(forged)
    monkeypatch.setenv("CLV_MODEL_KEY", "another key")
    with pytest.raises(ModelFileError, match="signature does not match"):
        BetaGeo.load(signed)
    monkeypatch.delenv("CLV_MODEL_KEY")
    assert BetaGeo.load(forged).params_["r"] == 2 * model.params_["r"]  # the checksum detects accidents only


def test_hostile_files_are_refused_with_a_message(tmp_path: Path) -> None:
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFileError, match="nested too deeply"):
        BetaGeo.load(nested)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)
    with pytest.raises(ModelFileError, match="more than any model file holds"):
        BetaGeo.load(huge)
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("[" * 100_000)
    with pytest.raises(ModelFileError, match="saved clv run: its JSON is nested too deeply"):
        Results.load(run)
