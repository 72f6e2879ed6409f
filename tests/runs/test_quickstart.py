"""The quickstart end to end at toy size (--quick): the tabular part's report, synthetic rows, export
scored in a fresh process, TensorBoard logs; the VAEC part's table, plots and export; the summary."""

import glob
import json

import numpy as np
import pandas as pd
import tensorflow as tf

from genlab import cli


def test_quickstart_writes_every_artifact(tmp_path, capsys):
    out = tmp_path / "qs"
    assert cli.main(["run", "quickstart", "--quick", "--out", str(out), "--epochs", "20", "--seeds", "1"]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "retracing" not in captured.err and "E0000" not in captured.err
    summary = printed[printed.index("== Summary =="):]
    for label in ("detection AUC", "real vs real", "efficacy ratio", "tabular report:", "tensorboard:", "export:"):
        assert label in summary
    # tabular part
    tab = out / "tabular"
    assert (tab / "eval" / "report.md").exists() and (tab / "eval" / "distributions.png").exists()
    synthetic = pd.read_csv(tab / "synthetic.csv")
    assert len(synthetic) == 2000 and "income" in synthetic.columns
    assert synthetic["age"].between(17, 90).all()  # Adult's fitted range
    assert "all '>50K': True" in printed
    scored = printed[printed.index("a fresh process with plain TensorFlow samples from it"):printed.index("== 2.")]
    assert scored.count(">50K") >= 5  # five conditional rows printed by the fresh process
    exported = tf.saved_model.load(str(out / "export"))
    rows = exported.sample(n=tf.constant(50, tf.int64), seed=tf.constant(0, tf.int64))
    ages = rows["age"].numpy()
    assert ages.dtype == np.int64 and ages.min() >= 17 and ages.max() <= 90
    assert glob.glob(str(out / "tensorboard" / "**" / "events.out.tfevents.*"), recursive=True)
    # vaec part: every strategy learned something (breast cancer's majority class is 63 %)
    vaec_rows = json.loads((out / "vaec" / "results.json").read_text())
    assert {r["strategy"] for r in vaec_rows} == {"all_parts", "autoencoder -> classifier_head", "mlp_classifier",
                                                 "var_mlp_classifier"}
    for r in vaec_rows:
        assert r["accuracy"] > 0.75 and r["n_seeds"] == 1 and r["epochs"] >= 20, r
    scorer = tf.saved_model.load(str(out / "vaec" / "export"))
    probs = scorer.serve(tf.zeros((3, 30)))["probabilities"].numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert "± 0.0000" not in (out / "vaec" / "results.md").read_text()
