#!/usr/bin/env python3
"""Markdown tables from a peers-bench results file (out/latest.json or out/results-*.json).

usage: peers_tables.py RESULTS.json [--infer-peer birnn] [--train-peer birnn-train]

Inference: ms per call of every inference peer and of birnn (the --entry named by
--infer-peer), per workload x cell x threads, and birnn's ratio to the fastest other peer
that computes the same function (onednn-gru-plain computes Keras GRU(reset_after=False),
so it is shown but not compared). Ratio > 1: birnn is slower.

Training: peers-bench files command peers under the inference table, so the training
entry (--train-peer) shows up there with mode "infer"; this script pairs it with the
torch-train peer of the same job and prints ms per training step and torch / birnn.

Figures are the harness's: per job and peer the median of the best round (quick: the only
round); the ratios come from measurements of the same run, seconds apart.
"""
import argparse
import json

CELLS = ["lstm", "gru", "rnn"]
NOT_COMPARED = {"onednn-gru-plain"}
TRAIN_PEERS = {"torch-train"}


def fmt(ms):
    if ms is None:
        return "-"
    return f"{ms:.3f}" if ms < 10 else (f"{ms:.2f}" if ms < 100 else f"{ms:.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--infer-peer", default="birnn")
    ap.add_argument("--train-peer", default="birnn-train")
    o = ap.parse_args()
    with open(o.results) as f:
        doc = json.load(f)
    rows = [r for r in doc["summary"] if "median_ms" in r]
    idx = {(r["peer"], r["workload"], r["cell"], r["threads"]): r for r in rows}
    jobs = sorted({(r["threads"], r["workload"], CELLS.index(r["cell"])) for r in rows})
    jobs = [(w, CELLS[c], t) for t, w, c in jobs]
    m = doc.get("machine", {})
    print(f"results {doc.get('when')} ({doc.get('profile')}, {doc.get('rounds')} round(s)); "
          f"load average {m.get('loadavg_start', ['?'])[0]:.2f} at the start, "
          f"{m.get('loadavg_end', ['?'])[0]:.2f} at the end; wall {m.get('wall_s')} s\n")

    infer = [p for p in dict.fromkeys(r["peer"] for r in rows)
             if p not in TRAIN_PEERS and p not in (o.infer_peer, o.train_peer)]
    order = ["torch", "onednn", "onednn-gru-plain", "onnxruntime"]
    infer.sort(key=lambda p: order.index(p) if p in order else 99)
    if any(k[0] == o.infer_peer for k in idx):
        print("| job | rt ns | " + " | ".join(infer) + f" | {o.infer_peer} | fastest peer | {o.infer_peer} / fastest |")
        print("|---|---:|" + "---:|" * len(infer) + "---:|---|---:|")
        for w, c, t in jobs:
            b = idx.get((o.infer_peer, w, c, t))
            if b is None:
                continue
            peers = {p: idx[(p, w, c, t)]["median_ms"] for p in infer if (p, w, c, t) in idx}
            cmp = {p: v for p, v in peers.items() if p not in NOT_COMPARED}
            best = min(cmp, key=cmp.get) if cmp else None
            rt = b.get("roundtrip_ns")
            cells = [fmt(peers.get(p)) for p in infer]
            ratio = f"{b['median_ms'] / cmp[best]:.2f}" if best else "-"
            print(f"| {w} {c} t{t} | {'' if rt is None else f'{rt:.0f}'} | " + " | ".join(cells)
                  + f" | {fmt(b['median_ms'])} | {best or '-'} | {ratio} |")
        print()

    if any(k[0] == o.train_peer for k in idx):
        print(f"| job | torch-train ms | {o.train_peer} ms | torch / birnn | torch seq/s | birnn seq/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for w, c, t in jobs:
            tt, bt = idx.get(("torch-train", w, c, t)), idx.get((o.train_peer, w, c, t))
            if tt is None or bt is None:
                continue
            print(f"| {w} {c} t{t} | {fmt(tt['median_ms'])} | {fmt(bt['median_ms'])} | "
                  f"{tt['median_ms'] / bt['median_ms']:.1f} | {tt['seq_per_s']:.0f} | {bt['seq_per_s']:.0f} |")
        print()


if __name__ == "__main__":
    main()
