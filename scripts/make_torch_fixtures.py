#!/usr/bin/python3
"""Writes the PyTorch conformance cases in tests/data/torch/ (run by ctest conformance_torch).

    apt-get install -y python3-torch python3-numpy    # Debian 12: PyTorch 1.13.1
    /usr/bin/python3 scripts/make_torch_fixtures.py [OUT-DIR]

Each case is a small torch.nn.RNN (tanh or relu), nn.LSTM or nn.GRU module (input 3,
hidden 4, time 5, batch 2), seeded by its name. Its state_dict goes to <name>.safetensors,
written here by hand (an 8-byte little-endian header length, the JSON header, then raw
little-endian float32 data; no safetensors package needed), and the case to <name>.json in
the conformance case format (../shared/conformance/README.md, "Model-file cases").

Layouts, as the torch.nn.RNN / LSTM / GRU documentation gives them: input and output are
(time, batch, features), or (batch, time, features) with batch_first=True; output holds
D * hidden features (D = 2 when bidirectional: forward, then reverse); h_n and c_n (and
h_0, c_0) are (num_layers * D, batch, hidden), ordered layer 0 forward, layer 0 reverse,
layer 1 forward, ... and are never batch-first. Tensor names: weight_ih_l{k}[_reverse]
(gates * hidden, input), weight_hh_l{k}[_reverse] (gates * hidden, hidden), bias_ih_l{k},
bias_hh_l{k}; gate order LSTM i, f, g, o; GRU r, z, n.
"""

import json
import os
import struct
import sys
import zlib

import torch

INPUT, HIDDEN, TIME, BATCH = 3, 4, 5, 2
REFERENCE = "PyTorch 1.13.1 (Debian python3-torch)"


def num(v):
    return float(f"{v:.9g}")  # 9 significant digits give back every float32


def array(name, t):
    return {"name": name, "shape": list(t.shape), "data": [num(v) for v in t.detach().reshape(-1).tolist()]}


def dump(doc):
    """One line per field, and per entry of a list of arrays: small files, readable diffs."""
    def line(v):
        return json.dumps(v, separators=(", ", ": "))
    fields = []
    for k, v in doc.items():
        if isinstance(v, list) and v:
            v = "[\n" + ",\n".join("    " + line(e) for e in v) + "\n  ]"
        else:
            v = line(v)
        fields.append(f"  {json.dumps(k)}: {v}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def write_safetensors(path, state):
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # padded to 8 bytes, as the safetensors writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def case(out, cls, bidirectional, num_layers, batch_first, nonlinearity="tanh", bias=True, states=False):
    kind = f"rnn_{nonlinearity}" if cls == "RNN" else cls.lower()
    name = (f"{kind}_{'bi' if bidirectional else 'uni'}_l{num_layers}_{'bf' if batch_first else 'tm'}"
            + ("_nobias" if not bias else "") + ("_states" if states else ""))
    torch.manual_seed(zlib.crc32(name.encode()))
    args = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias)
    if cls == "RNN":
        args["nonlinearity"] = nonlinearity
    module = getattr(torch.nn, cls)(INPUT, HIDDEN, **args).eval()
    x = torch.randn((BATCH, TIME, INPUT) if batch_first else (TIME, BATCH, INPUT))
    stack = num_layers * (2 if bidirectional else 1)
    initial = None
    if states:
        h0 = torch.randn(stack, BATCH, HIDDEN)
        initial = [("h_0", h0)] + ([("c_0", torch.randn(stack, BATCH, HIDDEN))] if cls == "LSTM" else [])
    with torch.no_grad():
        hx = None if initial is None else (tuple(t for _, t in initial) if cls == "LSTM" else initial[0][1])
        output, hn = module(x, hx)
    outputs = [array("output", output)]
    outputs += [array("h_n", hn[0]), array("c_n", hn[1])] if cls == "LSTM" else [array("h_n", hn)]
    write_safetensors(os.path.join(out, name + ".safetensors"), module.state_dict())
    module_json = {"class": cls, "num_layers": num_layers, "bidirectional": bidirectional, "batch_first": batch_first,
                   "bias": bias, "input_size": INPUT, "hidden_size": HIDDEN}
    if cls == "RNN":
        module_json["nonlinearity"] = nonlinearity
    doc = {
        "name": name,
        "description": f"torch.nn.{cls}({INPUT}, {HIDDEN}, " + ", ".join(f"{k}={v}" for k, v in args.items()) + ")"
                       + (" with initial states" if states else ""),
        "reference": REFERENCE,
        "dtype": "float32",
        "tolerance": {"atol": 1e-5, "rtol": 1e-4},
        "model_file": name + ".safetensors",
        "torch_module": module_json,
        "inputs": array("inputs", x),
        "mask": None,
        "initial_state": None if initial is None else [array(n, t) for n, t in initial],
        "outputs": outputs,
    }
    with open(os.path.join(out, name + ".json"), "w") as f:
        f.write(dump(doc))
    return name


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "data", "torch")
    os.makedirs(out, exist_ok=True)
    names = []
    for cls, nonlinearity in [("RNN", "tanh"), ("RNN", "relu"), ("LSTM", "tanh"), ("GRU", "tanh")]:
        for bidirectional in (False, True):
            for num_layers in (1, 2):
                for batch_first in (False, True):
                    names.append(case(out, cls, bidirectional, num_layers, batch_first, nonlinearity))
    names.append(case(out, "LSTM", True, 2, True, bias=False))
    names.append(case(out, "GRU", False, 1, False, bias=False))
    names.append(case(out, "RNN", True, 1, False, "relu", bias=False))
    names.append(case(out, "LSTM", True, 2, False, states=True))
    names.append(case(out, "GRU", True, 2, True, states=True))
    print(f"{len(names)} cases in {out}")


if __name__ == "__main__":
    main()
