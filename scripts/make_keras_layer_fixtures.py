#!/usr/bin/python3
"""Writes the Keras model-file fixtures of the layers around RNNs (tests/data/keras_layers/).

    apt-get install -y python3-numpy python3-h5py python3-setuptools python3-absl python3-rich git  # Debian 12
    /usr/bin/python3 scripts/make_keras_layer_fixtures.py [--out DIR] [--keras-ref REF]

Each model below is built by the real Keras 3 (the same source, backend and shims as
scripts/make_keras_file_fixtures.py, whose helpers this script imports: the Keras source of
the GitHub mirror at REF, default v3.15.1, run by Debian's python3 with KERAS_BACKEND=numpy),
given seeded random weights with `layer.set_weights`, and saved by Keras itself in the three
Keras 3 formats: `model.save("x.keras")` (saving_lib.save_model), `model.save_weights(
"x.weights.h5")` and `model.save("x.h5")` (legacy_h5_format.save_model_to_hdf5). The
expected outputs are Keras's own `model.predict` on the case's inputs; the script also
reloads each file with Keras (`keras.saving.load_model`, or the weights into a fresh model)
and refuses to write a case whose reload differs.

Every case follows the conformance runner's contract (issue 12): `model_file` for a full
model file; `layers` (the Keras config's layer list) and `weights_file` for a weights file.
The .keras files are re-packed for byte-identical reruns, as the other script does.
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(REPO, "tests", "data", "keras_layers")

_spec = importlib.util.spec_from_file_location("kff", os.path.join(HERE, "make_keras_file_fixtures.py"))
kff = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kff)


def models():
    """The models: name, a description, the builder's code name and the inputs."""
    rng = np.random.default_rng(20261204)
    ids = np.array([[3, 7, 1, 12, 0, 0], [5, 2, 9, 4, 11, 6], [8, 0, 0, 0, 0, 0]], np.int32)
    x53 = rng.standard_normal((3, 5, 3)).astype(np.float32)
    x53[0, 3:, :] = 0.0  # masked by Masking(0.0)
    x53[2, 1:, :] = 0.0
    x43 = rng.standard_normal((2, 4, 3)).astype(np.float32)
    chars = rng.standard_normal((3, 6, 3)).astype(np.float32)
    xs_state = rng.standard_normal((2, 5, 3)).astype(np.float32)
    return [
        {"slug": "func_ner", "inputs": [ids, chars], "input_dtype": ["int32", "float32"], "functional": True,
         "description": "Functional, two inputs: words [6] int -> Embedding(20, 4, mask_zero); chars [6, 3] -> "
                        "TimeDistributed(Dense(3, tanh)); Concatenate (Keras 3: the unmasked input keeps every "
                        "step) -> Bidirectional(LSTM(3, return_sequences)) -> TimeDistributed(Dense(3, softmax))"},
        {"slug": "func_merges", "inputs": [x53], "input_dtype": ["float32"], "functional": True,
         "description": "Functional: Input [5, 3] -> Masking(0) -> LSTM(3, return_sequences) and GRU(3, "
                        "return_sequences) -> Add, Average, Multiply of the two (masks: OR) -> Concatenate -> "
                        "GlobalAveragePooling1D (mask-aware) -> Dense(2)"},
        {"slug": "func_state", "inputs": [xs_state], "input_dtype": ["float32"], "functional": True,
         "description": "Functional, two outputs: Input [5, 3] -> Bidirectional(LSTM(3, return_sequences, "
                        "return_state)) -> [sequences, h_f, c_f, h_b, c_b]; Concatenate(h_f, h_b) -> Dense(2); "
                        "outputs: the Dense, then GlobalMaxPooling1D of the sequences"},
        {"slug": "tagger", "inputs": ids, "input_dtype": "int32",
         "description": "Embedding(20, 4, mask_zero) -> SpatialDropout1D(0.2) -> Bidirectional(LSTM(3, "
                        "return_sequences)) -> LayerNormalization -> TimeDistributed(Dense(3, softmax))"},
        {"slug": "classifier", "inputs": ids, "input_dtype": "int32",
         "description": "Embedding(20, 4, mask_zero) -> Bidirectional(GRU(3, return_sequences)) -> "
                        "GlobalMaxPooling1D -> Dropout(0.3) -> Dense(2, softmax)"},
        {"slug": "pool_norm", "inputs": x53, "input_dtype": "float32",
         "description": "Input [5, 3] -> Masking(0) -> GaussianNoise(0.1) -> Bidirectional(SimpleRNN(4, "
                        "return_sequences), sum) -> GlobalAveragePooling1D (mask-aware) -> BatchNormalization "
                        "(moving statistics set) -> Activation(tanh) -> Dense(2)"},
        {"slug": "reshape", "inputs": x43, "input_dtype": "float32",
         "description": "Input [4, 3] -> Flatten -> Dense(6) -> Reshape((-1, 2)) -> GaussianDropout(0.2) -> "
                        "TimeDistributed(Activation(relu)) -> LSTM(3) -> RepeatVector(2) -> GRU(2, "
                        "return_sequences) -> TimeDistributed(LayerNormalization) -> Flatten -> Dense(1)"},
    ]


# ----------------------------------------------------------------------------------------
# Worker: runs in the child process that imports the real Keras 3
# ----------------------------------------------------------------------------------------


def worker(plan_path, result_path):
    import keras  # noqa: E402  (PYTHONPATH and KERAS_BACKEND are set by the parent)

    L = keras.layers
    with open(plan_path) as f:
        plan = json.load(f)

    def build(slug):
        keras.backend.clear_session()
        if slug == "tagger":
            layers = [keras.Input((6,), dtype="int32"), L.Embedding(20, 4, mask_zero=True),
                      L.SpatialDropout1D(0.2, seed=3), L.Bidirectional(L.LSTM(3, return_sequences=True)),
                      L.LayerNormalization(), L.TimeDistributed(L.Dense(3, activation="softmax"))]
        elif slug == "classifier":
            layers = [keras.Input((6,), dtype="int32"), L.Embedding(20, 4, mask_zero=True),
                      L.Bidirectional(L.GRU(3, return_sequences=True)), L.GlobalMaxPooling1D(),
                      L.Dropout(0.3, seed=5), L.Dense(2, activation="softmax")]
        elif slug == "pool_norm":
            layers = [keras.Input((5, 3)), L.Masking(0.0), L.GaussianNoise(0.1, seed=7),
                      L.Bidirectional(L.SimpleRNN(4, return_sequences=True), merge_mode="sum"),
                      L.GlobalAveragePooling1D(), L.BatchNormalization(), L.Activation("tanh"), L.Dense(2)]
        elif slug == "reshape":
            layers = [keras.Input((4, 3)), L.Flatten(), L.Dense(6), L.Reshape((-1, 2)), L.GaussianDropout(0.2, seed=9),
                      L.TimeDistributed(L.Activation("relu")), L.LSTM(3), L.RepeatVector(2),
                      L.GRU(2, return_sequences=True), L.TimeDistributed(L.LayerNormalization()), L.Flatten(),
                      L.Dense(1)]
        elif slug == "func_ner":
            w = keras.Input((6,), dtype="int32", name="words")
            ch = keras.Input((6, 3), name="chars")
            e = L.Embedding(20, 4, mask_zero=True)(w)
            t = L.TimeDistributed(L.Dense(3, activation="tanh"))(ch)
            x = L.Concatenate()([e, t])
            x = L.Bidirectional(L.LSTM(3, return_sequences=True))(x)
            y = L.TimeDistributed(L.Dense(3, activation="softmax"))(x)
            return keras.Model([w, ch], y, name="ner")
        elif slug == "func_merges":
            x = keras.Input((5, 3), name="x")
            m = L.Masking(0.0)(x)
            a = L.LSTM(3, return_sequences=True)(m)
            b = L.GRU(3, return_sequences=True)(m)
            c = L.Concatenate()([L.Add()([a, b]), L.Average()([a, b]), L.Multiply()([a, b])])
            y = L.Dense(2)(L.GlobalAveragePooling1D()(c))
            return keras.Model(x, y, name="merges")
        elif slug == "func_state":
            x = keras.Input((5, 3), name="x")
            seq, hf, cf, hb, cb = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True))(x)
            y = L.Dense(2)(L.Concatenate()([hf, hb]))
            z = L.GlobalMaxPooling1D()(seq)
            return keras.Model(x, [y, z], name="state")
        else:
            raise ValueError(slug)
        return keras.Sequential(layers)

    def set_random_weights(model, seed):
        rng = np.random.default_rng(seed)
        for layer in model.layers:
            ws = layer.get_weights()
            if not ws:
                continue
            new = []
            for w, v in zip(layer.weights, ws):
                if "moving_variance" in w.path:
                    new.append(rng.uniform(0.5, 1.5, size=v.shape).astype(np.float32))
                elif "gamma" in w.path:
                    new.append(rng.uniform(0.6, 1.4, size=v.shape).astype(np.float32))
                else:
                    new.append(rng.uniform(-0.6, 0.6, size=v.shape).astype(np.float32))
            layer.set_weights(new)

    results = {"keras_version": keras.__version__, "items": {}}
    for item in plan["items"]:
        model = build(item["slug"])
        set_random_weights(model, item["seed"])
        if item.get("functional"):
            x = [np.asarray(v, dtype=d) for v, d in zip(item["inputs"], item["input_dtype"])]
            x = x if len(x) > 1 else x[0]
        else:
            x = np.asarray(item["inputs"], dtype=item["input_dtype"])

        def as_list(y):
            return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]

        def diff(a, b):
            return max(float(np.max(np.abs(u - v))) for u, v in zip(as_list(a), as_list(b)))

        y = model.predict(x, verbose=0)
        out = {"predict": [v.tolist() for v in as_list(y)], "config": json.loads(model.to_json()), "reload": {}}
        model.save(item["keras"])
        model.save_weights(item["weights"])
        model.save(item["h5"])
        keras.backend.clear_session()
        for key in ("keras", "h5"):
            try:
                m = keras.saving.load_model(item[key], compile=False)
                out["reload"][key] = diff(m.predict(x, verbose=0), y)
            except Exception as e:  # recorded: such a file is not kept
                out["reload"][key] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        m = build(item["slug"])
        m.load_weights(item["weights"])
        out["reload"]["weights"] = diff(m.predict(x, verbose=0), y)
        results["items"][item["slug"]] = out
    with open(result_path, "w") as f:
        json.dump(results, f)


def write_readme(out, specs, keras_version, how):
    lines = ["# Keras files of the layers around RNNs", "",
             "Written by `scripts/make_keras_layer_fixtures.py` (do not edit by hand): each model was built, given",
             f"seeded random weights and saved by Keras {keras_version} itself ({how}, numpy backend) as",
             "`<name>_keras.keras` (`model.save`), `<name>_weights.weights.h5` (`model.save_weights`; the case",
             "carries the model's `layers` and a `weights_file`) and `<name>_h5.h5` (legacy `model.save`). Expected",
             "outputs are Keras's `model.predict`; Keras reloaded each file to the same outputs before it was kept.",
             "`birnn_conformance tests/data/keras_layers` runs them (ctest `conformance_keras_layers`).", "",
             "| model | layers |", "|---|---|"]
    for m in specs:
        lines.append(f"| k3_layers_{m['slug']} | {m['description']} |")
    refused = [(m["slug"], k, e) for m in specs for k, e in m.get("refused", {}).items()]
    if refused:
        lines += ["", "Files Keras itself cannot load back (so not kept):", ""]
        lines += [f"- k3_layers_{slug} `{key}`: {err}" for slug, key, err in refused]
    lines += ["", "The Functional models' weights files are in `functional_weights/`: the unit tests load each",
              "into the model of its `.keras` file (the runner's `weights_file` cases are Sequential stacks)."]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--keras-ref", default=kff.DEFAULT_KERAS_REF)
    ap.add_argument("--keras-src", default=None)
    ap.add_argument("--keras-commit", default=None)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="birnn_keras_layers_")
    try:
        kff.write_shims(os.path.join(scratch, "shim"))
        keras_src, commit, how = kff.get_keras_source(args, scratch)
        plan = {"items": []}
        specs = models()
        for k, m in enumerate(specs):
            stem = os.path.join(scratch, "k3_layers_" + m["slug"])
            inputs = [v.tolist() for v in m["inputs"]] if m.get("functional") else m["inputs"].tolist()
            plan["items"].append({"slug": m["slug"], "seed": 100 + k, "inputs": inputs, "functional": m.get("functional", False),
                                  "input_dtype": m["input_dtype"], "keras": stem + ".keras",
                                  "weights": stem + ".weights.h5", "h5": stem + ".h5"})
        env = dict(os.environ)
        env.update({"KERAS_BACKEND": "numpy", "KERAS_HOME": os.path.join(scratch, "keras_home"),
                    "PYTHONPATH": keras_src + os.pathsep + os.path.join(scratch, "shim"), "PYTHONHASHSEED": "0"})
        plan_path, result_path = os.path.join(scratch, "plan.json"), os.path.join(scratch, "result.json")
        with open(plan_path, "w") as f:
            json.dump(plan, f)
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", plan_path, result_path],
                              env=env, cwd=scratch, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("Keras worker failed")
        with open(result_path) as f:
            results = json.load(f)
        for m, item in zip(specs, plan["items"]):
            r = results["items"][m["slug"]]
            refused = {}
            for key, err in r["reload"].items():
                if isinstance(err, str):
                    refused[key] = err
                    print(f"{m['slug']}: Keras cannot load its own {key} file ({err}); not kept")
                elif err > 1e-6:
                    raise SystemExit(f"{m['slug']}: Keras's reload of the {key} file differs by {err}")
            m["refused"] = refused
            kff.normalize_keras_zip(item["keras"])
            ys = [np.asarray(v, np.float32) for v in r["predict"]]
            names = ["output"] if len(ys) == 1 else [f"output_{i}" for i in range(len(ys))]
            if m.get("functional"):  # a list of inputs, named as the model's Input layers
                in_names = [l["config"]["name"] for l in r["config"]["config"]["layers"] if l["class_name"] == "InputLayer"]
                inputs = [kff.arr(n, v) for n, v in zip(in_names, m["inputs"])]
            else:
                inputs = kff.arr(None, m["inputs"])
            common = {"reference": f"Keras {results['keras_version']} model.predict (numpy backend), {how}",
                      "tolerance": {"atol": 1e-5, "rtol": 1e-4},
                      "inputs": inputs, "mask": None, "outputs": [kff.arr(n, v) for n, v in zip(names, ys)],
                      "keras_commit": commit}
            for fmt, key, ext in (("keras3_zip", "keras", ".keras"), ("keras3_weights_h5", "weights", ".weights.h5"),
                                  ("keras3_legacy_h5", "h5", ".h5")):
                if key in refused:
                    continue
                name = f"k3_layers_{m['slug']}_{key}"
                shutil.copyfile(item[key], os.path.join(out, name + ext))
                doc = {"name": name, "description": f"Keras 3 {fmt}: {m['description']}", "file": name + ext,
                       "format": fmt, **common}
                if key == "weights" and m.get("functional"):
                    # The runner's `layers` + `weights_file` cases are Sequential stacks: a
                    # Functional model's weights file is checked by the unit tests instead
                    # (loaded into the model of the case's .keras file).
                    doc["model_of"] = f"k3_layers_{m['slug']}_keras.keras"
                elif key == "weights":
                    doc["layers"] = r["config"]["config"]["layers"]
                    doc["weights_file"] = name + ext
                else:
                    doc["model_file"] = name + ext
                case_dir = os.path.join(out, "functional_weights") if key == "weights" and m.get("functional") else out
                os.makedirs(case_dir, exist_ok=True)
                if case_dir != out:
                    os.replace(os.path.join(out, name + ext), os.path.join(case_dir, name + ext))
                with open(os.path.join(case_dir, name + ".json"), "w") as f:
                    f.write(kff.dump(doc))
            print(f"{m['slug']}: written (reload differences {r['reload']})")
        write_readme(out, specs, results["keras_version"], how)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
