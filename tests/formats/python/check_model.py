"""Runs a Convas PyTorch export on the numpy stand-in for torch and reports what the test checks.

    python3 check_model.py EXPORT_DIR WEIGHTS INPUT.bin COUNT OUT_DIR [OTHER_WEIGHTS]

Prints one JSON object: the weight names and shapes of the safetensors header and of ConvasNet's
state_dict (through WEIGHT_NAMES), and the error load_convas_weights raises for OTHER_WEIGHTS. Writes the
forward outputs (probs.bin, logits.bin, float32) and save_convas_weights' file (saved.safetensors) to OUT_DIR.
"""
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def header_of(path):
    """The safetensors header, read independently of the generated reader."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    header.pop("__metadata__", None)
    return header


def main():
    export_dir, weights, input_path, count, out_dir = sys.argv[1:6]
    other = sys.argv[6] if len(sys.argv) > 6 else None
    sys.path[:0] = [HERE, export_dir]  # the stand-in torch first, then the generated model.py
    import model  # noqa: E402

    net = model.ConvasNet()
    state = net.state_dict()
    header = header_of(weights)
    report = {
        "file": {name: info["shape"] for name, info in header.items()},
        "mapped": {ours: list(state[theirs].shape) for ours, theirs in model.WEIGHT_NAMES.items() if theirs in state},
        "missing_in_module": sorted(theirs for theirs in model.WEIGHT_NAMES.values() if theirs not in state),
        "unmapped_in_module": sorted(k for k in state if k not in set(model.WEIGHT_NAMES.values())),
        "input_shape": list(model.INPUT_SHAPE),
        "num_outputs": model.NUM_OUTPUTS,
    }

    model.load_convas_weights(net, weights)
    net.eval()
    x = np.fromfile(input_path, dtype="<f4").astype(np.float64).reshape((int(count),) + tuple(model.INPUT_SHAPE))
    net(x).astype("<f4").tofile(os.path.join(out_dir, "probs.bin"))
    net(x, logits=True).astype("<f4").tofile(os.path.join(out_dir, "logits.bin"))
    model.save_convas_weights(net, os.path.join(out_dir, "saved.safetensors"))

    if other:
        try:
            model.load_convas_weights(model.ConvasNet(), other)
            report["other_error"] = None
        except (KeyError, ValueError) as e:
            report["other_error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(report))


if __name__ == "__main__":
    main()
