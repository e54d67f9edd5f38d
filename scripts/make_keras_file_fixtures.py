#!/usr/bin/python3
"""Writes the Keras model-file fixtures in tests/data/keras_files/ (files, cases, README).

    apt-get install -y python3-numpy python3-h5py python3-setuptools git   # Debian 12
    /usr/bin/python3 scripts/make_keras_file_fixtures.py [--out DIR] [--keras-src DIR]
                                                         [--keras-ref REF] [--raw-zip]

How the files are made
----------------------
* Keras 3 files (formats keras3_zip, keras3_weights_h5, keras3_legacy_h5) are written by
  the real Keras 3 saving code: `model.save("x.keras")`, `model.save_weights("x.weights.h5")`,
  `model.save("x.h5")`, and their expected outputs are checked against Keras's own
  `model.predict`. Keras is not pip-installed here: its source is taken from the GitHub
  mirror at /work/.mirror/keras-team+keras/repo with
  `git archive <REF> keras | tar -x` (default REF v3.15.1, commit
  250b42181ce9f37df68319d8f4753ec89a349a43, the newest release tag there; `--keras-src DIR`
  uses an already extracted tree instead, DIR containing the `keras` package) and run by
  Debian's /usr/bin/python3 (3.11) with its python3-numpy 1.24 and python3-h5py 3.7
  (HDF5 1.10.8), in a child process with KERAS_BACKEND=numpy, KERAS_HOME=<scratch> and
  PYTHONPATH=<keras source>:<scratch>/shim. The numpy backend needs no compiled
  framework; the shims, written by this script into its scratch directory at run time (never
  into the repository), stand in for pip-only modules that Keras imports but that these
  models never use: `ml_dtypes` (bfloat16/float8 dtype names), `namex` (API-export
  decorator, a no-op), `jax` (the numpy backend imports jax.lax, and the Keras JAX backend's
  fft, at module level; only conv/pool/fft use them), `scipy` (imported by the numpy
  backend's linalg.py), `tree` (a pure-Python dm-tree, the structure utility Keras's
  numpy backend falls back to without optree), `packaging.version` (re-exported from
  Debian's setuptools). Nothing in Keras itself is changed or patched.
  Keras master (3.16.0.dev, commit 3422977a5e38fb2f7709aaa9a08e47f0c43d0f60) runs the same
  way (`--keras-ref HEAD`), but its commit a8b52ca11a ("Disable automatic mask propagation
  in RNN layers", 2026-07-20, in no release) stops a Bidirectional(return_sequences=True)
  from passing its mask on, so the stacked model `k3_imdb_stacked_left` then predicts
  differently (max abs diff 0.019); the script reports such disagreements, it does not hide
  them.
* tf.keras 2.x files (formats tf_keras2_h5, tf_keras2_weights_h5): TensorFlow is not
  available, so they are written with h5py here, following tf-keras's own writer line by
  line: tf_keras/saving/legacy/hdf5_format.py `save_model_to_hdf5`,
  `save_weights_to_hdf5_group`, `save_subset_weights_to_hdf5_group`,
  `save_attributes_to_hdf5_group`, `save_optimizer_weights_to_hdf5_group` and
  saving_utils.py `model_metadata` at tag v2.15.0 (commit
  4fa8b74c860182ca6f20fa26347c4fbcac883217 of /work/.mirror/keras-team+tf-keras/repo), with
  the layer configs of that tag's get_config() methods. One file (`tf2_bidi_lstm_hardsig`)
  is written as TensorFlow 2.4 did (keras_version "2.4.0", h5py 2.10): no
  top_level_model_weights group, configs serialized entirely in the legacy form, and
  layer_names / weight_names as fixed-length strings; it follows keras-team/keras tag v2.6.0 keras/saving/hdf5_format.py
  (the first standalone copy of that code; TensorFlow's own copy is not mirrored here).
  `tf2_bidi_cudnngru` (Bidirectional(CuDNNGRU)) follows tf_keras/layers/rnn/cudnn_gru.py,
  base_cudnn_rnn.py and hdf5_format.py `_convert_rnn_weights` as read at commit
  6add81a967a830418b1507ac99ddba2d4e43a62b of github.com/keras-team/tf-keras (the local mirror
  no longer held tf-keras when it was added).
  `tf2_func_two_inputs` (a Functional model, in functional/) follows, at the same tag,
  tf_keras/engine/functional.py `Functional.get_config` / `get_network_config`,
  tf_keras/engine/node.py `Node.serialize` and base_layer.py `_functional_construction_call`
  (inbound_nodes kwargs), read at commit 4fa8b74c860182ca6f20fa26347c4fbcac883217 of
  /work/.mirror/keras-team+tf-keras/repo (fetched again for it); it holds the model and
  weights of k3_func_two_inputs and takes that case's inputs and outputs (Keras's predict).
  Each of these files is then loaded by the Keras 3 above (legacy loader) as a check; the
  results are in each case's `keras3_load` field.

Expected outputs: a fixture whose model is exactly a conformance case's stack
(tests/data/keras/<case>.json) holds that case's weights and takes that case's `outputs`
(copied). The few without a case (Functional models) take Keras's `predict`. The tf.keras
2 hard_sigmoid file takes a float64 NumPy reference (below): Keras 2's hard_sigmoid is
clip(0.2 x + 0.5, 0, 1), Keras 3's is clip(x / 6 + 0.5, 0, 1). Every fixture is also
recomputed with that NumPy reference and with Keras's predict; both differences are
recorded in the case (`checks`) and printed.

Determinism: the HDF5 files are byte-identical on reruns (h5py does not record times).
The .keras zip as Keras writes it is not: metadata.json carries `date_saved` (now), the
model.weights.h5 member carries the current time as its zip timestamp, and config.json
carries `shared_object_id` values that are Python id()s (memory addresses). Unless
`--raw-zip` is given, each .keras file is therefore re-packed after Keras writes it:
the same members in the same order with the same compression (stored) and attributes,
every timestamp set to 1980-01-01 00:00:00, `date_saved` set to "2000-01-01@00:00:00",
and the shared_object_id numbers replaced by 1, 2, 3, ... in order of first appearance
(same sharing, so Keras loads them the same; the script checks it). Member bytes are
otherwise unchanged.
"""

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GOLDEN = os.path.join(REPO, "tests", "data", "keras")
DEFAULT_OUT = os.path.join(REPO, "tests", "data", "keras_files")
KERAS_MIRROR = "/work/.mirror/keras-team+keras/repo"
DEFAULT_KERAS_REF = "v3.15.1"
TF_KERAS_TAG, TF_KERAS_COMMIT = "v2.15.0", "4fa8b74c860182ca6f20fa26347c4fbcac883217"
FIXED_DATE_SAVED = "2000-01-01@00:00:00"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

# ----------------------------------------------------------------------------------------
# Shims for pip-only modules, written into the scratch directory at run time.
# ----------------------------------------------------------------------------------------

SHIMS = {}

SHIMS["ml_dtypes/__init__.py"] = '''\
"""Fake ml_dtypes: Keras names these dtypes at import; no fixture uses them."""
import numpy as np
bfloat16 = np.dtype("float16").type
float8_e4m3fn = float8_e5m2 = float8_e4m3fnuz = float8_e5m2fnuz = np.dtype("int8").type
float8_e3m4 = float8_e4m3 = float8_e4m3b11fnuz = float8_e8m0fnu = np.dtype("int8").type
float4_e2m1fn = int4 = uint4 = int2 = uint2 = np.dtype("int8").type
class finfo(np.finfo):
    pass
class iinfo(np.iinfo):
    pass
'''

SHIMS["namex/__init__.py"] = '''\
"""Fake namex: keras_export is a no-op decorator."""
class export:
    def __init__(self, path=None, *args, **kwargs):
        self.path = path
    def __call__(self, symbol):
        return symbol
'''

SHIMS["jax.py"] = '''\
"""Fake jax. The Keras numpy backend imports jax (and, through keras.src.backend.jax.math,
the Keras JAX backend) at module level, but uses it only for conv, pooling and fft, which
these fixtures never call. Every attribute and every jax.* submodule is a placeholder."""
import importlib.abc
import importlib.machinery
import sys
import types


class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Meta(name, (), {})

    def __call__(cls, *args, **kwargs):
        return _Meta("called_" + cls.__name__, (), {})

    def __getitem__(cls, item):
        return _Meta("item", (), {})

    def __or__(cls, other):
        return cls

    __ror__ = __or__


class _Module(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        full = self.__name__ + "." + name
        if full in sys.modules:
            return sys.modules[full]
        return _Meta(name, (), {})


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.startswith("jax.") or fullname == "jaxlib" or fullname.startswith("jaxlib."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        m = _Module(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Finder())
__path__ = []
__version__ = "0.0.0-fake"
sys.modules[__name__].__class__ = _Module
'''

SHIMS["scipy/__init__.py"] = '''\
"""Fake scipy: imported at module level by the Keras numpy backend's linalg.py."""
from . import linalg
'''

SHIMS["scipy/linalg.py"] = '''\
def __getattr__(name):
    raise AttributeError("fake scipy shim: scipy.linalg.%s is not available" % name)
'''

SHIMS["packaging/__init__.py"] = '''\
"""Re-export of the copy of `packaging` vendored in Debian's python3-setuptools."""
'''

SHIMS["packaging/version.py"] = '''\
from setuptools._vendor.packaging.version import *  # noqa: F401,F403
from setuptools._vendor.packaging.version import Version, parse  # noqa: F401
'''

SHIMS["tree.py"] = '''\
"""Minimal pure-Python stand-in for dm-tree (module `tree`), after dm-tree's documented
semantics: dicts are walked in sorted key order and rebuilt in their own key order;
lists, tuples, namedtuples and other Sequences (not str/bytes) and Mappings are nested;
None and everything else is a leaf."""
import collections
import collections.abc
import types


class _MapToNone:
    def __repr__(self):
        return "tree.MAP_TO_NONE"


MAP_TO_NONE = _MapToNone()


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(s):
    if isinstance(s, (str, bytes, bytearray)):
        return False
    return isinstance(s, (collections.abc.Mapping, collections.abc.MappingView,
                          collections.abc.Sequence))


def _sorted(d):
    try:
        return sorted(d)
    except TypeError:
        raise TypeError("nest only supports dicts with sortable keys.")


def _yield_value(s):
    if isinstance(s, collections.abc.Mapping):
        for k in _sorted(s):
            yield s[k]
    else:
        for v in s:
            yield v


def _sequence_like(instance, args):
    args = list(args)
    if isinstance(instance, collections.abc.Mapping):
        result = dict(zip(_sorted(instance), args))
        kv = [(k, result[k]) for k in instance]
        if isinstance(instance, collections.defaultdict):
            return type(instance)(instance.default_factory, kv)
        if isinstance(instance, types.MappingProxyType):
            return type(instance)(dict(kv))
        return type(instance)(kv)
    if isinstance(instance, collections.abc.MappingView):
        return list(args)
    if _is_namedtuple(instance):
        return type(instance)(*args)
    return type(instance)(args)


def flatten(s):
    if not is_nested(s):
        return [s]
    out = []
    for v in _yield_value(s):
        out.extend(flatten(v))
    return out


def _packed(structure, flat, index):
    packed = []
    for v in _yield_value(structure):
        if is_nested(v):
            index, child = _packed(v, flat, index)
            packed.append(_sequence_like(v, child))
        else:
            packed.append(flat[index])
            index += 1
    return index, packed


def unflatten_as(structure, flat_sequence):
    flat_sequence = list(flat_sequence)
    if not is_nested(structure):
        if len(flat_sequence) != 1:
            raise ValueError("Structure is a scalar but len(flat_sequence) == %d > 1"
                             % len(flat_sequence))
        return flat_sequence[0]
    n = len(flatten(structure))
    if n != len(flat_sequence):
        raise ValueError("Could not pack sequence. Structure had %d elements, but "
                         "flat_sequence had %d elements." % (n, len(flat_sequence)))
    _, packed = _packed(structure, flat_sequence, 0)
    return _sequence_like(structure, packed)


pack_sequence_as = unflatten_as


def assert_same_structure(a, b, check_types=True):
    if is_nested(a) != is_nested(b):
        raise ValueError("The two structures don't have the same nested structure: "
                         "%r vs %r" % (a, b))
    if not is_nested(a):
        return
    if check_types and type(a) is not type(b):
        if not (isinstance(a, collections.abc.Mapping) and isinstance(b, collections.abc.Mapping)):
            raise TypeError("The two structures don't have the same sequence type: "
                            "%r vs %r" % (type(a), type(b)))
    if isinstance(a, collections.abc.Mapping) and _sorted(a) != _sorted(b):
        raise ValueError("The two dictionaries don't have the same set of keys: "
                         "%r vs %r" % (list(a), list(b)))
    la, lb = list(_yield_value(a)), list(_yield_value(b))
    if len(la) != len(lb):
        raise ValueError("The two structures don't have the same number of elements: "
                         "%r vs %r" % (a, b))
    for x, y in zip(la, lb):
        assert_same_structure(x, y, check_types)


def map_structure(func, *structures, **kwargs):
    check_types = kwargs.pop("check_types", True)
    if kwargs:
        raise ValueError("unexpected keyword arguments %r" % (kwargs,))
    for other in structures[1:]:
        assert_same_structure(structures[0], other, check_types=check_types)
    return unflatten_as(structures[0],
                        [func(*args) for args in zip(*map(flatten, structures))])


def _flatten_up_to(shallow, inp):
    if not is_nested(shallow):
        return [inp]
    if not is_nested(inp):
        raise TypeError("If shallow structure is a sequence, input must also be a sequence.")
    out = []
    if isinstance(shallow, collections.abc.Mapping):
        for k in _sorted(shallow):
            out.extend(_flatten_up_to(shallow[k], inp[k]))
    else:
        if len(shallow) != len(inp):
            raise ValueError("length mismatch in flatten_up_to")
        for s, i in zip(shallow, inp):
            out.extend(_flatten_up_to(s, i))
    return out


def flatten_up_to(shallow_structure, input_structure, check_types=True):
    return _flatten_up_to(shallow_structure, input_structure)


def map_structure_up_to(shallow_structure, func, *structures, **kwargs):
    flat = [_flatten_up_to(shallow_structure, s) for s in structures]
    return unflatten_as(shallow_structure, [func(*args) for args in zip(*flat)])


def traverse(fn, structure, top_down=True):
    def impl(s):
        if top_down:
            ret = fn(s)
            if ret is None and is_nested(s):
                return _sequence_like(s, [impl(v) for v in _yield_value(s)])
            if ret is MAP_TO_NONE:
                return None
            return ret
        if is_nested(s):
            s = _sequence_like(s, [impl(v) for v in _yield_value(s)])
        ret = fn(s)
        if ret is MAP_TO_NONE:
            return None
        return ret
    return impl(structure)
'''


def write_shims(shim_dir):
    for rel, text in SHIMS.items():
        path = os.path.join(shim_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------


def num(v):
    return float(f"{v:.9g}")  # 9 significant digits give back every float32


def arr(name, a):
    a = np.asarray(a)
    d = {"shape": list(a.shape), "data": [num(v) for v in a.reshape(-1).tolist()]}
    if a.dtype.kind in "iu":
        d["data"] = [int(v) for v in a.reshape(-1).tolist()]
    return d if name is None else {"name": name, **d}


def dump(doc):
    """One line per field, and per entry of a list of arrays: small files, readable diffs."""
    def line(v):
        return json.dumps(v, separators=(", ", ": "))
    fields = []
    for k, v in doc.items():
        if isinstance(v, list) and v and all(isinstance(e, dict) for e in v):
            v = "[\n" + ",\n".join("    " + line(e) for e in v) + "\n  ]"
        else:
            v = line(v)
        fields.append(f"  {json.dumps(k)}: {v}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def load_case(name):
    with open(os.path.join(GOLDEN, name + ".json")) as f:
        return json.load(f)


def case_weights(layer):
    return [np.array(w["data"], dtype=np.float32).reshape(w["shape"]) for w in (layer["weights"] or [])]


def case_inputs(case):
    dtype = np.int32 if case["layers"][0]["class_name"] == "Embedding" else np.float32
    return np.array(case["inputs"]["data"], dtype=dtype).reshape(case["inputs"]["shape"])


def case_outputs(case):
    return [np.array(o["data"], dtype=np.float64).reshape(o["shape"]) for o in case["outputs"]]


def describe_rnn(class_name, cfg):
    args = [str(cfg["units"])]
    if class_name == "GRU":
        args.append(f"reset_after={cfg.get('reset_after', True)}")
    if cfg.get("activation", "tanh") != "tanh":
        args.append(f"activation={cfg['activation']}")
    if class_name != "SimpleRNN" and cfg.get("recurrent_activation", "sigmoid") != "sigmoid":
        args.append(f"recurrent_activation={cfg['recurrent_activation']}")
    if not cfg.get("use_bias", True):
        args.append("use_bias=False")
    for flag in ("return_sequences", "return_state", "go_backwards"):
        if cfg.get(flag, False):
            args.append(flag)
    return f"{class_name}({', '.join(args)})"


def describe_stack(case):
    """A one-line summary of a conformance case's stack, from its configs."""
    parts = []
    for i, layer in enumerate(case["layers"]):
        cls, cfg = layer["class_name"], layer["config"]
        if cls == "Bidirectional":
            f, b = cfg["layer"], cfg.get("backward_layer")
            d = f"Bidirectional({describe_rnn(f['class_name'], f['config'])}"
            if b is not None and not b["config"]["name"].startswith("backward_"):
                d += f", backward_layer={describe_rnn(b['class_name'], b['config'])} named '{b['config']['name']}'"
            d += f", merge_mode={cfg.get('merge_mode')!r})"
        elif cls in ("LSTM", "GRU", "SimpleRNN"):
            d = describe_rnn(cls, cfg)
        elif cls == "Embedding":
            d = f"Embedding({cfg['input_dim']}, {cfg['output_dim']}{', mask_zero' if cfg.get('mask_zero') else ''})"
        elif cls == "Masking":
            d = f"Masking({cfg.get('mask_value', 0.0)})"
        elif cls == "Dense":
            d = f"Dense({cfg['units']}{', ' + cfg['activation'] if cfg.get('activation', 'linear') != 'linear' else ''})"
        else:
            d = cls
        parts.append(d)
    shape = case["layers"][0]["build_config"]["input_shape"][1:]
    return f"input {shape} -> " + " -> ".join(parts)


def max_err(a_list, b_list):
    if len(a_list) != len(b_list) or any(np.shape(a) != np.shape(b) for a, b in zip(a_list, b_list)):
        return float("inf")
    return max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
               if np.asarray(a).size else 0.0 for a, b in zip(a_list, b_list))


def within(actual, expected, tol):
    if len(actual) != len(expected):
        return False
    for a, e in zip(actual, expected):
        a = np.asarray(a, np.float64)
        e = np.asarray(e, np.float64)
        if a.shape != e.shape or np.any(np.abs(a - e) > tol["atol"] + tol["rtol"] * np.abs(e)):
            return False
    return True


# ----------------------------------------------------------------------------------------
# Float64 NumPy reference of the Keras rules (tests/data/keras README), on Keras 3 configs
# ----------------------------------------------------------------------------------------


def act(name, hard_sigmoid="keras3"):
    if name in (None, "linear"):
        return lambda x: x
    if name == "tanh":
        return np.tanh
    if name == "sigmoid":
        return lambda x: 1.0 / (1.0 + np.exp(-x))
    if name == "relu":
        return lambda x: np.maximum(x, 0.0)
    if name == "softmax":
        def softmax(x):
            e = np.exp(x - np.max(x, axis=-1, keepdims=True))
            return e / np.sum(e, axis=-1, keepdims=True)
        return softmax
    if name == "hard_sigmoid":
        if hard_sigmoid == "keras2":  # tf_keras backend.hard_sigmoid: clip(0.2 x + 0.5)
            return lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)
        return lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0)  # Keras 3
    raise ValueError(name)


def n_rnn_weights(cfg):
    return 3 if cfg.get("use_bias", True) else 2


def ref_rnn(class_name, cfg, weights, x, mask, hs="keras3", zero_output_for_mask=None):
    """One SimpleRNN/LSTM/GRU layer as Keras 3 runs it. Returns (output, states)."""
    w = [np.asarray(v, np.float64) for v in weights]
    kernel, rec = w[0], w[1]
    bias = w[2] if len(w) > 2 else None
    units = cfg["units"]
    a = act(cfg.get("activation", "tanh"), hs)
    ra = act(cfg.get("recurrent_activation", "sigmoid"), hs)
    batch, steps = x.shape[0], x.shape[1]
    if class_name == "LSTM":
        states = [np.zeros((batch, units)), np.zeros((batch, units))]
    else:
        states = [np.zeros((batch, units))]
    zofm = cfg.get("zero_output_for_mask", False) if zero_output_for_mask is None else zero_output_for_mask
    order = range(steps - 1, -1, -1) if cfg.get("go_backwards", False) else range(steps)
    outs = []
    for t in order:
        xt = x[:, t, :]
        h = states[0]
        if class_name == "SimpleRNN":
            z = xt @ kernel + h @ rec
            if bias is not None:
                z = z + bias
            new = [a(z)]
            out = new[0]
        elif class_name == "LSTM":
            c = states[1]
            z = xt @ kernel + h @ rec
            if bias is not None:
                z = z + bias
            i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
            c2 = ra(f) * c + ra(i) * a(g)
            h2 = ra(o) * a(c2)
            new = [h2, c2]
            out = h2
        elif class_name == "GRU":
            reset_after = cfg.get("reset_after", True)
            mx = xt @ kernel
            if bias is not None:
                mx = mx + (bias[0] if reset_after else bias)
            xz, xr, xh = (mx[:, k * units:(k + 1) * units] for k in range(3))
            if reset_after:
                inner = h @ rec
                if bias is not None:
                    inner = inner + bias[1]
                rz, rr, rh = (inner[:, k * units:(k + 1) * units] for k in range(3))
                zg, rg = ra(xz + rz), ra(xr + rr)
                hh = a(xh + rg * rh)
            else:
                inner = h @ rec[:, :2 * units]
                rz, rr = inner[:, :units], inner[:, units:]
                zg, rg = ra(xz + rz), ra(xr + rr)
                hh = a(xh + (rg * h) @ rec[:, 2 * units:])
            h2 = zg * h + (1.0 - zg) * hh
            new = [h2]
            out = h2
        else:
            raise ValueError(class_name)
        if mask is not None:
            m = mask[:, t].astype(bool)[:, None]
            out = np.where(m, out, 0.0 if zofm else states[0])
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        states = new
        outs.append(out)
    seq = np.stack(outs, axis=1)  # processing order (reversed for go_backwards), as Keras returns
    output = seq if cfg.get("return_sequences", False) else outs[-1]
    return output, states


def ref_bidirectional(cfg, weights, x, mask, hs="keras3"):
    fcfg = cfg["layer"]["config"]
    bcls = cfg.get("backward_layer", cfg["layer"])["class_name"]
    if "backward_layer" in cfg:
        bcfg = dict(cfg["backward_layer"]["config"])
    else:
        bcfg = dict(fcfg, go_backwards=not fcfg.get("go_backwards", False))
    fcls = cfg["layer"]["class_name"]
    nf = n_rnn_weights(fcfg)
    seq = fcfg.get("return_sequences", False)
    fo, fs = ref_rnn(fcls, fcfg, weights[:nf], x, mask, hs, zero_output_for_mask=seq)
    bo, bs = ref_rnn(bcls, bcfg, weights[nf:], x, mask, hs, zero_output_for_mask=seq)
    if seq:
        bo = bo[:, ::-1, :]
    mode = cfg.get("merge_mode", "concat")
    if mode == "concat":
        outs = [np.concatenate([fo, bo], axis=-1)]
    elif mode == "sum":
        outs = [fo + bo]
    elif mode == "mul":
        outs = [fo * bo]
    elif mode == "ave":
        outs = [(fo + bo) / 2.0]
    elif mode is None:
        outs = [fo, bo]
    else:
        raise ValueError(mode)
    if fcfg.get("return_state", False):
        outs = outs + fs + bs
    return outs


def ref_dense(cfg, weights, x, hs="keras3"):
    y = np.asarray(x, np.float64) @ np.asarray(weights[0], np.float64)
    if cfg.get("use_bias", True):
        y = y + np.asarray(weights[1], np.float64)
    return act(cfg.get("activation", "linear"), hs)(y)


def ref_stack(layers, x, hs="keras3"):
    """A Sequential stack of conformance-case layers (Keras 3 configs, get_weights order)."""
    mask = None
    cur = [np.asarray(x)]
    for layer in layers:
        cls, cfg, w = layer["class_name"], layer["config"], case_weights(layer)
        x = cur[0]
        if cls == "Embedding":
            ids = np.asarray(x, np.int64)
            cur = [np.asarray(w[0], np.float64)[ids]]
            mask = (ids != 0) if cfg.get("mask_zero", False) else None
        elif cls == "Masking":
            x = np.asarray(x, np.float64)
            mask = np.any(x != cfg.get("mask_value", 0.0), axis=-1)
            cur = [x * mask[..., None]]
        elif cls in ("LSTM", "GRU", "SimpleRNN"):
            o, s = ref_rnn(cls, cfg, w, np.asarray(x, np.float64), mask, hs)
            cur = [o] + (s if cfg.get("return_state", False) else [])
            mask = mask if cfg.get("return_sequences", False) else None
        elif cls == "Bidirectional":
            cur = ref_bidirectional(cfg, w, np.asarray(x, np.float64), mask, hs)
            mask = mask if cfg["layer"]["config"].get("return_sequences", False) else None
        elif cls == "Dense":
            cur = [ref_dense(cfg, w, x, hs)]
        else:
            raise ValueError(cls)
    return cur


# ----------------------------------------------------------------------------------------
# Which fixtures
# ----------------------------------------------------------------------------------------

# Keras 3 fixtures from conformance cases: (slug, case, formats, what the file exercises)
K3_CASES = [
    ("bidi_lstm_concat", "bidi_lstm_concat_seq1_state0", ["keras3_zip", "keras3_weights_h5", "keras3_legacy_h5"],
     "LSTM, merge concat; the one model in all three Keras 3 formats"),
    ("bidi_gru_ave", "bidi_gru_ave_seq1_state0", ["keras3_zip"],
     "GRU reset_after=True (bias [2, 3 * units]), merge ave"),
    ("bidi_gru_rb_sum", "bidi_gru_rb_sum_seq0_state0", ["keras3_zip"],
     "GRU reset_after=False (bias [3 * units]), last output only, merge sum"),
    ("bidi_simplernn_mul", "bidi_simplernn_tanh_mul_seq1_state0", ["keras3_zip"],
     "SimpleRNN, merge mul"),
    ("bidi_lstm_none_state", "bidi_lstm_none_seq1_state1", ["keras3_zip"],
     "merge_mode None with return_state: 6 outputs (forward_output, backward_output, forward_h, forward_c, "
     "backward_h, backward_c)"),
    ("backlayer_lstm_gru", "backlayer_lstm_gru_concat_seq1", ["keras3_zip"],
     "a backward_layer of another type (GRU after an LSTM), keeping its own name"),
    ("tagger", "model_tagger_0_maskzero1_concat", ["keras3_zip", "keras3_weights_h5", "keras3_legacy_h5"],
     "Embedding(mask_zero) + Bidirectional + Dense model, right padding; in all three Keras 3 formats"),
    ("masking_gru", "model_masking_gru_0_right_concat", ["keras3_zip"],
     "Masking (a layer without weights) + Bidirectional(GRU) + Dense, right padding"),
    ("bidi_lstm_hardsig", "bidi_lstm_hardsig_concat_seq1_state0", ["keras3_zip"],
     "recurrent_activation hard_sigmoid, which in Keras 3 is clip(x / 6 + 0.5, 0, 1)"),
    ("imdb_stacked_left", "model_imdb_0_left", ["keras3_zip"],
     "two stacked Bidirectional layers (store paths bidirectional, bidirectional_1), left padding: the mask passes "
     "through the first Bidirectional"),
    ("single_lstm_back", "single_lstm_seq1_state0_back1", ["keras3_zip"],
     "an RNN layer not wrapped in Bidirectional, go_backwards: output in reversed time order"),
]

FORMAT_PREFIX = {"keras3_zip": "k3", "keras3_weights_h5": "k3w", "keras3_legacy_h5": "k3h5",
                 "tf_keras2_h5": "tf2", "tf_keras2_weights_h5": "tf2w"}
FORMAT_EXT = {"keras3_zip": ".keras", "keras3_weights_h5": ".weights.h5", "keras3_legacy_h5": ".h5",
              "tf_keras2_h5": ".h5", "tf_keras2_weights_h5": ".h5"}


def functional_specs():
    """Two Functional models with seeded weights; expected = Keras predict."""
    rng = np.random.default_rng(20260803)

    def u(*shape):
        return rng.uniform(-0.6, 0.6, size=shape).astype(np.float32)

    f1_inputs = [rng.standard_normal((2, 5, 3)).astype(np.float32),
                 rng.standard_normal((2, 5, 2)).astype(np.float32)]
    f1_weights = {
        # Bidirectional(GRU(3, reset_after=True)) on 5 features: forward, backward
        "bidirectional": [u(5, 9), u(3, 9), u(2, 9), u(5, 9), u(3, 9), u(2, 9)],
        "dense": [u(3, 2), u(2)],
    }
    f2_inputs = [rng.standard_normal((2, 6, 4)).astype(np.float32)]
    f2_weights = {
        "time_distributed": [u(4, 4), u(4)],
        "bidirectional": [u(4, 12), u(3, 12), u(12), u(4, 12), u(3, 12), u(12)],
        "dense": [u(6, 2), u(2)],
    }
    return [
        {"slug": "func_two_inputs", "builder": "func_two_inputs", "inputs": f1_inputs, "weights": f1_weights,
         "description": "Functional: Input a [5, 3] and Input b [5, 2] -> Concatenate(axis=-1) -> "
                        "Bidirectional(GRU(3, reset_after=True), merge sum) -> Dense(2)"},
        {"slug": "func_td_dropout_gap", "builder": "func_td_dropout_gap", "inputs": f2_inputs, "weights": f2_weights,
         "description": "Functional: Input [6, 4] -> TimeDistributed(Dense(4, tanh)) -> Dropout(0.25) -> "
                        "Bidirectional(LSTM(3, return_sequences)) concat -> GlobalAveragePooling1D -> Dense(2, softmax)"},
    ]


def ref_functional(spec):
    w = {k: [np.asarray(v, np.float64) for v in vs] for k, vs in spec["weights"].items()}
    if spec["builder"] == "func_two_inputs":
        a, b = (np.asarray(v, np.float64) for v in spec["inputs"])
        x = np.concatenate([a, b], axis=-1)
        g = {"units": 3, "reset_after": True, "return_sequences": False}
        bcfg = {"layer": {"class_name": "GRU", "config": g},
                "backward_layer": {"class_name": "GRU", "config": dict(g, go_backwards=True)},
                "merge_mode": "sum"}
        y = ref_bidirectional(bcfg, w["bidirectional"], x, None)[0]
        return [ref_dense({"activation": "linear"}, w["dense"], y)]
    if spec["builder"] == "func_td_dropout_gap":
        x = np.asarray(spec["inputs"][0], np.float64)
        x = ref_dense({"activation": "tanh"}, w["time_distributed"], x)  # Dropout: identity in predict
        l_cfg = {"units": 3, "return_sequences": True}
        bcfg = {"layer": {"class_name": "LSTM", "config": l_cfg},
                "backward_layer": {"class_name": "LSTM", "config": dict(l_cfg, go_backwards=True)},
                "merge_mode": "concat"}
        y = ref_bidirectional(bcfg, w["bidirectional"], x, None)[0]
        y = y.mean(axis=1)
        return [ref_dense({"activation": "softmax"}, w["dense"], y)]
    raise ValueError(spec["builder"])


# ----------------------------------------------------------------------------------------
# Worker: runs inside the child process that imports the real Keras 3
# ----------------------------------------------------------------------------------------


def worker(plan_path, result_path):
    import keras  # noqa: E402  (PYTHONPATH and KERAS_BACKEND are set by the parent)

    with open(plan_path) as f:
        plan = json.load(f)
    results = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "items": {}}

    def to_list(y):
        return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]

    def build_case(case, with_weights=True, recurrent_activation=None):
        keras.backend.clear_session()  # fresh name counters: the model is "sequential"
        layers_cfg = case["layers"]
        first = layers_cfg[0]
        dtype = "int32" if first["class_name"] == "Embedding" else "float32"
        ishape = tuple(first["build_config"]["input_shape"][1:])
        layers = []
        for lc in layers_cfg:
            cfg = json.loads(json.dumps(lc["config"]))
            layer = keras.layers.deserialize({"module": "keras.layers", "class_name": lc["class_name"], "config": cfg})
            if recurrent_activation is not None and lc["class_name"] == "Bidirectional":
                for sub in (layer.forward_layer, layer.backward_layer):
                    sub.cell.recurrent_activation = recurrent_activation
            layers.append(layer)
        model = keras.Sequential([keras.Input(ishape, dtype=dtype)] + layers)
        if with_weights:
            for layer, lc in zip(layers, layers_cfg):
                if lc["weights"]:
                    layer.set_weights(case_weights(lc))
        return model

    def build_functional(spec, with_weights=True):
        keras.backend.clear_session()
        L = keras.layers
        if spec["builder"] == "func_two_inputs":
            a = keras.Input((5, 3), name="a")
            b = keras.Input((5, 2), name="b")
            x = L.Concatenate(axis=-1, name="concatenate")([a, b])
            x = L.Bidirectional(L.GRU(3, reset_after=True), merge_mode="sum", name="bidirectional")(x)
            y = L.Dense(2, name="dense")(x)
            model = keras.Model([a, b], y, name="two_inputs")
        else:
            a = keras.Input((6, 4), name="x")
            x = L.TimeDistributed(L.Dense(4, activation="tanh"), name="time_distributed")(a)
            x = L.Dropout(0.25, seed=1, name="dropout")(x)
            x = L.Bidirectional(L.LSTM(3, return_sequences=True), name="bidirectional")(x)
            x = L.GlobalAveragePooling1D(name="global_average_pooling1d")(x)
            y = L.Dense(2, activation="softmax", name="dense")(x)
            model = keras.Model(a, y, name="td_dropout_gap")
        if with_weights:
            for lname, ws in spec["weights"].items():
                model.get_layer(lname).set_weights([np.asarray(v, np.float32) for v in ws])
        return model

    def inputs_of(item):
        xs = [np.asarray(v, dtype=item.get("input_dtype", "float32")) for v in item["inputs"]]
        return xs if len(xs) > 1 else xs[0]

    for item in plan["build"]:
        if item["builder"] == "case":
            case = load_case(item["case"])
            model = build_case(case)
        else:
            model = build_functional(item)
        x = inputs_of(item)
        out = {"predict": [v.tolist() for v in to_list(model.predict(x, verbose=0))]}
        for fmt, path in item["saves"]:
            if fmt == "keras3_zip":
                model.save(path)
            elif fmt == "keras3_legacy_h5":
                model.save(path)
            elif fmt == "keras3_weights_h5":
                model.save_weights(path)
        results["items"][item["id"]] = out

    for item in plan.get("custom_activation", []):
        case = load_case(item["case"])
        fn = keras.ops.hard_sigmoid if item["activation"] == "keras3" else (
            lambda t: keras.ops.clip(0.2 * t + 0.5, 0.0, 1.0))
        model = build_case(case, recurrent_activation=fn)
        results["items"][item["id"]] = {
            "predict": [v.tolist() for v in to_list(model.predict(inputs_of(item), verbose=0))]}

    for item in plan.get("load", []):
        res = {}
        attempts = ["plain"] + (["weights_into_case_model"] if item.get("also_weights") else [])
        for attempt in attempts:
            try:
                if item["how"] == "load_model" and attempt == "plain":
                    keras.backend.clear_session()
                    model = keras.saving.load_model(item["path"], compile=False)
                else:  # build from the (Keras 3) config, then load the weights by layer order
                    if item["builder"] == "case":
                        model = build_case(load_case(item["case"]), with_weights=False)
                    else:
                        model = build_functional(item, with_weights=False)
                    model.load_weights(item["path"])
                res[attempt] = {"predict": [v.tolist() for v in to_list(model.predict(inputs_of(item), verbose=0))]}
            except Exception as e:  # recorded, not hidden
                res[attempt] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"}
        results["items"][item["id"]] = res

    with open(result_path, "w") as f:
        json.dump(results, f)


def run_worker(plan, scratch, keras_src, tag):
    plan_path = os.path.join(scratch, f"plan_{tag}.json")
    result_path = os.path.join(scratch, f"result_{tag}.json")
    with open(plan_path, "w") as f:
        json.dump(plan, f)
    env = dict(os.environ)
    env.update({
        "KERAS_BACKEND": "numpy",
        "KERAS_HOME": os.path.join(scratch, "keras_home"),
        "PYTHONPATH": keras_src + os.pathsep + os.path.join(scratch, "shim"),
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    })
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", plan_path, result_path],
                          env=env, cwd=scratch, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"Keras worker ({tag}) failed")
    with open(result_path) as f:
        return json.load(f)


# ----------------------------------------------------------------------------------------
# .keras normalization (see the module docstring)
# ----------------------------------------------------------------------------------------


def normalize_keras_zip(path):
    with open(path, "rb") as f:
        raw = f.read()
    zin = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta["date_saved"] = FIXED_DATE_SAVED
                data = json.dumps(meta).encode()  # saving_lib._serialize_model_as_json: json.dumps
            elif info.filename == "config.json":
                ids = {}

                def renumber(m):
                    ids.setdefault(m.group(1), len(ids) + 1)
                    return f'"shared_object_id": {ids[m.group(1)]}'
                data = re.sub(r'"shared_object_id": (\d+)', renumber, data.decode()).encode()
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            zi.compress_type = info.compress_type
            zi.external_attr = info.external_attr
            zi.create_system = info.create_system
            zout.writestr(zi, data)
    with open(path, "wb") as f:
        f.write(out.getvalue())


# ----------------------------------------------------------------------------------------
# tf.keras 2.x writers (h5py), after tf_keras/saving/legacy/hdf5_format.py @ v2.15.0
# ----------------------------------------------------------------------------------------


class TF2:
    """Config builders in the spelling of tf-keras get_config() methods.

    style "2.15": tf-keras v2.15.0. Top-level layers of a Sequential saved to h5 go
      through legacy_serialization.serialize_keras_object (Sequential.get_config with
      use_legacy_config): {"class_name", "config"}. Inside a config, initializers
      (initializers.serialize) and a wrapper's `layer` / `backward_layer`
      (serialization_lib.serialize_keras_object) are already dicts in the new format
      {"module", "class_name", "config", "registered_name"} and are kept as they are.
    style "2.4": TensorFlow 2.4 / keras v2.6.0: generic_utils.serialize_keras_object
      everywhere, {"class_name", "config"} only.
    """

    def __init__(self, style):
        self.style = style

    def obj(self, module, class_name, config):
        if self.style == "2.15":
            return {"module": module, "class_name": class_name, "config": config, "registered_name": None}
        return {"class_name": class_name, "config": config}

    def init(self, class_name, config):
        return self.obj("keras.initializers", class_name, config)

    def base(self, name, batch_input_shape=None):
        # base_layer.Layer.get_config: name, trainable, dtype (policy.serialize -> "float32"),
        # batch_input_shape when the layer was given input_shape.
        cfg = {"name": name, "trainable": True, "dtype": "float32"}
        if batch_input_shape is not None:
            cfg["batch_input_shape"] = list(batch_input_shape)
        return cfg

    def rnn(self, class_name, name, k3cfg, go_backwards=None, drop_reset_after=False):
        """LSTM / GRU / SimpleRNN get_config (lstm.py, gru.py, simple_rnn.py, base_rnn.py)."""
        c = self.base(name)
        # base_rnn.RNN.get_config: zero_output_for_mask only when True (never for the
        # layer object a user passes to Bidirectional: only its copies are forced).
        c.update({
            "return_sequences": k3cfg.get("return_sequences", False),
            "return_state": k3cfg.get("return_state", False),
            "go_backwards": k3cfg.get("go_backwards", False) if go_backwards is None else go_backwards,
            "stateful": False,
            "unroll": False,
            "time_major": False,
        })
        c["units"] = k3cfg["units"]
        c["activation"] = k3cfg.get("activation", "tanh")
        if class_name != "SimpleRNN":
            c["recurrent_activation"] = k3cfg.get("recurrent_activation", "sigmoid")
        c["use_bias"] = k3cfg.get("use_bias", True)
        c["kernel_initializer"] = self.init("GlorotUniform", {"seed": None})
        c["recurrent_initializer"] = self.init("Orthogonal", {"gain": 1.0, "seed": None})
        c["bias_initializer"] = self.init("Zeros", {})
        if class_name == "LSTM":
            c["unit_forget_bias"] = k3cfg.get("unit_forget_bias", True)
        c.update({"kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
                  "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                  "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0})
        if class_name in ("LSTM", "GRU"):
            c["implementation"] = 2
        if class_name == "GRU" and not drop_reset_after:
            c["reset_after"] = k3cfg.get("reset_after", True)
        return c

    def cudnn_lstm(self, name, k3cfg, go_backwards=None):
        """cudnn_lstm.CuDNNLSTM.get_config (base_cudnn_rnn._CuDNNRNN + CuDNNLSTM)."""
        c = self.base(name)
        c.update({"return_sequences": k3cfg.get("return_sequences", False),
                  "return_state": k3cfg.get("return_state", False),
                  "go_backwards": k3cfg.get("go_backwards", False) if go_backwards is None else go_backwards,
                  "stateful": False, "time_major": False})
        c.update({"units": k3cfg["units"],
                  "kernel_initializer": self.init("GlorotUniform", {"seed": None}),
                  "recurrent_initializer": self.init("Orthogonal", {"gain": 1.0, "seed": None}),
                  "bias_initializer": self.init("Zeros", {}),
                  "unit_forget_bias": True,
                  "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
                  "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                  "bias_constraint": None})
        return c

    def cudnn_gru(self, name, k3cfg, go_backwards=None):
        """cudnn_gru.CuDNNGRU.get_config: _CuDNNRNN's keys (return_sequences, return_state,
        go_backwards, stateful, time_major) after the Layer base, then units, the three
        initializers, four regularizers and three constraints (no unit_forget_bias, activation,
        recurrent_activation, use_bias, dropout, implementation or reset_after)."""
        c = self.cudnn_lstm(name, k3cfg, go_backwards)
        del c["unit_forget_bias"]
        return c

    def bidirectional(self, name, merge_mode, layer_obj, backward_obj=None, batch_input_shape=None):
        # bidirectional.Bidirectional.get_config: Layer base, then Wrapper's "layer",
        # then "merge_mode", then "backward_layer" when one was given.
        c = self.base(name, batch_input_shape)
        c["layer"] = layer_obj
        c["merge_mode"] = merge_mode
        if backward_obj is not None:
            c["backward_layer"] = backward_obj
        return c

    def dense(self, name, k3cfg):
        c = self.base(name)
        c.update({"units": k3cfg["units"], "activation": k3cfg.get("activation", "linear"),
                  "use_bias": k3cfg.get("use_bias", True),
                  "kernel_initializer": self.init("GlorotUniform", {"seed": None}),
                  "bias_initializer": self.init("Zeros", {}),
                  "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                  "kernel_constraint": None, "bias_constraint": None})
        return c

    def embedding(self, name, k3cfg, batch_input_shape=None):
        c = self.base(name, batch_input_shape)
        c.update({"input_dim": k3cfg["input_dim"], "output_dim": k3cfg["output_dim"],
                  "embeddings_initializer": self.init("RandomUniform", {"minval": -0.05, "maxval": 0.05, "seed": None}),
                  "embeddings_regularizer": None, "activity_regularizer": None, "embeddings_constraint": None,
                  "mask_zero": k3cfg.get("mask_zero", False),
                  "input_length": None})
        return c

    def masking(self, name, k3cfg):
        c = self.base(name)
        c["mask_value"] = k3cfg.get("mask_value", 0.0)
        return c

    @staticmethod
    def input_layer(name, batch_input_shape, dtype="float32"):
        # input_layer.InputLayer.get_config (v2.15.0 and v2.6.0: no "optional" yet)
        return {"class_name": "InputLayer",
                "config": {"batch_input_shape": list(batch_input_shape), "dtype": dtype,
                           "sparse": False, "ragged": False, "name": name}}

    def concatenate(self, name, axis=-1):
        # merging/concatenate.py Concatenate.get_config: the Layer base (base_merge._Merge adds
        # nothing), then "axis".
        c = self.base(name)
        c["axis"] = axis
        return c

    @staticmethod
    def node(layer, inbound=None):
        """One entry of a Functional config's "layers" (functional.py get_network_config):
        the legacy {"class_name", "config"}, then "name", then "inbound_nodes". An InputLayer's
        only node is an input node (skipped: []); a layer called once on `inbound` (a layer name,
        or a list of names for a list argument) has one node, Node.serialize: each tensor of the
        first call argument as [layer name, node_index, tensor_index, kwargs] (kwargs {}: no
        other call arguments; `training` and an implicit `mask` are popped by
        base_layer._functional_construction_call before the node is made), a single tensor
        wrapped in a list."""
        entry = dict(layer, name=layer["config"]["name"])
        if inbound is None:
            entry["inbound_nodes"] = []
        else:
            data = [[n, 0, 0, {}] for n in inbound] if isinstance(inbound, list) else [[inbound, 0, 0, {}]]
            entry["inbound_nodes"] = [data]
        return entry

    @staticmethod
    def functional(name, layers, input_layers, output_layers):
        # functional.py Functional.get_config: {"name", "trainable"}, then get_network_config adds
        # "name" (again, same place), "layers", "input_layers", "output_layers" ([layer, node_index,
        # tensor_index] per model input / output; a list even for one); saving_utils.model_metadata
        # wraps it as {"class_name": "Functional", "config"}.
        return {"class_name": "Functional", "config": {
            "name": name, "trainable": True, "layers": layers,
            "input_layers": [[n, 0, 0] for n in input_layers],
            "output_layers": [[n, 0, 0] for n in output_layers]}}

    @staticmethod
    def sequential(name, layers):
        # sequential.Sequential.get_config: Model.get_config() is {} for Sequential, then
        # "name", then "layers" (super().layers: the InputLayer first);
        # saving_utils.model_metadata wraps it as {"class_name", "config"}.
        return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


def adam_training_config(style="2.15"):
    # saving_utils.model_metadata: model._get_compile_args(user_metrics=False) without
    # "optimizer", through _serialize_nested_config, plus "optimizer_config"
    # {"class_name": get_registered_name(Adam), "config": Adam.get_config()}
    # (optimizer.py Optimizer.get_config + adam.py; learning_rate read back from a float32
    # variable).
    return {"loss": "mse", "metrics": None, "weighted_metrics": None, "loss_weights": None,
            "optimizer_config": {"class_name": "Adam", "config": {
                "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                "clipvalue": None, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                "jit_compile": True, "is_legacy_optimizer": False,
                "learning_rate": float(np.float32(0.001)), "beta_1": 0.9, "beta_2": 0.999,
                "epsilon": 1e-07, "amsgrad": False}}}


def h5_str_attr(group, name, value, h5py2=False):
    """`attrs[name] = value` as the writer's h5py stored it (h5py/_hl/base.py guess_dtype and
    _hl/attrs.py create, tags 2.10.0 and 3.0.0 of github.com/h5py/h5py).

    h5py >= 3.0 (tf-keras 2.15 era, Keras 3): a str -> variable-length UTF-8; bytes, and lists
    of bytes, -> variable-length ASCII (guess_dtype looks at the items). h5py 2.10 (TF <= 2.4):
    str -> variable-length UTF-8, bytes -> variable-length ASCII, but a list of bytes is left
    to numpy.asarray -> dtype 'S<longest>' -> fixed-length, null-padded ASCII array.
    """
    if h5py2 and isinstance(value, list) and value and isinstance(value[0], bytes):
        value = np.array(value)  # dtype S<max>
    group.attrs[name] = value


def save_attributes_to_hdf5_group(group, name, data, h5py2=False):
    """hdf5_format.save_attributes_to_hdf5_group (no chunking needed for these sizes)."""
    data_npy = np.asarray(data)
    assert data_npy.nbytes < 64512
    if not data:
        group.attrs[name] = data  # np.asarray([]) -> float64, shape (0,)
    else:
        h5_str_attr(group, name, data, h5py2)


def save_subset_weights_to_hdf5_group(group, named_weights, h5py2=False):
    """hdf5_format.save_subset_weights_to_hdf5_group: `weight_names` attribute, then one
    dataset per weight, created by its full TF variable name (its '/' make subgroups)."""
    weight_names = [n.encode("utf8") for n, _ in named_weights]
    save_attributes_to_hdf5_group(group, "weight_names", weight_names, h5py2)
    for name, (_, val) in zip(weight_names, named_weights):
        val = np.asarray(val)
        ds = group.create_dataset(name, val.shape, dtype=val.dtype)
        if not val.shape:
            ds[()] = val
        else:
            ds[:] = val


def save_weights_to_hdf5_group(f, layers, keras_version, h5py2=False, top_level=True):
    """hdf5_format.save_weights_to_hdf5_group. `layers`: [(layer name, [(weight name, value)])]
    in model.layers order (InputLayer excluded)."""
    save_attributes_to_hdf5_group(f, "layer_names", [n.encode("utf8") for n, _ in layers], h5py2)
    h5_str_attr(f, "backend", "tensorflow".encode("utf8"), h5py2)
    h5_str_attr(f, "keras_version", str(keras_version).encode("utf8"), h5py2)
    for lname, weights in sorted(layers, key=lambda t: t[0]):  # sorted by layer name
        g = f.create_group(lname)
        save_subset_weights_to_hdf5_group(g, weights, h5py2)
    if top_level:  # added in keras 2.7 (absent from v2.6.0 / TF 2.4)
        g = f.create_group("top_level_model_weights")
        save_subset_weights_to_hdf5_group(g, [], h5py2)


def save_model_to_hdf5(path, model_config, layers, keras_version, training_config=None,
                       optimizer_weights=None, h5py2=False, top_level=True):
    """hdf5_format.save_model_to_hdf5: root attributes from saving_utils.model_metadata
    (keras_version, backend as str; model_config, training_config as json.dumps(...)
    .encode("utf8")), group model_weights, then optimizer_weights."""
    import h5py
    with h5py.File(path, "w") as f:
        metadata = {"keras_version": str(keras_version), "backend": "tensorflow", "model_config": model_config}
        if training_config is not None:
            metadata["training_config"] = training_config
        for k, v in metadata.items():
            if isinstance(v, (dict, list, tuple)):
                h5_str_attr(f, k, json.dumps(v).encode("utf8"), h5py2)
            else:
                h5_str_attr(f, k, v, h5py2)
        g = f.create_group("model_weights")
        save_weights_to_hdf5_group(g, layers, keras_version, h5py2, top_level)
        if optimizer_weights:
            # save_optimizer_weights_to_hdf5_group
            og = f.create_group("optimizer_weights")
            save_subset_weights_to_hdf5_group(og, optimizer_weights, h5py2)
        f.flush()


def save_weights_only_h5(path, layers, keras_version, h5py2=False, top_level=True):
    """legacy save.save_weights(filepath.h5): h5py.File(w) + save_weights_to_hdf5_group."""
    import h5py
    with h5py.File(path, "w") as f:
        save_weights_to_hdf5_group(f, layers, keras_version, h5py2, top_level)


def to_cudnn_lstm(weights):
    """LSTM [kernel, recurrent_kernel, bias] -> CuDNNLSTM's own variables.

    The inverse of hdf5_format._convert_rnn_weights (source "CuDNNLSTM" -> target "LSTM"):
    that converts each gate's input kernel k [input, units] with
    k.T.reshape(k.shape, order="F"), each gate's recurrent kernel with k.T, and sums the two
    halves of the [8 * units] bias. (CuDNNLSTM hands each gate block, C-order flattened,
    straight to cuDNN, which reads it as a row-major [units, input] matrix; see
    gru_lstm_utils.canonical_to_params.) The bias is split unevenly here (input half + a
    recurrent half of multiples of 1/16), as a trained cuDNN layer's would be.
    """
    k, r, b = (np.asarray(w, np.float32) for w in weights)
    units = r.shape[0]
    kc = np.hstack([g.T.reshape(g.shape, order="C") for g in np.hsplit(k, 4)])
    rc = np.hstack([g.T for g in np.hsplit(r, 4)])
    rng = np.random.default_rng(8 * units)
    b_rec = (rng.integers(-4, 5, size=b.shape) / 16.0).astype(np.float32)
    b_in = (b - b_rec).astype(np.float32)
    bad = (b_in + b_rec) != b
    b_rec[bad] = 0.0
    b_in[bad] = b[bad]
    bc = np.concatenate([b_in, b_rec]).astype(np.float32)
    # round trip through tf-keras's own conversion
    back_k = np.hstack([g.T.reshape(g.shape, order="F") for g in np.hsplit(kc, 4)])
    back_r = np.hstack([g.T for g in np.hsplit(rc, 4)])
    back_b = np.sum(np.split(bc, 2, axis=0), axis=0)
    assert np.array_equal(back_k, k) and np.array_equal(back_r, r) and np.array_equal(back_b, b)
    return [kc, rc, bc]


def to_cudnn_gru(weights):
    """GRU(reset_after=True) [kernel, recurrent_kernel, bias [2, 3 * units]] -> CuDNNGRU's variables.

    The inverse of hdf5_format._convert_rnn_weights (source "CuDNNGRU" -> target
    "GRU(reset_after=True)", convert_gru_weights(from_cudnn=True)): that converts each gate's
    input kernel k [input, units] with k.T.reshape(k.shape, order="F"), each gate's recurrent
    kernel with k.T, and reshapes the [6 * units] bias to [2, 3 * units] (row 0 input biases,
    row 1 recurrent biases, gates z, r, h in both). CuDNNGRU.build makes kernel [input, 3 * units],
    recurrent_kernel [units, 3 * units], bias [6 * units]; _process_batch hands cuDNN the gate
    blocks in cuDNN's order r, z, h (canonical_to_params), the same maths as GRU(reset_after=True)
    with tanh / sigmoid. Unlike LSTM there is no bias split to choose: both halves are GRU's.
    """
    k, r, b = (np.asarray(w, np.float32) for w in weights)
    assert b.shape == (2, r.shape[1]), "CuDNNGRU is GRU(reset_after=True): bias [2, 3 * units]"
    kc = np.hstack([g.T.reshape(g.shape, order="C") for g in np.hsplit(k, 3)])
    rc = np.hstack([g.T for g in np.hsplit(r, 3)])
    bc = b.reshape(-1).astype(np.float32)
    # round trip through tf-keras's own conversion
    back_k = np.hstack([g.T.reshape(g.shape, order="F") for g in np.hsplit(kc, 3)])
    back_r = np.hstack([g.T for g in np.hsplit(rc, 3)])
    back_b = np.array(bc).reshape((2, -1))
    assert np.array_equal(back_k, k) and np.array_equal(back_r, r) and np.array_equal(back_b, b)
    return [kc, rc, bc]


def tf2_fixtures():
    """The tf.keras 2.x files: each returns a dict describing how to write it."""
    out = []

    # T1: first model of a session, trained with Adam: training_config + full optimizer_weights.
    case = load_case("bidi_lstm_concat_seq1_state0")
    L = case["layers"][0]
    t = TF2("2.15")
    fw = L["config"]["layer"]["config"]
    shape = L["build_config"]["input_shape"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", shape),
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "concat", t.obj("keras.layers", "LSTM", t.rnn("LSTM", "lstm", fw)))}])
    w = case_weights(L)
    names = ["bidirectional/forward_lstm/lstm_cell_1/kernel:0", "bidirectional/forward_lstm/lstm_cell_1/recurrent_kernel:0",
             "bidirectional/forward_lstm/lstm_cell_1/bias:0", "bidirectional/backward_lstm/lstm_cell_2/kernel:0",
             "bidirectional/backward_lstm/lstm_cell_2/recurrent_kernel:0", "bidirectional/backward_lstm/lstm_cell_2/bias:0"]
    rng = np.random.default_rng(7)
    opt = [("iteration:0", np.int64(12))]
    for n, v in zip(names, w):
        base = n[:-2]
        opt.append((f"Adam/m/{base}:0", (rng.standard_normal(v.shape) * 1e-3).astype(np.float32)))
        opt.append((f"Adam/v/{base}:0", (rng.random(v.shape) * 1e-6).astype(np.float32)))
    out.append({"slug": "bidi_lstm_concat", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": [("bidirectional", list(zip(names, w)))],
                "training_config": adam_training_config(), "optimizer_weights": opt,
                "description": "tf.keras 2.15 Sequential([Input, Bidirectional(LSTM)]) compiled with Adam and trained: "
                               "training_config and optimizer_weights (iteration + Adam m/v) present",
                "notes": "Weights under model_weights/bidirectional/bidirectional/forward_lstm/lstm_cell_1/kernel:0: the layer "
                         "name twice, and a cell level lstm_cell_1 / lstm_cell_2 numbered by a session-wide counter (the LSTM "
                         "object given to Bidirectional took lstm_cell, its forward and backward copies _1 and _2). The nested "
                         "`layer` config is the LSTM the user passed (name 'lstm', no zero_output_for_mask key); Bidirectional "
                         "renames its copies forward_lstm / backward_lstm. optimizer_weights holds iteration:0 (int64 scalar) and "
                         "Adam/m/..., Adam/v/... per weight; the loader must skip it and training_config."})

    # T2: the second model of the same session, compiled but not trained; Embedding given input_shape.
    case = load_case("model_tagger_0_maskzero1_concat")
    E, B, D = case["layers"]
    fw = B["config"]["layer"]["config"]
    cfg = TF2.sequential("sequential_1", [
        TF2.input_layer("embedding_1_input", [None, case["inputs"]["shape"][1]]),
        {"class_name": "Embedding", "config": t.embedding("embedding_1", E["config"], [None, case["inputs"]["shape"][1]])},
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional_1", "concat", t.obj("keras.layers", "LSTM", t.rnn("LSTM", "lstm_1", fw)))},
        {"class_name": "Dense", "config": t.dense("dense_1", D["config"])}])
    bw = case_weights(B)
    layers = [("embedding_1", [("embedding_1/embeddings:0", case_weights(E)[0])]),
              ("bidirectional_1", list(zip(
                  ["bidirectional_1/forward_lstm_1/lstm_cell_4/kernel:0", "bidirectional_1/forward_lstm_1/lstm_cell_4/recurrent_kernel:0",
                   "bidirectional_1/forward_lstm_1/lstm_cell_4/bias:0", "bidirectional_1/backward_lstm_1/lstm_cell_5/kernel:0",
                   "bidirectional_1/backward_lstm_1/lstm_cell_5/recurrent_kernel:0", "bidirectional_1/backward_lstm_1/lstm_cell_5/bias:0"],
                  bw))),
              ("dense_1", list(zip(["dense_1/kernel:0", "dense_1/bias:0"], case_weights(D))))]
    out.append({"slug": "tagger", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": layers,
                "training_config": adam_training_config(), "optimizer_weights": [("iteration:0", np.int64(0))],
                "description": "tf.keras 2.15 Embedding(mask_zero, input_shape given) -> Bidirectional(LSTM) -> Dense, the second "
                               "model built in a session; compiled, not trained",
                "notes": "Layer names carry _1 (embedding_1, bidirectional_1, forward_lstm_1, dense_1) and the cells lstm_cell_4 / "
                         "lstm_cell_5, numbers that match no layer. The InputLayer is the automatic 'embedding_1_input' and the "
                         "Embedding config has batch_input_shape. optimizer_weights holds only iteration:0 (Adam not built yet)."})

    # T3: GRU reset_after=False, explicit.
    case = load_case("bidi_gru_rb_concat_seq1_state0")
    L = case["layers"][0]
    fw = L["config"]["layer"]["config"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", L["build_config"]["input_shape"]),
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "concat", t.obj("keras.layers", "GRU", t.rnn("GRU", "gru", fw)))}])
    names = [f"bidirectional/{d}_gru/gru_cell_{i}/{n}:0" for d, i in (("forward", 1), ("backward", 2))
             for n in ("kernel", "recurrent_kernel", "bias")]
    out.append({"slug": "bidi_gru_rb_concat", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": [("bidirectional", list(zip(names, case_weights(L))))],
                "description": "tf.keras 2.15 Bidirectional(GRU(reset_after=False)), written explicitly; bias [3 * units]",
                "notes": "reset_after false is written explicitly; bias datasets have shape [3 * units]."})

    # T4: GRU config without reset_after.
    case = load_case("bidi_gru_sum_seq1_state0")
    L = case["layers"][0]
    fw = L["config"]["layer"]["config"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", L["build_config"]["input_shape"]),
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "sum", t.obj("keras.layers", "GRU", t.rnn("GRU", "gru", fw, drop_reset_after=True)))}])
    out.append({"slug": "bidi_gru_no_reset_after", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": [("bidirectional", list(zip(names, case_weights(L))))],
                "reset_after_default": {
                    "value": True,
                    "source": "tf-keras v2.15.0 tf_keras/layers/rnn/gru.py: GRU.__init__(..., reset_after=True); the legacy h5 "
                              "loader (hdf5_format.load_model_from_hdf5 -> model_from_config -> GRU.from_config(config) -> "
                              "GRU(**config)) fills a missing key with that default and does not look at keras_version"},
                "description": "tf.keras 2.x Bidirectional(GRU) whose GRU config has no reset_after key",
                "notes": "tf-keras 2.15 itself always writes reset_after; this file stands for configs written by other tools or "
                         "edited by hand. A missing reset_after means True (the tf.keras 2.x GRU default, also Keras 3's), and the "
                         "[2, 9] bias datasets agree. For comparison: tf.compat.v1.keras.layers.GRU (gru_v1.py) and multi-backend "
                         "Keras 2.1.5-2.3.1 defaulted to False, and Keras <= 2.1.4 had no reset_after at all (reset before, bias "
                         "[3 * units]); tf-keras's _convert_rnn_weights raises 'GRU(reset_after=False) is not compatible with "
                         "GRU(reset_after=True)' when the bias shape and the layer disagree, so a loader can tell by the bias "
                         "shape."})

    # T5: TF 2.4 era (h5py 2.10): hard_sigmoid = clip(0.2 x + 0.5).
    case = load_case("bidi_lstm_hardsig_concat_seq1_state0")
    L = case["layers"][0]
    t4 = TF2("2.4")
    fw = L["config"]["layer"]["config"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", L["build_config"]["input_shape"]),
        {"class_name": "Bidirectional", "config": t4.bidirectional(
            "bidirectional", "concat", t4.obj("keras.layers", "LSTM", t4.rnn("LSTM", "lstm", fw)))}])
    names = [f"bidirectional/{d}_lstm/lstm_cell_{i}/{n}:0" for d, i in (("forward", 1), ("backward", 2))
             for n in ("kernel", "recurrent_kernel", "bias")]
    out.append({"slug": "bidi_lstm_hardsig", "case": None, "weights_case": case["name"], "format": "tf_keras2_h5",
                "keras_version": "2.4.0", "h5py2": True, "top_level": False, "hard_sigmoid": "keras2",
                "model_config": cfg, "layers": [("bidirectional", list(zip(names, case_weights(L))))],
                "description": "TensorFlow 2.4 (keras_version 2.4.0, h5py 2.10) Bidirectional(LSTM(recurrent_activation="
                               "'hard_sigmoid')): Keras 2 hard_sigmoid = clip(0.2 x + 0.5, 0, 1)",
                "notes": "Weights of conformance case bidi_lstm_hardsig_concat_seq1_state0, whose outputs use Keras 3's "
                         "hard_sigmoid (x / 6 + 0.5) and so do not apply; the outputs here are the float64 NumPy reference with "
                         "Keras 2's 0.2 x + 0.5 (tf_keras backend.hard_sigmoid). Written as TF 2.4 did: layer_names and "
                         "weight_names are arrays of fixed-length null-padded ASCII strings (h5py 2.10 left a list of bytes "
                         "to numpy: dtype 'S<longest>'); model_config and model_weights' backend / keras_version are "
                         "variable-length ASCII (bytes), root keras_version / backend variable-length UTF-8 (str); "
                         "no top_level_model_weights group; configs fully legacy (no module/registered_name anywhere)."})

    # T6: Bidirectional(CuDNNLSTM).
    case = load_case("bidi_lstm_sum_seq1_state0")
    L = case["layers"][0]
    fw = L["config"]["layer"]["config"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", L["build_config"]["input_shape"]),
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "sum", t.obj("keras.layers", "CuDNNLSTM", t.cudnn_lstm("cu_dnnlstm", fw)))}])
    w = case_weights(L)
    cw = to_cudnn_lstm(w[:3]) + to_cudnn_lstm(w[3:])
    names = [f"bidirectional/{d}_cu_dnnlstm/{n}:0" for d in ("forward", "backward")
             for n in ("kernel", "recurrent_kernel", "bias")]
    out.append({"slug": "bidi_cudnnlstm", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": [("bidirectional", list(zip(names, cw)))],
                "cudnn_layout": {
                    "kernel": "[input, 4 * units], gates i, f, c, o; each gate block k holds the LSTM block K as "
                              "K.T.reshape(K.shape) (C order), i.e. LSTM K = k.T.reshape(k.shape, order='F')",
                    "recurrent_kernel": "[units, 4 * units], gates i, f, c, o; each gate block is the LSTM block transposed",
                    "bias": "[8 * units]: input biases (i, f, c, o) then recurrent biases (i, f, c, o); LSTM bias = "
                            "first half + second half",
                    "source": "tf-keras v2.15.0 tf_keras/layers/rnn/cudnn_lstm.py CuDNNLSTM.build / _process_batch, "
                              "gru_lstm_utils.canonical_to_params, saving/legacy/hdf5_format.py _convert_rnn_weights"},
                "description": "tf.keras 2.15 Bidirectional(tf.compat.v1.keras.layers.CuDNNLSTM): weights in cuDNN layout, bias [8 * units]",
                "notes": "No cell level in the weight names (CuDNNLSTM owns its weights): "
                         "bidirectional/forward_cu_dnnlstm/kernel:0 (default name to_snake_case('CuDNNLSTM') = 'cu_dnnlstm'). "
                         "The weights are those of conformance case bidi_lstm_sum_seq1_state0 converted to the cuDNN layout "
                         "(see cudnn_layout); CuDNNLSTM computes an LSTM with tanh / sigmoid, so that case's outputs apply. "
                         "The config has no activation, recurrent_activation, use_bias, dropout or implementation keys."})

    # T6b: Bidirectional(CuDNNGRU).
    case = load_case("bidi_gru_concat_seq1_state0")
    L = case["layers"][0]
    fw = L["config"]["layer"]["config"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", L["build_config"]["input_shape"]),
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "concat", t.obj("keras.layers", "CuDNNGRU", t.cudnn_gru("cu_dnngru", fw)))}])
    w = case_weights(L)
    cw = to_cudnn_gru(w[:3]) + to_cudnn_gru(w[3:])
    names = [f"bidirectional/{d}_cu_dnngru/{n}:0" for d in ("forward", "backward")
             for n in ("kernel", "recurrent_kernel", "bias")]
    out.append({"slug": "bidi_cudnngru", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": [("bidirectional", list(zip(names, cw)))], "cudnn": "gru",
                "cudnn_layout": {
                    "kernel": "[input, 3 * units], gates z, r, h; each gate block k holds the GRU block K as "
                              "K.T.reshape(K.shape) (C order), i.e. GRU K = k.T.reshape(k.shape, order='F')",
                    "recurrent_kernel": "[units, 3 * units], gates z, r, h; each gate block is the GRU block transposed",
                    "bias": "[6 * units]: input biases (z, r, h) then recurrent biases (z, r, h); GRU(reset_after=True) "
                            "bias [2, 3 * units] = bias.reshape(2, -1)",
                    "source": "tf-keras tf_keras/layers/rnn/cudnn_gru.py CuDNNGRU.build / _process_batch / get_config, "
                              "base_cudnn_rnn.py _CuDNNRNN.get_config, saving/legacy/hdf5_format.py _convert_rnn_weights "
                              "(read at commit 6add81a967a830418b1507ac99ddba2d4e43a62b of github.com/keras-team/tf-keras)"},
                "description": "tf.keras 2.15 Bidirectional(tf.compat.v1.keras.layers.CuDNNGRU): weights in cuDNN layout, bias [6 * units]",
                "notes": "No cell level in the weight names (CuDNNGRU owns its weights): "
                         "bidirectional/forward_cu_dnngru/kernel:0 (default name to_snake_case('CuDNNGRU') = 'cu_dnngru'). "
                         "The weights are those of conformance case bidi_gru_concat_seq1_state0 (GRU reset_after=True) "
                         "converted to the cuDNN layout (see cudnn_layout); CuDNNGRU computes GRU(reset_after=True) with "
                         "tanh / sigmoid, so that case's outputs apply. The config has no activation, recurrent_activation, "
                         "use_bias, dropout, implementation or reset_after keys."})

    # T7: backward_layer of another type.
    case = load_case("backlayer_lstm_gru_concat_seq1")
    L = case["layers"][0]
    fw = L["config"]["layer"]["config"]
    bw = L["config"]["backward_layer"]["config"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", L["build_config"]["input_shape"]),
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "concat", t.obj("keras.layers", "LSTM", t.rnn("LSTM", "lstm", fw)),
            t.obj("keras.layers", "GRU", t.rnn("GRU", "gru", bw)))}])
    names = [f"bidirectional/forward_lstm/lstm_cell_1/{n}:0" for n in ("kernel", "recurrent_kernel", "bias")] + \
            [f"bidirectional/backward_gru/gru_cell/{n}:0" for n in ("kernel", "recurrent_kernel", "bias")]
    out.append({"slug": "backlayer_lstm_gru", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": [("bidirectional", list(zip(names, case_weights(L))))],
                "description": "tf.keras 2.15 Bidirectional(LSTM, backward_layer=GRU(go_backwards))",
                "notes": "backward_layer's config keeps the name the user gave ('gru', serialized before Bidirectional renames "
                         "it), while its weights are under backward_gru/gru_cell (the user's own GRU object is the one used, so "
                         "its cell is the first gru_cell); the forward LSTM is a copy: forward_lstm/lstm_cell_1."})

    # T8: Masking (a layer without weights) + Bidirectional(GRU) + Dense.
    case = load_case("model_masking_gru_0_right_concat")
    M, B, D = case["layers"]
    fw = B["config"]["layer"]["config"]
    shape = M["build_config"]["input_shape"]
    cfg = TF2.sequential("sequential", [
        TF2.input_layer("input_1", shape),
        {"class_name": "Masking", "config": t.masking("masking", M["config"])},
        {"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "concat", t.obj("keras.layers", "GRU", t.rnn("GRU", "gru", fw)))},
        {"class_name": "Dense", "config": t.dense("dense", D["config"])}])
    names = [f"bidirectional/{d}_gru/gru_cell_{i}/{n}:0" for d, i in (("forward", 1), ("backward", 2))
             for n in ("kernel", "recurrent_kernel", "bias")]
    layers = [("masking", []), ("bidirectional", list(zip(names, case_weights(B)))),
              ("dense", list(zip(["dense/kernel:0", "dense/bias:0"], case_weights(D))))]
    out.append({"slug": "masking_gru", "case": case["name"], "format": "tf_keras2_h5", "keras_version": "2.15.0",
                "model_config": cfg, "layers": layers,
                "description": "tf.keras 2.15 Masking -> Bidirectional(GRU) -> Dense: a layer without weights in layer_names",
                "notes": "layer_names lists masking, whose group has an empty weight_names (a float64 array of shape [0], "
                         "what h5py makes of np.asarray([])): a loader must skip layers without weights, as tf-keras's "
                         "load_weights_from_hdf5_group filters them."})

    # T9: weights only (model.save_weights("w.h5")).
    case = load_case("model_tagger_0_maskzero1_concat")
    E, B, D = case["layers"]
    bnames = [f"bidirectional/{d}_lstm/lstm_cell_{i}/{n}:0" for d, i in (("forward", 1), ("backward", 2))
              for n in ("kernel", "recurrent_kernel", "bias")]
    layers = [("embedding", [("embedding/embeddings:0", case_weights(E)[0])]),
              ("bidirectional", list(zip(bnames, case_weights(B)))),
              ("dense", list(zip(["dense/kernel:0", "dense/bias:0"], case_weights(D))))]
    out.append({"slug": "tagger", "case": case["name"], "format": "tf_keras2_weights_h5", "keras_version": "2.15.0",
                "layers": layers, "model_config_case": case["name"],
                "description": "tf.keras 2.15 model.save_weights('w.h5') of Embedding(mask_zero) -> Bidirectional(LSTM) -> Dense",
                "notes": "No model_config and no model_weights group: layer_names, backend and keras_version are attributes of "
                         "the root group, which holds the layer groups and top_level_model_weights directly. Build the model "
                         "from model_config (the conformance case's layers), then load by layer order."})

    # T10: a Functional model (two inputs), the model and weights of k3_func_two_inputs.
    spec = next(sp for sp in functional_specs() if sp["slug"] == "func_two_inputs")
    cfg = TF2.functional("two_inputs", [
        TF2.node(TF2.input_layer("a", [None, 5, 3])),
        TF2.node(TF2.input_layer("b", [None, 5, 2])),
        TF2.node({"class_name": "Concatenate", "config": t.concatenate("concatenate", -1)}, ["a", "b"]),
        TF2.node({"class_name": "Bidirectional", "config": t.bidirectional(
            "bidirectional", "sum", t.obj("keras.layers", "GRU", t.rnn("GRU", "gru", {"units": 3, "reset_after": True})))},
            "concatenate"),
        TF2.node({"class_name": "Dense", "config": t.dense("dense", {"units": 2})}, "bidirectional")],
        input_layers=["a", "b"], output_layers=["dense"])
    names = [f"bidirectional/{d}_gru/gru_cell_{i}/{n}:0" for d, i in (("forward", 1), ("backward", 2))
             for n in ("kernel", "recurrent_kernel", "bias")]
    layers = [("a", []), ("b", []), ("concatenate", []),
              ("bidirectional", list(zip(names, spec["weights"]["bidirectional"]))),
              ("dense", list(zip(["dense/kernel:0", "dense/bias:0"], spec["weights"]["dense"])))]
    out.append({"slug": "func_two_inputs", "case": None, "functional": spec, "format": "tf_keras2_h5",
                "keras_version": "2.15.0", "model_config": cfg, "layers": layers,
                "description": "tf.keras 2.15 model.save('m.h5') of keras.Model(inputs=[a, b], outputs=...): "
                               + spec["description"] + " (the model and weights of k3_func_two_inputs)",
                "notes": "model_config is {class_name: Functional, config: {name, trainable, layers, input_layers, "
                         "output_layers}} (functional.py Functional.get_config + get_network_config, use_legacy_config "
                         "set by hdf5_format.save_model_to_hdf5): each layer {class_name, config, name, inbound_nodes}; "
                         "the InputLayers a and b have inbound_nodes [], the others one node each, "
                         "[[[inbound layer, node_index, tensor_index, kwargs {}], ...]] (node.py Node.serialize); "
                         "input_layers [[a, 0, 0], [b, 0, 0]], output_layers [[dense, 0, 0]]. Unlike a Sequential's, a "
                         "Functional model's model.layers includes its InputLayers, so layer_names is a, b, concatenate, "
                         "bidirectional, dense and a, b, concatenate have groups with an empty weight_names. Weights as in "
                         "the first Bidirectional(GRU) of a session: bidirectional/forward_gru/gru_cell_1/kernel:0, "
                         "backward_gru/gru_cell_2. Expected outputs: Keras 3's predict of k3_func_two_inputs (same "
                         "weights, same inputs)."})
    return out


# ----------------------------------------------------------------------------------------
# HDF5 / zip layout dumps for the README
# ----------------------------------------------------------------------------------------


def h5_type_str(tid):
    import h5py
    cls = tid.get_class()
    if cls == h5py.h5t.STRING:
        cset = "UTF-8" if tid.get_cset() == h5py.h5t.CSET_UTF8 else "ASCII"
        if tid.is_variable_str():
            return f"string, variable-length, {cset}"
        pad = {h5py.h5t.STR_NULLTERM: "null-terminated", h5py.h5t.STR_NULLPAD: "null-padded",
               h5py.h5t.STR_SPACEPAD: "space-padded"}[tid.get_strpad()]
        return f"string, fixed-length {tid.get_size()}, {pad}, {cset}"
    if cls == h5py.h5t.FLOAT:
        order = "LE" if tid.get_order() == h5py.h5t.ORDER_LE else "BE"
        return f"float{8 * tid.get_size()} {order}"
    if cls == h5py.h5t.INTEGER:
        order = "LE" if tid.get_order() == h5py.h5t.ORDER_LE else "BE"
        sign = "int" if tid.get_sign() == h5py.h5t.SGN_2 else "uint"
        return f"{sign}{8 * tid.get_size()} {order}"
    return str(cls)


def space_str(sid):
    import h5py
    kind = sid.get_simple_extent_type()
    if kind == h5py.h5s.SCALAR:
        return "scalar"
    if kind == h5py.h5s.NULL:
        return "null"
    return "array " + str(list(sid.shape))


def short(v, n=90):
    if isinstance(v, np.ndarray):
        v = [x.decode() if isinstance(x, bytes) else x for x in v.tolist()]
    if isinstance(v, bytes):
        v = v.decode()
    s = json.dumps(v) if not isinstance(v, str) else json.dumps(v)
    return s if len(s) <= n else s[:n - 3] + "..."


def h5_layout(path_or_file, max_children=None):
    import h5py
    f = h5py.File(path_or_file, "r") if not isinstance(path_or_file, h5py.File) else path_or_file
    lines = []

    def attrs(obj, ind):
        for k in sorted(obj.attrs.keys()):
            aid = h5py.h5a.open(obj.id, k.encode())
            val = obj.attrs[k]
            lines.append(f"{ind}  @{k}: {h5_type_str(aid.get_type())}, {space_str(aid.get_space())} = {short(val)}")

    def walk(name, obj, ind):
        if isinstance(obj, h5py.Dataset):
            layout = obj.id.get_create_plist().get_layout()
            lname = {h5py.h5d.CONTIGUOUS: "contiguous", h5py.h5d.CHUNKED: "chunked", h5py.h5d.COMPACT: "compact"}.get(layout, layout)
            lines.append(f"{ind}{name}  dataset {h5_type_str(obj.id.get_type())}, "
                         f"{space_str(obj.id.get_space())}, {lname}")
            attrs(obj, ind)
            return
        lines.append(f"{ind}{name}/  group")
        attrs(obj, ind)
        for k in obj.keys():  # h5py lists members in name order
            walk(k, obj[k], ind + "  ")

    walk("", f, "")
    return "\n".join(lines)


def compact_json(obj, indent=0, width=110):
    """JSON with one line for each value that fits in `width`, else one line per member."""
    flat = json.dumps(obj)
    pad = " " * indent
    if len(flat) + indent <= width or not isinstance(obj, (dict, list)) or not obj:
        return flat
    inner = " " * (indent + 2)
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {compact_json(v, indent + 2, width).lstrip()}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    items = [inner + compact_json(v, indent + 2, width).lstrip() for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def zip_layout(path):
    z = zipfile.ZipFile(path)
    lines = []
    for i in z.infolist():
        method = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}.get(i.compress_type, i.compress_type)
        lines.append(f"{i.filename}: {method}, {i.file_size} bytes, flag_bits 0x{i.flag_bits:04x}, "
                     f"date {i.date_time[0]:04d}-{i.date_time[1]:02d}-{i.date_time[2]:02d}, "
                     f"external_attr 0x{i.external_attr:08x}, extra {len(i.extra)} bytes")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------


def get_keras_source(args, scratch):
    if args.keras_src:
        src = os.path.abspath(args.keras_src)
        commit = args.keras_commit or "unknown (--keras-src)"
        return src, commit, f"--keras-src {src}"
    commit = subprocess.run(["git", "-C", KERAS_MIRROR, "rev-parse", args.keras_ref + "^{commit}"],
                            check=True, capture_output=True, text=True).stdout.strip()
    src = os.path.join(scratch, "keras_src")
    os.makedirs(src)
    archive = subprocess.run(["git", "-C", KERAS_MIRROR, "archive", commit, "keras"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    return src, commit, f"git archive {args.keras_ref} ({commit}) of {KERAS_MIRROR}"


FUNCTIONAL_DIR = "functional"  # Functional models: run from their own directory (not read yet)


def apply_runner_contract(out_dir):
    """Gives every case JSON in out_dir the fields birnn's conformance runner reads
    (tests/conformance/case.hpp, the contract of issue 12): `model_file` for a full model
    file; `layers` (the model's layer configs) and `weights_file` for a weights-only file.
    Moves the Functional-model fixtures (file and case) into out_dir/functional/."""
    func_dir = os.path.join(out_dir, FUNCTIONAL_DIR)
    os.makedirs(func_dir, exist_ok=True)
    for fn in sorted(os.listdir(out_dir)):
        if not fn.endswith(".json"):
            continue
        path = os.path.join(out_dir, fn)
        with open(path) as f:
            doc = json.load(f)
        doc.pop("model_file", None), doc.pop("weights_file", None)
        if doc["format"] in ("keras3_weights_h5", "tf_keras2_weights_h5"):
            doc["layers"] = doc["model_config"]["layers"]
            doc["weights_file"] = doc["file"]
        else:
            doc["model_file"] = doc["file"]
        with open(path, "w") as f:
            f.write(dump(doc))
        if doc["name"].startswith(("k3_func_", "tf2_func_")):
            for name in (fn, doc["file"]):
                os.replace(os.path.join(out_dir, name), os.path.join(func_dir, name))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--keras-src", help="directory holding an extracted `keras` package (default: git archive of the mirror)")
    ap.add_argument("--keras-ref", default=DEFAULT_KERAS_REF, help="git ref of the Keras mirror to extract (default %(default)s)")
    ap.add_argument("--keras-commit", help="commit to record with --keras-src")
    ap.add_argument("--raw-zip", action="store_true", help="keep the .keras files exactly as Keras wrote them")
    ap.add_argument("--keep-scratch", action="store_true")
    ap.add_argument("--contract-only", action="store_true",
                    help="only rewrite the existing cases in --out with the runner's fields (apply_runner_contract)")
    args = ap.parse_args()
    if args.contract_only:
        apply_runner_contract(os.path.abspath(args.out))
        return
    import h5py

    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    if os.path.isdir(os.path.join(out_dir, FUNCTIONAL_DIR)):
        shutil.rmtree(os.path.join(out_dir, FUNCTIONAL_DIR))
    for fn in os.listdir(out_dir):  # the directory is entirely generated
        if fn.endswith((".json", ".keras", ".h5")) or fn == "README.md":
            os.remove(os.path.join(out_dir, fn))
    scratch = tempfile.mkdtemp(prefix="keras_fixtures_")
    write_shims(os.path.join(scratch, "shim"))
    keras_src, keras_commit, keras_how = get_keras_source(args, scratch)
    raw_dir = os.path.join(scratch, "raw")
    os.makedirs(raw_dir)

    # ---------------- Keras 3: build, predict, save ----------------
    fixtures = []  # dicts that become the case JSONs
    build = []
    for slug, case_name, formats, what in K3_CASES:
        case = load_case(case_name)
        item = {"id": slug, "builder": "case", "case": case_name,
                "inputs": [case_inputs(case).tolist()],
                "input_dtype": "int32" if case["layers"][0]["class_name"] == "Embedding" else "float32",
                "saves": []}
        for fmt in formats:
            name = f"{FORMAT_PREFIX[fmt]}_{slug}"
            raw = os.path.join(raw_dir, name + FORMAT_EXT[fmt])
            item["saves"].append((fmt, raw))
            fixtures.append({"name": name, "format": fmt, "slug": slug, "case": case_name, "what": what,
                             "raw": raw, "builder": "case"})
        build.append(item)
    fspecs = functional_specs()
    for spec in fspecs:
        name = f"k3_{spec['slug']}"
        raw = os.path.join(raw_dir, name + ".keras")
        build.append({"id": spec["slug"], "builder": spec["builder"],
                      "inputs": [v.tolist() for v in spec["inputs"]],
                      "weights": {k: [w.tolist() for w in ws] for k, ws in spec["weights"].items()},
                      "saves": [("keras3_zip", raw)]})
        fixtures.append({"name": name, "format": "keras3_zip", "slug": spec["slug"], "case": None,
                         "what": spec["description"], "raw": raw, "builder": spec["builder"], "spec": spec})
    custom = [{"id": "hardsig_keras2_custom", "case": "bidi_lstm_hardsig_concat_seq1_state0", "activation": "keras2",
               "inputs": [case_inputs(load_case("bidi_lstm_hardsig_concat_seq1_state0")).tolist()]}]
    r1 = run_worker({"build": build, "custom_activation": custom}, scratch, keras_src, "build")
    keras_version = r1["keras_version"]
    print(f"Keras {keras_version} ({r1['backend']} backend) from {keras_how}")

    for fx in fixtures:
        final = os.path.join(out_dir, fx["name"] + FORMAT_EXT[fx["format"]])
        shutil.copyfile(fx["raw"], final)
        if fx["format"] == "keras3_zip" and not args.raw_zip:
            normalize_keras_zip(final)
        fx["file"] = final

    # ---------------- tf.keras 2.x files (h5py) ----------------
    tf2 = tf2_fixtures()
    for t in tf2:
        if "functional" not in t:
            t["description"] = t["description"] + ". Model: " + describe_stack(load_case(t["case"] or t["weights_case"]))
        name = f"{FORMAT_PREFIX[t['format']]}_{t['slug']}"
        path = os.path.join(out_dir, name + ".h5")
        if t["format"] == "tf_keras2_h5":
            save_model_to_hdf5(path, t["model_config"], t["layers"], t["keras_version"], t.get("training_config"),
                               t.get("optimizer_weights"), t.get("h5py2", False), t.get("top_level", True))
        else:
            save_weights_only_h5(path, t["layers"], t["keras_version"], t.get("h5py2", False), t.get("top_level", True))
        t["name"], t["file"] = name, path

    # ---------------- Keras 3 loads every final file ----------------
    load = []
    for fx in fixtures:
        item = {"id": fx["name"], "path": fx["file"],
                "how": "load_weights" if fx["format"] == "keras3_weights_h5" else "load_model",
                "builder": fx["builder"], "case": fx["case"]}
        if fx["builder"] == "case":
            case = load_case(fx["case"])
            item["inputs"] = [case_inputs(case).tolist()]
            item["input_dtype"] = "int32" if case["layers"][0]["class_name"] == "Embedding" else "float32"
        else:
            item["inputs"] = [v.tolist() for v in fx["spec"]["inputs"]]
        load.append(item)
    for t in tf2:
        if "functional" in t:
            spec = t["functional"]
            load.append({"id": t["name"], "path": t["file"], "case": None, "builder": spec["builder"],
                         "how": "load_model", "also_weights": True, "inputs": [v.tolist() for v in spec["inputs"]]})
            continue
        case = load_case(t["case"] or t["weights_case"])
        load.append({"id": t["name"], "path": t["file"], "case": case["name"], "builder": "case",
                     "how": "load_weights" if t["format"] == "tf_keras2_weights_h5" else "load_model",
                     "also_weights": t["format"] == "tf_keras2_h5", "inputs": [case_inputs(case).tolist()],
                     "input_dtype": "int32" if case["layers"][0]["class_name"] == "Embedding" else "float32"})
    r2 = run_worker({"build": [], "load": load}, scratch, keras_src, "load")

    # ---------------- case JSONs ----------------
    problems = []
    summary = []
    for fx in fixtures:
        pred = [np.asarray(v) for v in r1["items"][fx["slug"]]["predict"]]
        loaded = r2["items"][fx["name"]]["plain"]
        checks = {}
        if fx["builder"] == "case":
            case = load_case(fx["case"])
            tol = case["tolerance"]
            expected = case_outputs(case)
            outputs = case["outputs"]
            reference = f"conformance case {case['name']}: {case['reference']}"
            inputs = case["inputs"]
            ref = ref_stack(case["layers"], case_inputs(case))
            description = f"Keras {keras_version} {fx['format']}: {describe_stack(case)}. Exercises {fx['what']}."
            config_case = case["name"]
        else:
            spec = fx["spec"]
            tol = {"atol": 1e-05, "rtol": 0.0001}
            expected = pred
            outputs = [arr("output", pred[0])]
            reference = f"Keras {keras_version} model.predict (numpy backend, float32)"
            inputs = ({"shape": list(spec["inputs"][0].shape), "data": arr(None, spec["inputs"][0])["data"]}
                      if len(spec["inputs"]) == 1 else
                      [{"name": n, **arr(None, v)} for n, v in zip(("a", "b"), spec["inputs"])])
            ref = ref_functional(spec)
            description = f"Keras {keras_version} {fx['format']}: {fx['what']}"
            config_case = None
        got = {"keras_predict": pred, "numpy_reference": ref}
        if "error" in loaded:
            checks["keras_reload"] = loaded["error"]
            problems.append(f"{fx['name']}: Keras cannot reload it: {loaded['error']}")
        else:
            got["keras_reload"] = [np.asarray(v) for v in loaded["predict"]]
        for key, vals in got.items():
            checks[key + "_max_abs_err"] = max_err(vals, expected)
            if not within(vals, expected, tol):
                problems.append(f"{fx['name']}: {key} differs from the expected outputs by {max_err(vals, expected):.3g}")
        doc = {"name": fx["name"], "description": description,
               "file": os.path.basename(fx["file"]), "format": fx["format"], "reference": reference,
               "tolerance": tol, "inputs": inputs, "mask": None, "outputs": outputs,
               "config_case": config_case}
        if fx["format"] == "keras3_weights_h5":
            doc["model_config"] = model_config_of(fx)
        doc["writer"] = {"keras3_zip": f"Keras {keras_version} model.save('x.keras') (saving_lib.save_model)",
                         "keras3_weights_h5": f"Keras {keras_version} model.save_weights('x.weights.h5') (saving_lib.save_weights_only)",
                         "keras3_legacy_h5": f"Keras {keras_version} model.save('x.h5') (legacy_h5_format.save_model_to_hdf5)"}[fx["format"]]
        doc["keras_commit"] = keras_commit
        doc["checks"] = checks
        doc["notes"] = notes_for(fx, keras_version, args.raw_zip)
        with open(os.path.join(out_dir, fx["name"] + ".json"), "w") as f:
            f.write(dump(doc))
        summary.append((fx["name"] + FORMAT_EXT[fx["format"]], checks))

    for t in tf2:
        checks = {}
        if "functional" in t:
            spec = t["functional"]
            pred = [np.asarray(v) for v in r1["items"][spec["slug"]]["predict"]]
            expected = pred
            ref = ref_functional(spec)
            outputs = [arr("output", pred[0])]
            reference = (f"Keras {keras_version} model.predict (numpy backend, float32) of the same model and weights "
                         f"(k3_{spec['slug']}'s outputs)")
            tol = {"atol": 1e-05, "rtol": 0.0001}
            inputs = [{"name": n, **arr(None, v)} for n, v in zip(("a", "b"), spec["inputs"])]
        else:
            case = load_case(t["case"] or t["weights_case"])
            hs = t.get("hard_sigmoid", "keras3")
            ref = ref_stack(case["layers"], case_inputs(case), hs)
            inputs = case["inputs"]
        if "functional" in t:
            # the same inputs and outputs as the Keras 3 fixture of this model (written above)
            with open(os.path.join(out_dir, f"k3_{spec['slug']}.json")) as f:
                k3doc = json.load(f)
            assert k3doc["inputs"] == inputs and k3doc["outputs"] == outputs, "differs from k3_" + spec["slug"]
        elif t["case"]:
            expected = case_outputs(case)
            outputs = case["outputs"]
            reference = f"conformance case {case['name']}: {case['reference']}"
            tol = case["tolerance"]
        else:
            expected = ref
            names = [o["name"] for o in case["outputs"]]
            outputs = [arr(n, v.astype(np.float32)) for n, v in zip(names, ref)]
            reference = ("numpy-keras2-reference: float64 NumPy implementation of the Keras rules in this script "
                         "(ref_stack), with Keras 2's hard_sigmoid clip(0.2 x + 0.5, 0, 1)")
            tol = case["tolerance"]
            kc = [np.asarray(v) for v in r1["items"]["hardsig_keras2_custom"]["predict"]]
            checks["keras3_with_keras2_hard_sigmoid_max_abs_err"] = max_err(kc, expected)
            if not within(kc, expected, tol):
                problems.append(f"{t['name']}: Keras 3 LSTM with recurrent_activation clip(0.2x+0.5) differs from the reference")
        checks["numpy_reference_max_abs_err"] = max_err(ref, expected)
        if not within(ref, expected, tol):
            problems.append(f"{t['name']}: numpy reference differs")
        if "cudnn_layout" in t:
            # Read the stored arrays the way cuDNN does (gru_lstm_utils.canonical_to_params: each
            # gate block flattened in C order, taken as a row-major [units, input] matrix W with
            # gates = W x), independently of the tf-keras conversion used to write them.
            cw = [v for _, v in t["layers"][0][1]]
            gates = 3 if t.get("cudnn") == "gru" else 4
            lw = []
            for k, r, b in (cw[:3], cw[3:]):
                units = r.shape[0]
                K = np.hstack([g.reshape(-1).reshape(units, g.shape[0]).T for g in np.hsplit(k, gates)])
                R = np.hstack([g.reshape(-1).reshape(units, units).T for g in np.hsplit(r, gates)])
                if gates == 3:  # GRU(reset_after=True): input biases, then recurrent biases
                    lw += [K, R, b.reshape(2, 3 * units)]
                else:  # LSTM: the two halves summed
                    lw += [K, R, b[:4 * units].astype(np.float64) + b[4 * units:]]
            layer = dict(case["layers"][0], weights=[arr(None, v) for v in lw])
            cref = ref_stack([layer], case_inputs(case))
            checks["cudnn_semantics_reference_max_abs_err"] = max_err(cref, expected)
            if not within(cref, expected, tol):
                problems.append(f"{t['name']}: cuDNN reading of the stored weights differs")
        loaded = r2["items"][t["name"]]
        for attempt, res in loaded.items():
            key = "keras3_load" if attempt == "plain" else "keras3_load_weights_into_case_model"
            if "error" in res:
                checks[key] = f"Keras {keras_version} cannot load it: {res['error']}"
            else:
                got = [np.asarray(v) for v in res["predict"]]
                checks[key + "_max_abs_err"] = max_err(got, expected)
        doc = {"name": t["name"], "description": t["description"], "file": os.path.basename(t["file"]),
               "format": t["format"], "reference": reference, "tolerance": tol, "inputs": inputs,
               "mask": None, "outputs": outputs, "config_case": t["case"]}
        if t["format"] == "tf_keras2_weights_h5":
            doc["model_config"] = {"layers": [{k: l[k] for k in ("class_name", "config", "build_config")}
                                              for l in case["layers"]]}
        doc["writer"] = (f"h5py {h5py.__version__}, following tf-keras {TF_KERAS_TAG} ({TF_KERAS_COMMIT}) "
                         "tf_keras/saving/legacy/hdf5_format.py " +
                         ("save_model_to_hdf5" if t["format"] == "tf_keras2_h5" else "legacy save.save_weights -> "
                          "save_weights_to_hdf5_group"))
        if t.get("h5py2"):
            doc["writer"] = (f"h5py {h5py.__version__} emulating h5py 2.10's string types, following keras-team/keras v2.6.0 "
                             "keras/saving/hdf5_format.py save_model_to_hdf5 (= TensorFlow 2.4's copy)")
        doc["keras_version_attr"] = t["keras_version"]
        for k in ("reset_after_default", "cudnn_layout"):
            if k in t:
                doc[k] = t[k]
        if t.get("weights_case"):
            doc["weights_case"] = t["weights_case"]
        doc["checks"] = checks
        doc["notes"] = t["notes"]
        with open(os.path.join(out_dir, t["name"] + ".json"), "w") as f:
            f.write(dump(doc))
        summary.append((os.path.basename(t["file"]), checks))

    write_readme(out_dir, fixtures, tf2, keras_version, keras_commit, keras_how, args.raw_zip, h5py)
    apply_runner_contract(out_dir)

    total = 0
    print(f"{'file':44s} {'bytes':>7s}  checks")
    for fn, checks in summary:
        path = os.path.join(out_dir, fn)
        if not os.path.exists(path):  # moved by apply_runner_contract
            path = os.path.join(out_dir, FUNCTIONAL_DIR, fn)
        size = os.path.getsize(path)
        total += size
        print(f"{fn:44s} {size:7d}  " + ", ".join(f"{k}={v:.2g}" if isinstance(v, float) else f"{k}={v}"
                                                  for k, v in checks.items()))
    all_size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out_dir) for f in fs)
    print(f"model files {total} bytes; directory {all_size} bytes")
    if problems:
        print("DISAGREEMENTS:")
        for p in problems:
            print("  " + p)
    if not args.keep_scratch:
        shutil.rmtree(scratch)
    else:
        print("scratch:", scratch)


def model_config_of(fx):
    case = load_case(fx["case"])
    return {"layers": [{k: l[k] for k in ("class_name", "config", "build_config")} for l in case["layers"]]}


def notes_for(fx, keras_version, raw_zip):
    n = []
    if fx["format"] == "keras3_zip":
        n.append("The zip holds metadata.json, config.json (a Sequential/Functional config with module/class_name/config/"
                 "registered_name objects and build_config) and model.weights.h5 (store paths layers/<snake_case class "
                 "name>[_N]/..., see README).")
        if not raw_zip:
            n.append("Re-packed after Keras wrote it (fixed timestamps, date_saved and shared_object_id numbers; "
                     "see README).")
    elif fx["format"] == "keras3_weights_h5":
        n.append("Weights only: build the model from model_config, then read layers/<snake_case class name>[_N]/.../vars/<i>.")
    elif fx["format"] == "keras3_legacy_h5":
        n.append("Keras 3's legacy writer: weight names are variable paths with the model name first "
                 "(sequential/bidirectional/forward_lstm/lstm_cell/kernel), no ':0'; backend attribute is the backend "
                 "that saved it ('numpy' here).")
    if fx["case"] == "model_imdb_0_left":
        n.append("Keras master (3.16.0.dev, 3422977a) predicts differently (max abs diff 0.019): its commit a8b52ca11a "
                 "stops RNN layers and Bidirectional from propagating the mask, so the second Bidirectional runs unmasked. "
                 "The outputs here are those of the released Keras 3 rules.")
    if fx["case"] == "backlayer_lstm_gru_concat_seq1":
        n.append("Keras 3 keeps a given backward_layer's own name ('gru'); store path .../backward_layer/cell/vars.")
    if fx["builder"] != "case":
        n.append("No conformance case: the expected outputs are Keras's predict; the NumPy reference agrees (checks).")
    return " ".join(n)


def write_readme(out_dir, fixtures, tf2, keras_version, keras_commit, keras_how, raw_zip, h5py):
    lines = []
    w = lines.append
    w("# Keras model-file fixtures")
    w("")
    w("Generated by `scripts/make_keras_file_fixtures.py` (run it again to regenerate the whole directory; see its")
    w("docstring for how Keras is run). Each `<name>.<ext>` has a `<name>.json` beside it: the fixture case, in the")
    w("format of `tests/data/keras/*.json` (`inputs`, `mask`, `outputs`, `tolerance`, see")
    w("`/work/shared/conformance/README.md`) plus `file`, `format`, `config_case` (the conformance case whose stack and")
    w("weights the file holds, or null), `writer`, `checks` (how far Keras's own predict, Keras 3 reloading the file, and")
    w("the script's float64 NumPy reference are from `outputs`) and, for weights-only files, `model_config`: the layers")
    w("(Keras 3 configs, as in the conformance case) to build the model from before loading the weights.")
    w("")
    w(f"* Keras 3 files: written by Keras {keras_version} itself (numpy backend), source {keras_how}.")
    w(f"* tf.keras 2.x files: written with h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version}) following tf-keras")
    w(f"  {TF_KERAS_TAG} ({TF_KERAS_COMMIT}) `tf_keras/saving/legacy/hdf5_format.py` line by line (TensorFlow is not")
    w("  available); `tf2_bidi_lstm_hardsig.h5` as TensorFlow 2.4 wrote it (keras-team/keras v2.6.0 `keras/saving/")
    w("  hdf5_format.py`, h5py 2.10 string types).")
    w("")
    w("## Files")
    w("")
    w("| file | format | model | expected outputs |")
    w("|---|---|---|---|")
    for fx in fixtures:
        exp = f"case `{fx['case']}`" if fx["case"] else "Keras predict"
        model = f"{describe_stack(load_case(fx['case']))}. {fx['what']}" if fx["case"] else fx["what"]
        w(f"| `{os.path.basename(fx['file'])}` | {fx['format']} | {model} | {exp} |")
    for t in tf2:
        if "functional" in t:
            exp = f"Keras predict (of `k3_{t['functional']['slug']}`)"
        else:
            exp = f"case `{t['case']}`" if t["case"] else f"NumPy reference, Keras 2 hard_sigmoid (weights of `{t['weights_case']}`)"
        w(f"| `{os.path.basename(t['file'])}` | {t['format']} | {t['description']} | {exp} |")
    w("")
    w("The two-input Functional fixture's `inputs` is a list of `{name, shape, data}`, one per model input in the")
    w("model's input order (`a`, then `b`). All other `inputs` are one `{shape, data}`; `mask` is always null (masks")
    w("come from Embedding(mask_zero) or Masking inside the models).")
    w("")
    w("## Checks recorded in each case")
    w("")
    w("- `keras_predict_max_abs_err`: Keras's own `model.predict` of the model it saved, against `outputs`.")
    w("- `keras_reload_max_abs_err`: Keras reloading the final file (`keras.saving.load_model`, or building the model")
    w("  and `load_weights` for weights-only files) and predicting.")
    w("- `numpy_reference_max_abs_err`: the script's float64 NumPy implementation of the Keras rules.")
    w("- tf.keras 2 files: `keras3_load` is Keras 3's `load_model` on the file. It fails on every LSTM/GRU file")
    w("  (`Unrecognized keyword arguments passed to LSTM: {'time_major': False}`: Keras 3 removed that argument; the")
    w("  same error users report for real tf.keras 2 files, keras-team/keras#20750), on the TF 2.4 file (its nested")
    w("  legacy `{class_name, config}` layer is not found), and on CuDNNLSTM / CuDNNGRU (no such classes in")
    w("  Keras 3).")
    w("  `keras3_load_weights_into_case_model` builds the conformance case's model in Keras 3 and calls")
    w("  `load_weights(file)`: Keras 3's legacy loader reads the weights of every file but three as expected; the")
    w("  hard_sigmoid file then differs (Keras 3 applies its own x / 6 + 0.5) and the CuDNNLSTM and CuDNNGRU files are")
    w("  refused (Keras 3 has no cuDNN weight conversion). `cudnn_semantics_reference_max_abs_err` reads the cuDNN arrays the way")
    w("  cuDNN does and runs the NumPy reference; `keras3_with_keras2_hard_sigmoid_max_abs_err` runs Keras 3's LSTM")
    w("  with recurrent_activation clip(0.2 x + 0.5) as an independent check of the Keras 2 hard_sigmoid outputs.")
    w("")
    w("## Quirks present in the files")
    w("")
    quirks = [
        "**Keras 3 store paths are not layer names.** In `model.weights.h5` / `.weights.h5` a layer's weights live at "
        "`layers/<snake_case(class name)>[_N]/vars/<i>`: `layers/bidirectional`, `layers/dense`, `layers/embedding`; "
        "the second layer of the same class in a container is `..._1` (`layers/bidirectional_1` in "
        "`k3_imdb_stacked_left.keras`), whatever the layers' names (saving_lib._save_container_state uses "
        "naming.to_snake_case(class name) and _get_unique_name). The layer's own name is the `name` attribute of its "
        "`vars` group. Functional models list their InputLayers too (`layers/input_layer`, `layers/input_layer_1`: empty "
        "groups).",
        "**Keras 3 sub-layers are visited in sorted attribute order** (saving_lib._walk_saveable: "
        "sorted(dir(obj))): a Bidirectional's `backward_layer/` comes before `forward_layer/` in the file, and an RNN "
        "layer's weights are under `<layer>/cell/vars/0..2`, not under the layer's own `vars` (which is empty). "
        "TimeDistributed: `layers/time_distributed/layer/vars`. Dataset names are `0`, `1`, `2` in the layer's "
        "variable order (kernel, recurrent_kernel, bias; Dense kernel, bias; Embedding embeddings).",
        "**Keras 3 legacy .h5** (`k3h5_*`): weight names are variable paths prefixed by the model name, "
        "`sequential/bidirectional/forward_lstm/lstm_cell/kernel` (no `:0`), so datasets sit at "
        "`model_weights/bidirectional/sequential/bidirectional/forward_lstm/lstm_cell/kernel` (an extra "
        "`sequential/` level under the layer group); the backward layer's cell is also `lstm_cell`; "
        "`model_config` uses Keras 3 configs in legacy form (`class_name` + `config`, no `module`), "
        "backend attribute `numpy`.",
        "**tf.keras 2 weight names** end in `:0` and repeat the layer name: "
        "`model_weights/bidirectional/bidirectional/forward_lstm/lstm_cell_1/kernel:0`. The cell level is numbered by a "
        "session-wide counter (`lstm_cell_1`/`lstm_cell_2` for the first Bidirectional(LSTM) of a session, "
        "`lstm_cell_4`/`lstm_cell_5` for the second, in `tf2_tagger.h5`); the numbers match no layer name. "
        "CuDNNLSTM has no cell level. A user-supplied backward_layer keeps its own cell name (`backward_gru/gru_cell`).",
        "**Load by order, not by name.** Every legacy loader (tf-keras, Keras 3) walks `layer_names` in order, skips "
        "groups whose `weight_names` is empty (Masking in `tf2_masking_gru.h5`; an empty `weight_names` is a float64 "
        "array of shape [0]), and assigns each group's datasets in `weight_names` order. Groups are created in sorted "
        "layer-name order, `layer_names` keeps model order.",
        "**tf.keras 2.15 model_config mixes two serializations**: top-level layers are `{class_name, config}`, but "
        "initializers and a Bidirectional's nested `layer` / `backward_layer` are `{module, class_name, config, "
        "registered_name}` (serialization_lib). The nested `layer` is the LSTM object the user passed (name `lstm`, "
        "go_backwards false, no `zero_output_for_mask`); Bidirectional renames its copies `forward_lstm` / "
        "`backward_lstm`. Keras 2 spellings: `batch_input_shape` (InputLayer, and a first layer given input_shape), "
        "`dtype` \"float32\" as a plain string, `time_major`, `implementation`, `reset_after`. The TF 2.4 file has no "
        "`module` anywhere.",
        "**String types differ by writer.** h5py >= 3.0 (Keras 3, tf-keras 2.15) writes every string attribute as a "
        "variable-length string: UTF-8 for a Python str (root keras_version, backend), ASCII for bytes and lists of bytes "
        "(model_config, training_config, layer_names, weight_names, model_weights' backend/keras_version). h5py 2.10 "
        "(TensorFlow <= 2.4; `tf2_bidi_lstm_hardsig.h5`) wrote lists of bytes (layer_names, weight_names) as arrays of "
        "fixed-length null-padded ASCII strings, the scalar ones as variable-length. A loader must read both.",
        "**Skipped parts**: root attribute `training_config` and group `optimizer_weights` (`tf2_bidi_lstm_concat.h5`: "
        "`iteration:0` int64 scalar, `Adam/m/...:0`, `Adam/v/...:0` in subgroups; `tf2_tagger.h5`: only `iteration:0`); "
        "group `top_level_model_weights` (empty; absent in the TF 2.4 file).",
        "**GRU**: `reset_after` true has a [2, 3 * units] bias (row 0 input, row 1 recurrent), false a [3 * units] bias; "
        "`tf2_bidi_gru_no_reset_after.h5` has no `reset_after` key: tf.keras 2.x (and Keras 3) default True (its JSON "
        "says where that comes from).",
        "**CuDNNLSTM** (`tf2_bidi_cudnnlstm.h5`) stores cuDNN's layout: per gate, the input kernel block is in a "
        "Fortran/C-swapped order, the recurrent block transposed, and the bias is [8 * units] (input + recurrent "
        "halves, to be summed). Its JSON's `cudnn_layout` gives the conversion (tf-keras _convert_rnn_weights).",
        "**CuDNNGRU** (`tf2_bidi_cudnngru.h5`) is GRU(reset_after=True) with tanh / sigmoid in cuDNN's layout: the "
        "same per-gate kernel reordering and transposes (3 gates z, r, h), and a flat [6 * units] bias (input biases, "
        "then recurrent biases: GRU's [2, 3 * units] bias reshaped). Its JSON's `cudnn_layout` gives the conversion; "
        "the tf-keras source was read from github.com/keras-team/tf-keras at commit 6add81a967a8 (not in the local "
        "mirror).",
        "**hard_sigmoid**: Keras 3 files mean clip(x / 6 + 0.5); tf.keras 2 files mean clip(0.2 x + 0.5) "
        "(`tf2_bidi_lstm_hardsig.h5`). Keras 3 loading the tf.keras 2 file silently uses its own (see that case's checks).",
        "**Bidirectional backward_layer in Keras 3 configs** is always written (saving the copies Keras made), and a "
        "user-given one keeps its own name (`gru`, not `backward_gru`).",
    ]
    if not raw_zip:
        quirks.append("**.keras re-packing** (determinism): the script rewrites each zip after Keras wrote it, setting "
                      "every member's timestamp to 1980-01-01 00:00 (Keras leaves metadata.json and config.json at that "
                      "date already but stamps model.weights.h5 with the current time), `date_saved` to "
                      f"`{FIXED_DATE_SAVED}`, and renumbering `shared_object_id` (Python id()s in Keras's output) as "
                      "1, 2, 3, ...; members stay stored (uncompressed), in Keras's order, with Keras's attributes.")
    for q in quirks:
        w(f"- {q}")
    w("")
    w("## Layouts")
    w("")
    w("Dumped from the files by the generating script (h5py low-level API): `name/` is a group, `@name` an attribute")
    w("with its HDF5 datatype and dataspace (`scalar` or `array [n]`), then its value (shortened). All datasets are")
    w("contiguous, little-endian float32 unless said otherwise; HDF5 files use the default (earliest) file format.")
    w("")

    def block(title, text, intro=None):
        w(f"### {title}")
        w("")
        if intro:
            w(intro)
            w("")
        w("```")
        w(text)
        w("```")
        w("")

    k3 = os.path.join(out_dir, "k3_bidi_lstm_concat.keras")
    block("keras3_zip: `k3_bidi_lstm_concat.keras` (zip members)", zip_layout(k3),
          "A zip (no compression: Keras uses zipfile's default ZIP_STORED; no data descriptors, no zip64 for these "
          "sizes). Members in this order: metadata.json (`{\"keras_version\", \"date_saved\"}`), config.json, "
          "model.weights.h5 (an HDF5 file, laid out like a .weights.h5 below). No assets/ entries for these models.")
    with zipfile.ZipFile(k3) as z:
        meta = z.read("metadata.json").decode()
        inner = io.BytesIO(z.read("model.weights.h5"))
    block("keras3_zip: metadata.json of `k3_bidi_lstm_concat.keras`", meta)
    with zipfile.ZipFile(k3) as z:
        cfg_json = json.loads(z.read("config.json"))
    block("keras3_zip: config.json of `k3_bidi_lstm_concat.keras`", compact_json(cfg_json),
          "One line in the file (json.dumps of serialize_keras_object(model)); re-indented here. `shared_object_id` "
          "marks objects serialized more than once (renumbered by the script).")
    block("keras3_zip: model.weights.h5 inside `k3_bidi_lstm_concat.keras`", h5_layout(h5py.File(inner, "r")))
    block("keras3_weights_h5: `k3w_bidi_lstm_concat.weights.h5`",
          h5_layout(os.path.join(out_dir, "k3w_bidi_lstm_concat.weights.h5")),
          "The same tree as model.weights.h5 in the zip (saving_lib.save_weights_only -> H5IOStore -> _save_state).")
    block("keras3_weights_h5: `k3w_tagger.weights.h5` (Embedding, Bidirectional, Dense)",
          h5_layout(os.path.join(out_dir, "k3w_tagger.weights.h5")))
    with zipfile.ZipFile(os.path.join(out_dir, "k3_func_td_dropout_gap.keras")) as z:
        inner2 = io.BytesIO(z.read("model.weights.h5"))
    block("keras3_zip: model.weights.h5 inside `k3_func_td_dropout_gap.keras` (Functional)",
          h5_layout(h5py.File(inner2, "r")))
    block("keras3_legacy_h5: `k3h5_tagger.h5`", h5_layout(os.path.join(out_dir, "k3h5_tagger.h5")),
          "legacy_h5_format.save_model_to_hdf5: root attributes from saving_utils.model_metadata, group model_weights "
          "(save_weights_to_hdf5_group), no optimizer_weights for an uncompiled model.")
    block("tf_keras2_h5: `tf2_bidi_lstm_concat.h5` (with training_config and optimizer_weights)",
          h5_layout(os.path.join(out_dir, "tf2_bidi_lstm_concat.h5")))
    block("tf_keras2_h5: `tf2_masking_gru.h5` (a layer without weights)",
          h5_layout(os.path.join(out_dir, "tf2_masking_gru.h5")))
    block("tf_keras2_h5, TensorFlow 2.4 / h5py 2.10: `tf2_bidi_lstm_hardsig.h5` (fixed-length name arrays)",
          h5_layout(os.path.join(out_dir, "tf2_bidi_lstm_hardsig.h5")))
    block("tf_keras2_h5: `tf2_bidi_cudnnlstm.h5`", h5_layout(os.path.join(out_dir, "tf2_bidi_cudnnlstm.h5")))
    block("tf_keras2_h5: `tf2_bidi_cudnngru.h5`", h5_layout(os.path.join(out_dir, "tf2_bidi_cudnngru.h5")))
    block("tf_keras2_weights_h5: `tf2w_tagger.h5`", h5_layout(os.path.join(out_dir, "tf2w_tagger.h5")),
          "model.save_weights('w.h5'): save_weights_to_hdf5_group on the file's root group.")
    for fn, title in (("tf2_bidi_lstm_concat.h5", "tf.keras 2.15 (mixed serialization)"),
                      ("tf2_bidi_lstm_hardsig.h5", "TensorFlow 2.4 (legacy serialization only)"),
                      ("k3h5_bidi_lstm_concat.h5", "Keras 3 legacy writer")):
        with h5py.File(os.path.join(out_dir, fn), "r") as f:
            mc = f.attrs["model_config"]
            mc = mc.decode() if isinstance(mc, bytes) else mc
        block(f"model_config of `{fn}`: {title}", compact_json(json.loads(mc)),
              "The root attribute is this JSON on one line (json.dumps default separators); re-indented here.")
    fn = "tf2_func_two_inputs.h5"
    block(f"tf_keras2_h5, Functional: `functional/{fn}`", h5_layout(os.path.join(out_dir, fn)),
          "A Functional model's model.layers includes its InputLayers: layer_names a, b, concatenate, bidirectional, "
          "dense; the groups of a, b and concatenate have an empty weight_names.")
    with h5py.File(os.path.join(out_dir, fn), "r") as f:
        mc = f.attrs["model_config"]
        mc = mc.decode() if isinstance(mc, bytes) else mc
    block(f"model_config of `functional/{fn}`: tf.keras 2.15 Functional", compact_json(json.loads(mc)),
          "functional.py Functional.get_config / get_network_config with use_legacy_config: each layer is "
          "{class_name, config, name, inbound_nodes}; a node is a list of [layer, node_index, tensor_index, kwargs] "
          "(node.py Node.serialize); input_layers / output_layers are [layer, node_index, tensor_index].")
    w("## Case files and the conformance runner")  # (apply_runner_contract)
    w("")
    w("Each `<name>.json` follows the conformance runner's case contract (tests/conformance/case.hpp):")
    w("a full model file has `\"model_file\": \"<file>\"` (relative to the case); a weights-only file")
    w("has `\"layers\"` (the model's layer configs, `build_config` on the first) and")
    w("`\"weights_file\": \"<file>\"`: the runner builds the model from `layers`, then loads the")
    w("weights. `inputs`, `mask`, `outputs` and `tolerance` are as in the golden cases. ctest")
    w("`conformance_keras_files` runs `birnn_conformance tests/data/keras_files`.")
    w("")
    w("The two Functional-model fixtures (`k3_func_*`) sit in `functional/`, which ctest")
    w("`conformance_keras_functional` runs (`birnn_conformance tests/data/keras_files/functional`).")
    w("`make_keras_file_fixtures.py --contract-only` rewrites")
    w("the cases' runner fields without running Keras (`apply_runner_contract`).")
    w("")
    w("`functional/tf2_func_two_inputs.h5` (tf.keras 2.15 legacy .h5 of the model and weights of")
    w("`k3_func_two_inputs`, with its `inputs` and `outputs`) sits in `functional/` too: ctest")
    w("`conformance_keras_functional` runs `birnn_conformance tests/data/keras_files/functional`.")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")


if __name__ == "__main__":
    main()
