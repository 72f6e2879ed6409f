"""What the methods learn, on small tables in a few seconds: marginals, and for the conditional
GAN generated features that belong to the requested class (the label column itself is copied
from the request, so only the features can show it)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from tabular.data import consistency_table
from tabular.synthesizers import CGANConfig, GANConfig, Synthesizer, TVAEConfig

from ..conftest import mixed_frame


def test_tvae_learns_the_marginals():
    frame = mixed_frame()
    synth = Synthesizer("tvae", TVAEConfig(epochs=30, latent_dim=16, hidden=(32, 32), batch_size=100), seed=0)
    rows = synth.fit(frame).sample(len(frame), seed=0)
    for col in ("city", "label", "member"):
        p = frame[col].astype(str).value_counts(normalize=True)
        q = rows[col].astype(str).value_counts(normalize=True)
        assert 0.5 * p.subtract(q, fill_value=0).abs().sum() < 0.2, col
    assert (rows["count"] < 10).mean() > 0.3 and (rows["count"] > 45).mean() > 0.15  # both modes come back
    assert rows["price"].isna().mean() == pytest.approx(frame["price"].isna().mean(), abs=0.12)  # modelled, not 0


def test_cgan_features_follow_the_requested_class():
    table = consistency_table(3000, seed=1)[["age", "retired", "city"]]
    small = dict(epochs=40, latent_dim=8, generator_layers=(64, 64), discriminator_layers=(64,), batch_size=64,
                 warmup=40, patience=1)
    synth = Synthesizer("cgan", CGANConfig(**small, condition_column="retired"), seed=0).fit(table)
    judge = LogisticRegression().fit(table[["age"]], table["retired"])  # learns age > 60
    agree = []
    for label in ("yes", "no"):
        rows = synth.sample(500, conditions={"retired": label}, seed=1)
        assert (rows["retired"] == label).all()
        agree.append((judge.predict(rows[["age"]]) == label).mean())
    assert min(agree) > 0.8, agree
    # the unconditional GAN on the same rows gets no label: its ages are not sorted by class
    plain = Synthesizer("gan", GANConfig(**small), seed=0).fit(table[["age", "city"]]).sample(1000, seed=1)
    share_old = (plain["age"] > 60).mean()
    assert 0.1 < share_old < 0.6  # about 29 / 72 of the ages lie above 60
