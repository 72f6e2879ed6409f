"""The quickstart run end to end at toy size: report, JSON rows, TensorBoard logs, latent plots,
and an export that plain TensorFlow loads — for the VAEC part and for the tabular part."""

import glob
import json

import numpy as np
import tensorflow as tf

from genlab import cli


def test_quickstart_writes_every_artifact(tmp_path, capsys):
    out = tmp_path / "qs"
    assert cli.main(["run", "quickstart", "--out", str(out), "--epochs", "8", "--seeds", "1"]) == 0
    printed = capsys.readouterr().out
    for label in ("report:", "tensorboard:", "plots:", "export:"):
        assert label in printed
    rows = json.loads((out / "results.json").read_text())
    assert [r["strategy"] for r in rows] == ["all_parts", "autoencoder -> classifier_head",
                                             "mlp_classifier", "var_mlp_classifier"]
    for r in rows:  # breast cancer's majority class is 63 %: every strategy must have learned something
        assert r["accuracy"] > 0.75 and r["n_seeds"] == 1 and r["epochs"] >= 8, r
    assert "| strategy | accuracy |" in (out / "results.md").read_text()
    assert glob.glob(str(out / "tensorboard" / "**" / "events.out.tfevents.*"), recursive=True)
    assert glob.glob(str(out / "plots" / "latent" / "*" / "latent_epoch0008.png"))
    scorer = tf.saved_model.load(str(out / "export"))
    result = scorer.serve(tf.zeros((3, 30)))
    probs = result["probabilities"].numpy()
    assert probs.shape == (3, 2) and result["z_mean"].shape == (3, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)

    tabular = out / "tabular_adult"
    rows = json.loads((tabular / "results.json").read_text())
    assert [(r["model"], r["augmentation"]) for r in rows] == [("real_vs_real", "none"), ("cgan", "none"),
                                                               ("ae_gan", "none")]
    assert abs(rows[0]["detection_auc"] - 0.5) < 0.05  # real vs real: indistinguishable
    for r in rows[1:]:  # a forest trained on the synthetic rows ranks real test rows better than chance
        assert r["efficacy_synthetic_auc"] > 0.6 and r["n_seeds"] == 1, r
    # --epochs reaches the tabular part: the latent GAN runs all 8, the cGAN may stop early
    assert rows[2]["epochs_run"] == 8 and 1 <= rows[1]["epochs_run"] <= 8
    assert (tabular / "eval" / "cgan-none-seed0" / "report.md").exists()
    assert glob.glob(str(tabular / "tensorboard" / "**" / "events.out.tfevents.*"), recursive=True)
    exported = tf.saved_model.load(str(tabular / "export"))
    sampled = exported.sample(n=tf.constant(50, tf.int64), seed=tf.constant(0, tf.int64))
    assert sorted(sampled) == sorted(["age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
                                      "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
                                      "hours-per-week", "native-country", "income"])
    ages = sampled["age"].numpy()
    assert ages.dtype == np.int64 and ages.min() >= 17 and ages.max() <= 90  # Adult's fitted range
    assert printed.rstrip().splitlines()[-1].startswith(("export:", "tensorboard:", "plots:"))
    assert "Tabular GANs on Adult:" in printed
