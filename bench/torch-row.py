"""One PyTorch row of `npm run bench` (bench/suite.bench.ts), measured in this process.

Loads the model.py that Convas exported for the graph (ConvasNet with Convas's initial weights), reads the same
seeded images and labels the Convas rows train on (raw little-endian float32, then int32 labels), and times
training (SGD, cross-entropy from the logits, batch 32) and inference (eval mode, no autograd, batches of 32) as the
Convas rows do: warm-up, runs sized to about --seconds, --runs timed runs each. Prints one line
"BENCH-RESULT {json}" for the parent. With --gemm, measures torch.mm and one
convolution instead (GFLOPS, one thread).
"""
import argparse
import importlib.util
import json
import resource
import statistics
import time

import torch


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--model", help="model.py exported by Convas")
    p.add_argument("--data", help="images then labels, as written by the parent")
    p.add_argument("--count", type=int, help="how many images the data holds")
    p.add_argument("--shape", help="per-image input shape, e.g. 1,28,28")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--gemm", help="comma-separated sizes: measure torch.mm GFLOPS instead")
    return p.parse_args()


def blas():
    """Which BLAS torch.mm (and so nn.Linear) calls: Debian's torch links the system libblas.so.3."""
    config = torch.__config__.show()
    for part in config.replace(",", "\n").splitlines():
        if "BLAS_INFO" in part:
            return part.split("=")[-1].strip()
    return "unknown"


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def gemm(sizes):
    out = {}
    for n in sizes:
        a = torch.rand(n, n)
        b = torch.rand(n, n)
        c = torch.empty(n, n)
        torch.mm(a, b, out=c)
        reps = max(1, int(2e9 / (2 * n**3)))
        times = [timed(lambda: [torch.mm(a, b, out=c) for _ in range(reps)]) / reps for _ in range(5)]
        out[f"gemm {n}"] = 2 * n**3 / statistics.median(times) / 1e9
    # The VGG-style net's largest convolution (64 -> 64 filters, 3x3, 16x16, batch 32), as bench/suite-rows.ts times it.
    x = torch.rand(32, 64, 16, 16)
    w = torch.rand(64, 64, 3, 3)
    dy = torch.rand(32, 64, 16, 16)
    flops = 2 * 32 * 64 * 64 * 9 * 16 * 16
    back = torch.ops.aten.convolution_backward

    def best(fn):
        fn()
        return flops / statistics.median([timed(fn) for _ in range(7)]) / 1e9

    out["conv fwd"] = best(lambda: torch.nn.functional.conv2d(x, w, padding=1))
    args = (dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)
    out["conv bwd input"] = best(lambda: back(*args, [True, False, False]))
    out["conv bwd filter"] = best(lambda: back(*args, [False, True, False]))
    return out


def main():
    args = parse()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.gemm:
        result = gemm([int(s) for s in args.gemm.split(",")])
        print("BENCH-RESULT " + json.dumps(result), flush=True)
        return
    spec = importlib.util.spec_from_file_location("convas_model", args.model)
    model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model)
    net = model.ConvasNet()
    model.load_convas_weights(net)

    shape = [int(s) for s in args.shape.split(",")]
    per = 1
    for d in shape:
        per *= d
    with open(args.data, "rb") as f:
        raw = f.read()
    x = torch.frombuffer(bytearray(raw[: args.count * per * 4]), dtype=torch.float32).reshape(args.count, *shape)
    labels = torch.frombuffer(bytearray(raw[args.count * per * 4 :]), dtype=torch.int32).long()
    batches = args.count // args.batch
    opt = torch.optim.SGD(net.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    B = args.batch

    def train(steps):
        net.train()
        for s in range(steps):
            k = s % batches
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[k * B : (k + 1) * B], logits=True), labels[k * B : (k + 1) * B])
            loss.backward()
            opt.step()
        loss.item()

    def infer(images):
        net.eval()
        with torch.inference_mode():
            for at in range(0, images, B):
                k = (at // B) % batches
                net(x[k * B : (k + 1) * B])

    # Warm-up, then size the runs as the Convas rows do (bench/suite-rows.ts).
    train(2)
    step = timed(lambda: train(4)) / 4
    steps = max(1, min(5000, round(args.seconds / step)))
    infer(B * 2)
    per_batch = timed(lambda: infer(B * 4)) / 4
    images = B * max(1, min(20000, round(args.seconds / per_batch)))
    train_runs = [steps * B / timed(lambda: train(steps)) for _ in range(args.runs)]
    infer_runs = [images / timed(lambda: infer(images)) for _ in range(args.runs)]
    result = {
        "train_ips": statistics.median(train_runs),
        "infer_ips": statistics.median(infer_runs),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "trainRuns": train_runs,
        "inferRuns": infer_runs,
        "notes": [
            f"torch {torch.__version__} ({args.threads} thread{'s' if args.threads > 1 else ''}): "
            f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}, BLAS {blas()} (nn.Linear runs on the system libblas)"
        ],
    }
    print("BENCH-RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
