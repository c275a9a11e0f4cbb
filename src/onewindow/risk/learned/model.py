"""The learned risk model: train on inspected items, score new ones, say why, pick a threshold.

A LightGBM binary classifier over the features of ``encoding.py``. Training is deterministic (fixed
seed, ``deterministic=True``, row-wise histograms), so the same history gives the same model file.
The model file is one JSON document (LightGBM's own text model plus the encoder's state and the
training score distribution): readable, diffable, and never unpickled.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from onewindow.risk.learned.encoding import Encoder
from onewindow.risk.learned.features import RiskItem
from onewindow.risk.learned.history import LabelledItem

__all__ = ["FORMAT", "RiskModel"]

FORMAT = "onewindow.risk.learned/2"

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
"""Chosen on time-ordered splits inside 2020 (train Jan–Jun or Jan–Sep, judge a later quarter).

150 trees of 15 leaves score an item three times faster than 300 of 31 did (the model runs inside
every submission), for about 0.01 less precision on those splits (train Jan–Sep, judge Q4: 0.963 and
0.896 at 5% and 10%, against 0.970 and 0.906)."""

ROUNDS = 150
QUANTILES = np.linspace(0.0, 1.0, 1001)


class RiskModel:
    """A trained model: a score is the estimated probability of fraud; inspect the highest first."""

    predict_threads = 2
    """Threads for a large batch. A process forked after LightGBM was loaded must use 1: OpenMP's
    thread pool does not survive a fork, and a parallel prediction from its main thread hangs."""

    def __init__(self, booster: lgb.Booster, encoder: Encoder, score_quantiles: NDArray[np.float64]) -> None:
        self._booster = booster
        self.encoder = encoder
        self.score_quantiles = score_quantiles

    @property
    def booster(self) -> lgb.Booster:
        """The LightGBM model itself, for measuring it raw; scoring goes through :meth:`score`."""
        return self._booster

    @classmethod
    def train(
        cls,
        history: Sequence[LabelledItem],
        *,
        rounds: int = ROUNDS,
        seed: int = 7,
        threads: int = 2,
        progress: Callable[[int, int], None] | None = None,
        **params: Any,
    ) -> RiskModel:
        """Fit the encoder and the trees on the history; ``progress(done, rounds)`` after each tree."""
        encoder = Encoder.fit(history)
        features = encoder.training_matrix(history)
        labels = np.fromiter((h.fraud for h in history), dtype=np.float64, count=len(history))
        data = lgb.Dataset(
            features,
            labels,
            feature_name=encoder.feature_names,
            categorical_feature=encoder.categorical,
            params={"verbose": -1},
        )
        config = {**PARAMS, "seed": seed, "num_threads": threads, **params}
        callbacks = [_progress_callback(progress, rounds)] if progress else []
        booster = lgb.train(config, data, num_boost_round=rounds, callbacks=callbacks)
        as_new = booster.predict(encoder.leave_one_out_matrix(history), num_threads=threads)
        return cls(booster, encoder, np.quantile(as_new, QUANTILES))

    def score(self, items: Sequence[RiskItem]) -> NDArray[np.float64]:
        """The probability of fraud of each item, in order."""
        if not items:
            return np.zeros(0)
        return self._predict(self.encoder.matrix(items))

    def explain(self, item: RiskItem, top: int = 5) -> list[tuple[str, float]]:
        """The features that moved this item's score most, with their push in log-odds (+ = riskier)."""
        matrix = self.encoder.matrix([item])
        contributions = np.asarray(self._booster.predict(matrix, pred_contrib=True, num_threads=1))
        pushes = contributions[0, :-1]  # the last column is the base value
        order = np.argsort(-np.abs(pushes), kind="stable")[:top]
        names = self.encoder.feature_names
        return [(names[i], float(pushes[i])) for i in order]

    def threshold_for_rate(self, rate: float) -> float:
        """The score above which about ``rate`` of new items fall.

        From the distribution of the training items' scores when each is scored as a new item would
        be (against the history without its own inspection): in-sample scores of the training rows
        are sharper than new items' and would select too many.
        """
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"an inspection rate is in (0, 1], not {rate}")
        return float(np.interp(1.0 - rate, QUANTILES, self.score_quantiles))

    def dumps(self) -> str:
        """The model as one JSON document: LightGBM's text model, the encoder, the score distribution."""
        document = {
            "format": FORMAT,
            "encoder": self.encoder.to_json(),
            "score_quantiles": self.score_quantiles.tolist(),
            "booster": self._booster.model_to_string(),
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> RiskModel:
        """Read what :meth:`dumps` wrote; anything else is refused with a ValueError."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a risk model ({exc})") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"not a risk model (expected format {FORMAT})")
        return cls(
            lgb.Booster(model_str=document["booster"]),
            Encoder.from_json(document["encoder"]),
            np.asarray(document["score_quantiles"], dtype=np.float64),
        )

    def save(self, path: Path) -> None:
        """Write the model file atomically: a reader never sees half a model."""
        text = self.dumps()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        """Read a model file written by :meth:`save`."""
        try:
            return cls.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"{path} is {exc}") from None

    def _predict(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        threads = 1 if len(features) < 2_000 else self.predict_threads  # starting threads costs more
        return np.asarray(self._booster.predict(features, num_threads=threads), dtype=np.float64)


def _progress_callback(progress: Callable[[int, int], None], rounds: int) -> Callable[[Any], None]:
    def report(env: Any) -> None:
        progress(env.iteration + 1, rounds)

    return report
