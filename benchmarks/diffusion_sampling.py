"""Sampling speed against quality of the ``"diffusion"`` synthesizer, on a validation split of Adult.

Never the test part: the protocol's training part (stratified 80/20 split of the embedded
``adult.data`` with seed 42, 26,048 rows) is split again, stratified on ``income`` with seed 0,
into 20,838 rows to fit and 5,210 validation rows to score. Two stages:

- ``fit``: train ``Synthesizer("diffusion")`` on the 20,838 rows with the defaults, or with
  ``--width`` / ``--depth`` / ``--updates`` / ``--activation`` overrides, and save it into
  ``OUT/w<width>d<depth>[u<updates>][-<activation>]``.
- ``score``: load each saved synthesizer, and for each number of solver steps (``--steps``),
  sampler precision (``--precisions``, default ``auto``) and reveal plan of the categories
  (``--reveal``: ``spread``, the model's, or ``independent``, the former plan, as an ablation)
  sample 20,838 rows with ``Synthesizer.sample`` and from the SavedModel exported with that
  many steps (rows per wall second after a call that traces the graph, and per process CPU
  second), then score the Python rows against the validation rows with :func:`tabular.evaluate`
  (RandomForest and logistic detection, column shapes, pair trends, efficacy of a RandomForest
  trained on them and tested on the validation rows against one trained on real rows).

Usage::

    python -m benchmarks.diffusion_sampling fit --out runs/output/diffusion_sampling
    python -m benchmarks.diffusion_sampling fit --width 128 --out runs/output/diffusion_sampling
    python -m benchmarks.diffusion_sampling score --steps 10,15,20,25,50 --out runs/output/diffusion_sampling
    python -m benchmarks.diffusion_sampling small --updates-list 500,1000,2000,4000 --out runs/output/diffusion_small
    python -m benchmarks.diffusion_sampling small --method ctgan --epochs-list 300,1200 --out runs/output/ctgan_small_val
    python -m benchmarks.diffusion_sampling small --method gan --epochs-list 100,0 --seed 0 --out runs/output/gan_small_val
    python -m benchmarks.diffusion_sampling small --method cgan --epochs-list 100,0 --min-updates 20000 --seed 0 --out runs/output/cgan_small_val
    python -m benchmarks.diffusion_sampling small --rows 4000 --width 192 --out runs/output/diffusion_mid

``small``: memorisation on a small table — an 800-row (``--rows``) stratified subsample of the fit rows, fitted
with each number of updates, its DCR share (``benchmarks.diffusion_adult.dcr_share``) and efficacy
ratio scored against the validation rows; ``--method ctgan --epochs-list 300,1200`` fits the
CTGAN method for each number of epochs instead (its training length on a small table), and ``--method gan`` /
``cgan`` the study's GANs (``--epochs-list 100,0``: the study's 100 epochs with early stopping, and the
default, ``min_updates`` updates on a small table; ``--set KEY=VALUE`` overrides a field of their
config, e.g. ``--set ema_momentum=0.999``). ``profile``: where the sampler's time goes (the whole
sampler against the sampler without the categories' reveal and the denoiser's passes alone, by
activation, precision and steps, interleaved rounds)::

    python -m benchmarks.diffusion_sampling profile --steps 12,10 --precisions float32,bfloat16 --out runs/output/diffusion_profile

``ops``: the sampler's time by TensorFlow op type (a traced run of its frozen graph)::

    python -m benchmarks.diffusion_sampling ops --steps 12 --precisions bfloat16,float32 --out runs/output/diffusion_ops
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from sklearn.model_selection import train_test_split

from genlab.runner import RunDir
from tabular import Synthesizer, evaluate, load_adult
from tabular.models.diffusion import TabularDiffusion, resolve_precision
from tabular.synthesizers import DiffusionConfig

METRICS = ("detection_auc", "lr_detection_auc", "column_shapes", "column_pair_trends", "efficacy_ratio")


def validation_split():
    """``(fit rows, validation rows)``: the protocol's training part split 80/20 again (seed 0)."""
    frame = load_adult()
    train, _ = train_test_split(frame, test_size=0.2, stratify=frame["income"], random_state=42)
    return train_test_split(train, test_size=0.2, stratify=train["income"], random_state=0)


def rows_per_second(call, n: int, repeats: int = 2) -> tuple[float, float]:
    """``(rows per wall second, rows per CPU second)`` of ``call()`` (best of ``repeats``) after one warm-up call."""
    call()
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start, cpu0 = time.perf_counter(), time.process_time()
        call()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - cpu0)
    return n / wall, n / max(cpu, 1e-9)


def fit(args) -> None:
    from benchmarks.tabular_vs_ctgan import parse_setting

    fit_rows, _ = validation_split()
    overrides = {k: v for k, v in (("width", args.width), ("depth", args.depth), ("updates", args.updates),
                                   ("activation", args.activation)) if v is not None}
    config = DiffusionConfig(**overrides, **dict(parse_setting(item) for item in args.set))
    name = f"w{config.width_for(len(fit_rows))}d{config.depth}" \
        + (f"u{config.updates}" if args.updates is not None else "") \
        + (f"-{config.activation}" if args.activation is not None else "") \
        + "".join(f"-{item.replace('=', '')}" for item in args.set)
    folder = Path(args.out) / name
    start, cpu = time.perf_counter(), time.process_time()
    synth = Synthesizer("diffusion", config, seed=args.seed).fit(fit_rows)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    synth.save(folder / "model")
    (folder / "fit.json").write_text(json.dumps({"config": str(config), "fit_seconds": seconds,
                                                 "fit_cpu_seconds": cpu_seconds, "rows": len(fit_rows)}) + "\n")
    print(f"{name}: fit {seconds:.0f} s ({cpu_seconds:.0f} CPU s), saved to {folder / 'model'}", flush=True)


def independent_reveal_plan(self, n, steps, seed):
    """The former reveal plan of ``TabularDiffusion`` (an ablation): each categorical column's
    reveal step drawn independently, uniform on ``0 .. steps - 1`` (several columns of a row may
    come due in one step)."""
    lay = self.layout
    fold = tf.random.experimental.stateless_fold_in
    u = tf.random.stateless_uniform((n, lay.n_disc), fold(seed, 1))
    at = tf.minimum(tf.floor(u * tf.cast(steps, tf.float32)), tf.cast(steps, tf.float32) - 1.0)
    column = tf.broadcast_to(tf.range(lay.n_disc, dtype=tf.float32), tf.shape(at))  # one round per column
    v = tf.random.stateless_uniform((n, len(lay.slots)), fold(seed, 2), minval=1e-20, maxval=1.0)
    return at, column, lay.n_disc, -tf.math.log(-tf.math.log(v))


REVEAL_PLANS = {"spread": TabularDiffusion._reveal_plan, "independent": independent_reveal_plan}


def score(args) -> None:
    fit_rows, valid = validation_split()
    n = len(fit_rows)
    settings = [(int(steps), precision, reveal, int(seed)) for reveal in args.reveal.split(",")
                for precision in args.precisions.split(",") for steps in args.steps.split(",")
                for seed in args.sample_seeds.split(",")]
    run = RunDir("bench_diffusion_sampling", args.out)
    path = run.path / "records.json"
    records = json.loads(path.read_text()) if path.exists() else []
    done = {(r["model"], r["steps"], r.get("precision", "float32"), r.get("reveal", "independent"),
             r.get("sample_seed", 0)) for r in records}
    models = sorted(p.parent for p in Path(args.models_dir or args.out).glob("*/model"))
    if args.models:
        models = [m for m in models if m.name in args.models.split(",")]
    for folder in models:
        for steps, precision, reveal, seed in settings:
            if (folder.name, steps, precision, reveal, seed) in done:
                continue
            TabularDiffusion._reveal_plan = REVEAL_PLANS[reveal]
            synth = Synthesizer.load(folder / "model")  # fresh graphs for this plan
            py = rows_per_second(lambda: synth.sample(n, seed=seed, steps=steps, precision=precision), n)
            with tempfile.TemporaryDirectory() as tmp:
                synth.export(Path(tmp) / "export", steps=steps, precision=precision)
                exported = tf.saved_model.load(str(Path(tmp) / "export"))
                sm = rows_per_second(lambda: {k: v.numpy() for k, v in exported.sample(
                    n=tf.constant(n, tf.int64), seed=tf.constant(seed, tf.int64)).items()}, n)
            row = {"model": folder.name, "steps": steps, "precision": precision, "sample_seed": seed,
                   "resolved_precision": resolve_precision(precision), "reveal": reveal,
                   "python_rows_per_second": py[0],
                   "python_rows_per_cpu_second": py[1], "export_rows_per_second": sm[0],
                   "export_rows_per_cpu_second": sm[1]}
            if not args.speed_only:
                synthetic = synth.sample(n, seed=seed, steps=steps, precision=precision)
                metrics = evaluate(fit_rows, valid, synthetic[fit_rows.columns], target="income", seed=0,
                                   plots=False).metrics
                row.update({k: metrics[k] for k in METRICS})
            records.append(row)
            path.write_text(json.dumps(records, indent=2, default=float) + "\n")
            print(", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
                  flush=True)
    TabularDiffusion._reveal_plan = REVEAL_PLANS["spread"]
    columns = ["model", "steps", "precision", "reveal", "sample_seed", "python_rows_per_second",
               "python_rows_per_cpu_second", "export_rows_per_second", "export_rows_per_cpu_second"] \
        + ([] if args.speed_only else list(METRICS))
    run.report(records, "Diffusion sampling: speed and validation quality", columns,
               f"{n} rows sampled per call, best of 2 after a warm-up; quality on the validation split "
               f"({n} fit rows, {len(valid)} validation rows).")


def small(args) -> None:
    """Memorisation on a small table: fit on an 800-row (``--rows``) stratified subsample of the fit rows with
    each ``--updates`` value (comma-separated; ``0``: the config's default for the table), score the
    DCR share and the efficacy ratio against the validation rows."""
    from benchmarks.diffusion_adult import SMALL_ROWS, dcr_share
    from benchmarks.tabular_vs_ctgan import parse_setting

    fit_rows, valid = validation_split()
    run = RunDir("bench_diffusion_small", args.out)
    path = run.path / "small.json"
    records = json.loads(path.read_text()) if path.exists() else []
    rows = train_test_split(fit_rows, train_size=args.rows or SMALL_ROWS, stratify=fit_rows["income"],
                            random_state=args.seed)[0]
    if args.method != "diffusion":  # an epoch-counted method's training length on the small table
        for epochs in [int(e) for e in (args.epochs_list or "0").split(",")]:
            settings = {**({} if epochs == 0 else {"epochs": epochs}),
                        **({"condition_column": "income"} if args.method == "cgan" else {}),
                        **({} if args.min_updates is None else {"min_updates": args.min_updates}),
                        **dict(parse_setting(item) for item in args.set)}
            start, cpu = time.perf_counter(), time.process_time()
            synth = Synthesizer(args.method, seed=args.seed, **settings).fit(rows)
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
            synthetic = synth.sample(len(rows), seed=args.seed)
            metrics = evaluate(rows, valid, synthetic[rows.columns], target="income", seed=args.seed,
                               plots=False).metrics
            row = {"method": args.method, "rows": len(rows), "seed": args.seed, "epochs_setting": epochs or "default",
                   **({"set": " ".join(args.set)} if args.set else {}),
                   "epochs": len(synth.history_["g_loss"]), **{k: metrics[k] for k in METRICS},
                   "dcr_share": dcr_share(rows, valid, synthetic, seed=args.seed), "fit_seconds": seconds,
                   "fit_cpu_seconds": cpu_seconds}
            records.append(row)
            path.write_text(json.dumps(records, indent=2, default=float) + "\n")
            print(", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
                  flush=True)
        return
    for updates in [int(u) for u in (args.updates_list or "0").split(",")]:
        settings = {**({} if updates == 0 else {"updates": updates}),
                    **({} if args.batch_size is None else {"batch_size": args.batch_size}),
                    **({} if args.width is None else {"width": args.width})}
        config = DiffusionConfig(**settings)
        start, cpu = time.perf_counter(), time.process_time()
        synth = Synthesizer("diffusion", config, seed=args.seed).fit(rows)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        synthetic = synth.sample(len(rows), seed=args.seed)
        metrics = evaluate(rows, valid, synthetic[rows.columns], target="income", seed=args.seed, plots=False).metrics
        row = {"rows": len(rows), "seed": args.seed, "updates_setting": updates or "default",
               "batch_size": config.batch_for(len(rows)), "width": config.width_for(len(rows)),
               "epochs": len(synth.history_["loss"]), **{k: metrics[k] for k in METRICS},
               "dcr_share": dcr_share(rows, valid, synthetic, seed=args.seed), "fit_seconds": seconds,
               "fit_cpu_seconds": cpu_seconds}
        records.append(row)
        path.write_text(json.dumps(records, indent=2, default=float) + "\n")
        print(", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)


def adult_layout(args):
    """``(rows, width, new_model)`` of the speed stages: the validation split's fit rows, the
    width (``--width`` or the default for that many rows), and ``new_model(activation)`` building an
    untrained ``TabularDiffusion`` of the Adult layout (``--depth``, default 3)."""
    fit_rows, _ = validation_split()
    encoder = Synthesizer("diffusion", DiffusionConfig(updates=1), seed=0).fit(fit_rows.iloc[:2000]).encoder_
    n = len(fit_rows)
    width = args.width or DiffusionConfig().width_for(n)

    def new_model(activation: str) -> TabularDiffusion:
        return TabularDiffusion(encoder.layout(), encoder.output_width_, width=width,
                                depth=3 if args.depth is None else args.depth, activation=activation)

    return n, width, new_model


def profile(args) -> None:
    """Where the sampler's time goes, on untrained models of the Adult layout (speed does not
    depend on the weights): rows per wall and per CPU second of ``TabularDiffusion.sample``
    (20,838 rows per call), of the same sampler with the categories left masked (no reveal: the
    cost of :meth:`TabularDiffusion._unmask`), and of the denoiser's passes alone, for each
    activation (``--activations``), precision (``--precisions``) and step count (``--steps``).
    Every setting is called once per round, ``--rounds`` rounds, and the median is reported: the
    settings share the machine's state (speed as ratios side by side in one run)."""
    import statistics

    n, width, new_model = adult_layout(args)
    calls = {}
    for activation in args.activations.split(","):
        for precision in [resolve_precision(p) for p in args.precisions.split(",")]:
            model, masked = new_model(activation), new_model(activation)
            masked._unmask = lambda noisy, slots, masked_, *due: (slots, masked_)  # ablation: no reveal
            x, time_features = tf.random.normal((n, model.input_dim)), tf.zeros((1, 32))
            passes = tf.function(lambda x, m=model, p=precision: m.denoiser.call_inference(x, time_features, p))
            for steps in [int(s) for s in args.steps.split(",")]:
                key = (activation, precision, steps)
                calls[key + ("sample",)] = lambda m=model, s=steps, p=precision: m.sample(n, steps=s, precision=p)
                calls[key + ("sample, categories left masked",)] = \
                    lambda m=masked, s=steps, p=precision: m.sample(n, steps=s, precision=p)
                calls[key + ("denoiser passes alone",)] = \
                    lambda s=steps, f=passes: [f(x).numpy() for _ in range(s)]
    timings = {key: ([], []) for key in calls}
    for call in calls.values():  # warm-up: tracing
        call()
    for _ in range(args.rounds):
        for key, call in calls.items():
            start, cpu = time.perf_counter(), time.process_time()
            call()
            timings[key][0].append(n / (time.perf_counter() - start))
            timings[key][1].append(n / max(time.process_time() - cpu, 1e-9))
    rows = []
    for (activation, precision, steps, what), (wall, cpu) in timings.items():
        rows.append({"activation": activation, "precision": precision, "steps": steps, "what": what,
                     "rows_per_second": statistics.median(wall), "rows_per_cpu_second": statistics.median(cpu),
                     "min_rows_per_second": min(wall), "max_rows_per_second": max(wall)})
        print(rows[-1], flush=True)
    run = RunDir("bench_diffusion_profile", args.out)
    run.report(rows, "Diffusion sampler: whole sampler, without the categories' reveal, denoiser passes alone",
               list(rows[0]), f"{n} rows per call; untrained models of the Adult layout (width "
               f"{width}); median of {args.rounds} interleaved rounds after a warm-up.")


def ops(args) -> None:
    """The sampler's time by TensorFlow op type: a model of the Adult layout with random weights
    (speed does not depend on their values; a fresh model's zero biases, frozen, would be folded
    away with the fused kernels that hold them) sampling 20,838 rows at ``--steps`` (the first value) and each
    ``--precisions``, its graph frozen and run in a TF1 session with a full trace (step stats,
    every op of the loop counted on each step); op times summed per type, after two untimed runs."""
    import collections

    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    n, width, new_model = adult_layout(args)
    steps, rows = int(args.steps.split(",")[0]), []
    for precision in [resolve_precision(p) for p in args.precisions.split(",")]:
        model = new_model("silu")
        for weight in model.denoiser.weights:  # frozen zero biases would be folded away, and the fusions with them
            weight.assign(tf.random.normal(weight.shape, stddev=0.05, seed=1))
        frozen = convert_variables_to_constants_v2(model.sample_graph(precision=precision).get_concrete_function())
        graph = tf.Graph()
        with graph.as_default():
            tf.import_graph_def(frozen.graph.as_graph_def(), name="")
        feed = dict(zip([t.name for t in frozen.inputs], (np.full((n, model.layout.n_disc), -1, np.int32),
                                                          np.array([0, 0], np.int32), np.int32(steps))))
        outputs, metadata = [t.name for t in frozen.outputs], tf.compat.v1.RunMetadata()
        with tf.compat.v1.Session(graph=graph) as session:
            for _ in range(2):
                session.run(outputs, feed)
            start = time.perf_counter()
            session.run(outputs, feed, run_metadata=metadata,
                        options=tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE))
            wall = time.perf_counter() - start
        by_type = collections.Counter()
        for node in (node for device in metadata.step_stats.dev_stats for node in device.node_stats):
            label = node.timeline_label.split("=")[-1].split("(")[0].strip() if node.timeline_label else node.node_name
            by_type[label] += (node.op_end_rel_micros - node.op_start_rel_micros) / 1000.0
        total = sum(by_type.values())
        for op, ms in by_type.most_common(args.top):
            rows.append({"precision": precision, "op": op, "ms": ms, "share": ms / total})
        rows.append({"precision": precision, "op": f"all ops (traced run {wall * 1000:.0f} ms wall)",
                     "ms": total, "share": 1.0})
        print("\n".join(f"{r['op']:>32s} {r['ms']:8.1f} ms {r['share']:6.1%}" for r in rows if r["precision"] == precision),
              flush=True)
    run = RunDir("bench_diffusion_ops", args.out)
    run.report(rows, "Diffusion sampler: op time by type (one traced run)", list(rows[0]),
               f"{n} rows, {steps} steps, width {width}; a model of the Adult layout, random weights; op times "
               "summed (the two cores run some ops side by side, so the sum can exceed the wall time).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=("fit", "score", "small", "profile", "ops"))
    parser.add_argument("--out", default="runs/output/diffusion_sampling")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--depth", type=int, default=None)
    parser.add_argument("--activation", choices=("relu", "silu"), default=None,
                        help="fit: the denoiser's activation (default: the config's)")
    parser.add_argument("--updates", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=None, help="small: override the batch size")
    parser.add_argument("--rows", type=int, default=None, help="small: rows of the subsample (default 800)")
    parser.add_argument("--updates-list", default=None, help="small: comma-separated updates (0: the default)")
    parser.add_argument("--method", choices=("diffusion", "ctgan", "gan", "cgan"), default="diffusion",
                        help="small: the method fitted (ctgan, gan, cgan: one fit per --epochs-list value; "
                        "cgan conditions on income)")
    parser.add_argument("--epochs-list", default=None, help="small, --method ctgan / gan / cgan: comma-separated "
                        "epochs (0: the default, raised to at least min_updates updates on a small table)")
    parser.add_argument("--min-updates", type=int, default=None,
                        help="small, --method ctgan / gan / cgan: override the config's min_updates")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="fit, and small with --method ctgan / gan / cgan: override a config field "
                        "(repeatable), e.g. --set lr_schedule=cosine or --set ema_momentum=0.999")
    parser.add_argument("--sample-seeds", default="0", help="score: comma-separated seeds of the sampled rows")
    parser.add_argument("--steps", default="10,15,20,25,50")
    parser.add_argument("--precisions", default="auto", help="score: comma-separated sampler precisions "
                        "(auto, float32, bfloat16)")
    parser.add_argument("--reveal", default="spread", help="score: comma-separated reveal plans of the categories "
                        "(spread: the model's; independent: the former plan, an ablation)")
    parser.add_argument("--models", default=None, help="comma-separated model folder names (default: all)")
    parser.add_argument("--models-dir", default=None,
                        help="score: where the fit stage saved the models (default --out)")
    parser.add_argument("--speed-only", action="store_true", help="timings only, no quality scores")
    parser.add_argument("--activations", default="relu,silu", help="profile: comma-separated activations")
    parser.add_argument("--rounds", type=int, default=7, help="profile: interleaved calls of each setting")
    parser.add_argument("--top", type=int, default=12, help="ops: op types listed per precision")
    args = parser.parse_args(argv)
    {"fit": fit, "score": score, "small": small, "profile": profile, "ops": ops}[args.stage](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
