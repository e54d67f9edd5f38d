#!/usr/bin/python3
"""Writes every eligible conformance case as Keras model files (tests/data/keras_cases/).

    apt-get install -y python3-numpy python3-h5py python3-setuptools python3-absl python3-rich git  # Debian 12
    /usr/bin/python3 scripts/make_keras_case_fixtures.py [--out DIR] [--keras-ref REF]
                                                         [--keras-src DIR --keras-commit SHA] [--stored-zip]

For every ELIGIBLE case of tests/data/keras/*.json (see `ineligible_reason`), the real Keras 3
(the source, backend and shims of scripts/make_keras_file_fixtures.py, whose helpers this
script imports, as scripts/make_keras_layer_fixtures.py does: the Keras source of the GitHub
mirror at REF, default v3.15.1, run by Debian's python3 with KERAS_BACKEND=numpy, in a child
process):

1. builds the case's model from the case's `layers` (`keras.layers.deserialize` of each Keras
   3 config, in `keras.Sequential([keras.Input(input shape, dtype), ...])`, int32 input when
   the first layer is Embedding), sets the case's weights with `layer.set_weights` (the
   case's `weights`, in get_weights order: the mapping of make_keras_file_fixtures.py), and
   saves it with Keras itself: `model.save("x.keras")`, `model.save_weights("x.weights.h5")`,
   legacy `model.save("x.h5")`;
2. predicts with Keras (`model.predict(inputs)`) and keeps the case only if that equals the
   case's `outputs` within the case's tolerance (the cases are Keras goldens; a case that does
   not is reported and not written); reloads each final file with Keras
   (`keras.saving.load_model`, or a fresh model from the case's configs + `load_weights` for the
   weights file) and refuses a file whose reload does not predict the same;
3. writes, per format, a runner case (the model_file / weights_file contract of
   /work/shared/conformance/README.md): `keras/<case>.json` + `<case>.keras` and
   `legacy_h5/<case>.json` + `<case>.h5` with `model_file`; `weights_h5/<case>.json` +
   `<case>.weights.h5` with `layers` (the case's layers without their inline `weights`) and
   `weights_file`. Each carries the case's `dtype`, `tolerance`, `inputs`, `mask` (null),
   `initial_state` (null) and `outputs` (copied from the case), `source_case`, and the checks.
   The case JSONs are minified (one line) to keep the directory small.

Not carried: a case's `gradients` (31 cases have them; 24 eligible): the file cases check the
forward outputs only (model.predict has no backward pass; the inline cases still check them).

Determinism: the HDF5 files are byte-identical on reruns (h5py records no times). Each .keras
file is re-packed as make_keras_file_fixtures.normalize_keras_zip does (fixed timestamps,
date_saved and shared_object_id numbers), and then, unless --stored-zip is given, its members
are re-packed DEFLATED (zlib, default level) instead of Keras's ZIP_STORED, to fit the size
budget: Keras reads any zip (zipfile), and the member bytes are unchanged. Deflate output is
deterministic for a given zlib; the zlib version is recorded in the README.
"""

import argparse
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(REPO, "tests", "data", "keras_cases")

_spec = importlib.util.spec_from_file_location("kff", os.path.join(HERE, "make_keras_file_fixtures.py"))
kff = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kff)

# (subdirectory, format name as in tests/data/keras_files, file extension)
FORMATS = [("keras", "keras3_zip", ".keras"),
           ("weights_h5", "keras3_weights_h5", ".weights.h5"),
           ("legacy_h5", "keras3_legacy_h5", ".h5")]
RELOAD_ATOL = 1e-6  # a reload must predict what the saved model predicted (in practice: exactly)


def ineligible_reason(case):
    """Why a saved model cannot reproduce the case with `model.predict(inputs)`, or None."""
    reasons = []
    if case["inputs"] is None:
        reasons.append("parameter counts only (no inputs or outputs to predict)")
    if case.get("mask") is not None:
        reasons.append("explicit `mask`")
    if case.get("initial_state") is not None:
        reasons.append("`initial_state`")
    for cfg in nested_configs(case["layers"] or []):
        if cfg.get("dropout", 0) or cfg.get("recurrent_dropout", 0):
            reasons.append("dropout in a recurrent layer (training-only)")
        if cfg.get("stateful", False):
            reasons.append("stateful layer: state carried between predict batches")
    return " and ".join(dict.fromkeys(reasons)) or None


def nested_configs(layers):
    """Every layer config of the stack, with a Bidirectional's `layer` and `backward_layer`."""
    for lc in layers:
        cfg = lc["config"]
        yield cfg
        for key in ("layer", "backward_layer"):
            if isinstance(cfg.get(key), dict):
                yield cfg[key]["config"]


def deflate_zip(path):
    """Re-packs a zip with every member DEFLATED: same names, order, timestamps and attributes,
    same member bytes (run after kff.normalize_keras_zip)."""
    with open(path, "rb") as f:
        zin = zipfile.ZipFile(io.BytesIO(f.read()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zi.create_system = info.create_system
            zout.writestr(zi, zin.read(info.filename))
    with open(path, "wb") as f:
        f.write(out.getvalue())


# ----------------------------------------------------------------------------------------
# Worker: runs in the child process that imports the real Keras 3
# ----------------------------------------------------------------------------------------


def worker(plan_path, result_path):
    import keras  # noqa: E402  (PYTHONPATH and KERAS_BACKEND are set by the parent)

    with open(plan_path) as f:
        plan = json.load(f)

    def build(case, with_weights=True):
        keras.backend.clear_session()  # fresh name counters: the model is "sequential"
        first = case["layers"][0]
        dtype = "int32" if first["class_name"] == "Embedding" else "float32"
        layers = [keras.layers.deserialize({"module": "keras.layers", "class_name": lc["class_name"],
                                            "config": json.loads(json.dumps(lc["config"]))})
                  for lc in case["layers"]]
        model = keras.Sequential([keras.Input(tuple(first["build_config"]["input_shape"][1:]), dtype=dtype)] + layers)
        if with_weights:
            for layer, lc in zip(layers, case["layers"]):
                if lc["weights"]:
                    layer.set_weights(kff.case_weights(lc))
        return model

    def as_list(y):
        return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]

    results = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "items": {}}
    for item in plan["items"]:
        case = kff.load_case(item["case"])
        x = kff.case_inputs(case)
        out = {"reload": {}}
        try:
            model = build(case)
            y = as_list(model.predict(x, verbose=0))
            out["predict"] = [v.tolist() for v in y]
            model.save(item["keras"])
            model.save_weights(item["weights_h5"])
            model.save(item["legacy_h5"])
        except Exception as e:  # recorded and reported; such a case is not written
            out["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
            results["items"][item["case"]] = out
            continue
        kff.normalize_keras_zip(item["keras"])
        if item["deflate"]:
            deflate_zip(item["keras"])
        for key in ("keras", "weights_h5", "legacy_h5"):
            try:
                if key == "weights_h5":
                    m = build(case, with_weights=False)
                    m.load_weights(item[key])
                else:
                    keras.backend.clear_session()
                    m = keras.saving.load_model(item[key], compile=False)
                out["reload"][key] = kff.max_err(as_list(m.predict(x, verbose=0)), y)
            except Exception as e:  # recorded: such a file is not kept
                out["reload"][key] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
        results["items"][item["case"]] = out
    with open(result_path, "w") as f:
        json.dump(results, f)


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------


def compact(doc):
    return json.dumps(doc, separators=(",", ":")) + "\n"


def fmt_err(v):
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def write_readme(out, keras_version, how, deflate, kept, ineligible, rejected, sizes, n_cases, n_grad):
    counts = {sub: len(kept) for sub, _, _ in FORMATS}
    for sub, _, _ in FORMATS:
        counts[sub] -= sum(1 for r in rejected if r[1] == sub)
    lines = [
        "# Conformance cases through Keras model files",
        "",
        "Written by `scripts/make_keras_case_fixtures.py` (do not edit by hand; run it again to regenerate the",
        "whole directory, byte-identically). For every eligible case of `tests/data/keras/` (the conformance",
        f"goldens, {n_cases} cases), Keras {keras_version} itself ({how}, numpy backend) built the case's model from",
        "its `layers` (Keras 3 configs, in a `Sequential` after an `Input` of the case's input shape), set the",
        "case's weights with `layer.set_weights`, and saved it in the three Keras 3 formats:",
        "",
        "| directory | file | written by | case fields |",
        "|---|---|---|---|",
        "| `keras/` | `<case>.keras` | `model.save(\"x.keras\")` | `model_file` |",
        "| `weights_h5/` | `<case>.weights.h5` | `model.save_weights(\"x.weights.h5\")` | `layers` (the case's, "
        "without inline `weights`) + `weights_file` |",
        "| `legacy_h5/` | `<case>.h5` | legacy `model.save(\"x.h5\")` | `model_file` |",
        "",
        "Each `<case>.json` (minified, one line) follows the runner's model_file / weights_file contract",
        "(`/work/shared/conformance/README.md`) and carries the source case's `dtype`, `tolerance`, `inputs`,",
        "`outputs` (copied from the case), `mask` and `initial_state` (both null), `source_case` (the case's",
        "name), the file's `format`, and `checks`: how far Keras's own `model.predict` and Keras's reload of the",
        "file are from the case's outputs. The case's `gradients` are not carried (the file cases check forward",
        f"outputs; {n_grad} of the eligible cases have gradients, which the inline cases in `tests/data/keras/` check).",
        "",
        "A case was kept only if Keras's `model.predict` of the model equals the case's `outputs` within the",
        "case's tolerance, and a file only if Keras reloading it (`keras.saving.load_model`, or the case's model",
        f"built without weights + `load_weights`) predicts the same (within {RELOAD_ATOL:g}; in practice exactly).",
        "",
        "`birnn_conformance tests/data/keras_cases/<directory>` runs them (ctest `conformance_keras_cases_keras`,",
        "`conformance_keras_cases_weights_h5`, `conformance_keras_cases_legacy_h5`, and `_double` variants).",
        "",
        "## Counts",
        "",
        f"- conformance cases: {n_cases}; eligible: {n_cases - len(ineligible)}; ineligible: {len(ineligible)} (below)",
        f"- eligible cases whose Keras predict differs from the golden: "
        f"{sum(1 for r in rejected if r[1] == 'predict')}",
    ]
    for sub, _, ext in FORMATS:
        lines.append(f"- `{sub}/`: {counts[sub]} cases ({counts[sub]} `{ext}` files), {sizes[sub]} bytes")
    lines.append(f"- total: {sum(sizes.values())} bytes of model files and case JSONs (plus this README)")
    lines += ["", "## Eligibility", "",
              "Eligible: a case a saved model reproduces with `model.predict(inputs)` alone, decided from each case's",
              "data: it has `inputs` and `outputs`, no explicit `mask` (a mask made inside the model by",
              "Embedding(mask_zero=True) or Masking is fine) and no `initial_state` (predict cannot pass either to the",
              "first recurrent layer), no training-only or stateful feature in its configs (a recurrent layer's",
              "`dropout` or `recurrent_dropout` above 0, `stateful`: the script checks; no case has one). A case's",
              "`gradients` do not make it ineligible; they are dropped, as said above.",
              "", "## Ineligible cases", "",
              "An explicit `mask` or an `initial_state` is given to the first recurrent layer by the caller; a saved",
              "model's `model.predict(inputs)` cannot pass either. By reason:", ""]
    by_reason = {}
    for _, reason in ineligible:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    lines += [f"- {reason}: {k}" for reason, k in sorted(by_reason.items(), key=lambda t: (-t[1], t[0]))]
    lines += ["", "| case | reason |", "|---|---|"]
    for name, reason in ineligible:
        lines.append(f"| `{name}` | {reason} |")
    if rejected:
        lines += ["", "## Not written (Keras disagrees or cannot reload)", ""]
        lines += [f"- `{name}` ({what}): {err}" for name, what, err in rejected]
    lines += ["", "## .keras files", ""]
    if deflate:
        lines += ["Re-packed after Keras wrote them, for byte-identical reruns (as `scripts/make_keras_file_fixtures.py`",
                  "does: every timestamp 1980-01-01 00:00, `date_saved` fixed, `shared_object_id` renumbered 1, 2, ...),",
                  "and then with every member DEFLATED (Keras itself writes ZIP_STORED): this keeps the directory",
                  f"within its size budget. Member names, order and bytes are Keras's; Keras reads them back (checked).",
                  f"Compressed with zlib {zlib.ZLIB_VERSION}, default level; `--stored-zip` keeps Keras's stored members."]
    else:
        lines += ["Re-packed after Keras wrote them (as `scripts/make_keras_file_fixtures.py` does), members stored."]
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
    ap.add_argument("--stored-zip", action="store_true", help="keep the .keras members stored (larger)")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    deflate = not args.stored_zip

    names = sorted(fn[:-5] for fn in os.listdir(kff.GOLDEN) if fn.endswith(".json"))
    cases = {n: kff.load_case(n) for n in names}
    ineligible = [(n, ineligible_reason(cases[n])) for n in names if ineligible_reason(cases[n])]
    eligible = [n for n in names if not ineligible_reason(cases[n])]

    scratch = tempfile.mkdtemp(prefix="birnn_keras_cases_")
    try:
        kff.write_shims(os.path.join(scratch, "shim"))
        keras_src, commit, how = kff.get_keras_source(args, scratch)
        raw = os.path.join(scratch, "raw")
        os.makedirs(raw)
        plan = {"items": [{"case": n, "deflate": deflate, "keras": os.path.join(raw, n + ".keras"),
                           "weights_h5": os.path.join(raw, n + ".weights.h5"),
                           "legacy_h5": os.path.join(raw, n + ".h5")} for n in eligible]}
        env = dict(os.environ)
        env.update({"KERAS_BACKEND": "numpy", "KERAS_HOME": os.path.join(scratch, "keras_home"),
                    "PYTHONPATH": keras_src + os.pathsep + os.path.join(scratch, "shim"), "PYTHONHASHSEED": "0",
                    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
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
        keras_version = results["keras_version"]

        # The directory is entirely generated.
        if os.path.isdir(out):
            shutil.rmtree(out)
        for sub, _, _ in FORMATS:
            os.makedirs(os.path.join(out, sub))

        rejected, kept = [], []
        worst = {"predict": 0.0, "reload": 0.0}
        for n in eligible:
            case, r = cases[n], results["items"][n]
            if "error" in r:
                rejected.append((n, "predict", f"Keras cannot build/predict/save it: {r['error']}"))
                continue
            pred = [np.asarray(v) for v in r["predict"]]
            expected = kff.case_outputs(case)
            err = kff.max_err(pred, expected)
            if not kff.within(pred, expected, case["tolerance"]):
                rejected.append((n, "predict", f"Keras predict differs from the case's outputs by {fmt_err(err)} "
                                               f"(atol {case['tolerance']['atol']:g}, rtol {case['tolerance']['rtol']:g})"))
                continue
            worst["predict"] = max(worst["predict"], err)
            kept.append(n)
            for sub, fmt, ext in FORMATS:
                reload = r["reload"][sub]
                if isinstance(reload, str) or reload > RELOAD_ATOL:
                    rejected.append((n, sub, f"Keras's reload of its own {ext} file: {fmt_err(reload)}"))
                    continue
                worst["reload"] = max(worst["reload"], reload)
                shutil.copyfile(plan["items"][eligible.index(n)][sub], os.path.join(out, sub, n + ext))
                doc = {"name": n, "source_case": n,
                       "description": f"Keras {keras_version} {fmt} of conformance case {n}: {case['description']}",
                       "format": fmt, "reference": f"conformance case {n}: {case['reference']}",
                       "dtype": case["dtype"], "tolerance": case["tolerance"]}
                if sub == "weights_h5":
                    doc["layers"] = [{k: v for k, v in lc.items() if k != "weights"} for lc in case["layers"]]
                    doc["weights_file"] = n + ext
                else:
                    doc["model_file"] = n + ext
                doc.update({"inputs": case["inputs"], "mask": None, "initial_state": None, "outputs": case["outputs"],
                            "keras_commit": commit,
                            "checks": {"keras_predict_max_abs_err": err, "keras_reload_vs_predict_max_abs_err": reload}})
                with open(os.path.join(out, sub, n + ".json"), "w") as f:
                    f.write(compact(doc))

        sizes = {sub: sum(os.path.getsize(os.path.join(out, sub, fn)) for fn in os.listdir(os.path.join(out, sub)))
                 for sub, _, _ in FORMATS}
        n_grad = sum(1 for n in eligible if cases[n].get("gradients"))
        write_readme(out, keras_version, how, deflate, kept, ineligible, rejected, sizes, len(names), n_grad)
        sizes_total = sum(sizes.values()) + os.path.getsize(os.path.join(out, "README.md"))
        print(f"Keras {keras_version} ({results['backend']}) from {how}")
        print(f"{len(names)} cases: {len(eligible)} eligible, {len(ineligible)} ineligible; kept {len(kept)}")
        print(f"worst Keras predict vs golden {worst['predict']:.3g}; worst reload vs predict {worst['reload']:.3g}")
        for sub, _, _ in FORMATS:
            print(f"  {sub}: {sum(1 for fn in os.listdir(os.path.join(out, sub)) if fn.endswith('.json'))} cases, "
                  f"{sizes[sub]} bytes")
        print(f"  total {sizes_total} bytes")
        for n, what, e in rejected:
            print(f"NOT WRITTEN {n} ({what}): {e}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
