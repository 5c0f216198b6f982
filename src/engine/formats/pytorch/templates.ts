/**
 * The fixed parts of the generated Python: reading and writing Convas safetensors files without any
 * package beyond torch, and the DistributedDataParallel training script. Kept as text here so that the
 * generator (export.ts) only fills in what depends on the graph.
 */

/** The input transform, appended to model.py (it uses IMAGE_SHAPE and FLAT_INPUT). PIL is imported only when called. */
export const PREPROCESS = `
def preprocess(image):
    """A PIL image as the network's input: grayscale or RGB as IMAGE_SHAPE says, resized to its height and width,
    each 8-bit pixel divided by 255 (INPUT_RANGE), channels first, flattened for a vector input. As Convas reads images."""
    from PIL import Image

    channels, height, width = IMAGE_SHAPE
    if channels not in (1, 3):
        raise ValueError(f"the network takes {channels} channels; images give 1 (grayscale) or 3 (RGB)")
    image = image.convert("L" if channels == 1 else "RGB").resize((width, height), Image.BILINEAR)
    t = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).to(torch.float32).div(255)
    t = t.reshape(height, width, channels).permute(2, 0, 1).contiguous()
    return t.reshape(-1) if FLAT_INPUT else t
`;

/** Functions appended to model.py. They use WEIGHT_NAMES and WEIGHTS_FILE, defined above them. */
export const WEIGHT_IO = `
def read_safetensors(path):
    """The float32 tensors of a safetensors file, by name. Checks the header against the bytes; runs nothing from the file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise ValueError(f"{path}: the header claims {size} bytes, the file has {len(data) - 8} after the length")
    header = json.loads(data[8 : 8 + size].decode("utf-8"))
    base = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name!r} is {info['dtype']}, Convas weights are F32")
        begin, end = info["data_offsets"]
        count = 1
        for d in info["shape"]:
            count *= d
        if not 0 <= begin <= end <= len(data) - base or end - begin != 4 * count:
            raise ValueError(f"{path}: tensor {name!r} has data_offsets {begin}..{end} that do not fit its shape or the file")
        # safetensors is little-endian, as is every machine PyTorch runs on.
        tensors[name] = torch.frombuffer(bytearray(data[base + begin : base + end]), dtype=torch.float32).reshape(info["shape"])
    return tensors


def load_convas_weights(model, path=WEIGHTS_FILE):
    """Fills the model from a Convas safetensors file: every weight must be there, with the model's shape."""
    module = model.module if hasattr(model, "module") else model  # unwrap DistributedDataParallel
    tensors = read_safetensors(path)
    unknown = sorted(set(tensors) - set(WEIGHT_NAMES))
    if unknown:
        raise KeyError(f"{path}: tensors this network has no place for: {unknown}")
    state = module.state_dict()
    for convas_name, torch_name in WEIGHT_NAMES.items():
        if convas_name not in tensors:
            raise KeyError(f"{path}: no tensor {convas_name!r}")
        t = tensors[convas_name]
        want = tuple(state[torch_name].shape)
        if tuple(t.shape) != want:
            raise ValueError(f"{path}: tensor {convas_name!r} has shape {tuple(t.shape)}, the model needs {want}")
        state[torch_name] = t
    module.load_state_dict(state)


def save_convas_weights(model, path):
    """Writes the model's weights under their Convas names as float32 safetensors, which Convas opens again."""
    module = model.module if hasattr(model, "module") else model
    state = module.state_dict()
    header, chunks, offset = {}, [], 0
    for convas_name in sorted(WEIGHT_NAMES):
        t = state[WEIGHT_NAMES[convas_name]].detach().to("cpu", torch.float32).contiguous()
        raw = struct.pack(f"<{t.numel()}f", *t.flatten().tolist())
        header[convas_name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - (8 + len(text)) % 8) % 8)  # the data starts 8-byte aligned, as the reference writer does
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode("ascii"))
        for raw in chunks:
            f.write(raw)
    os.replace(tmp, path)  # a crash mid-write leaves any earlier file intact
`;

/** train.py: torchrun + DistributedDataParallel on an image folder. `$NAME` is replaced by the network's name. */
export const TRAIN_SCRIPT = `"""Trains the Convas network $NAME on an image folder, on one GPU or many, with DistributedDataParallel.

    torchrun --standalone --nproc_per_node=4 train.py --data path/to/train --val path/to/test --epochs 10
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 train.py --data ...
    python train.py --data path/to/train            # one process, no torchrun

The folder holds one sub-folder per class, as in Convas (sorted by name: label i is the i-th folder).
Images go through model.preprocess: the network's input size, scaled to [0, 1], as Convas does. Training starts
from the exported Convas weights (--from-scratch to start from PyTorch's initialisation), minimises the
cross-entropy of the network's scores (its input to the final softmax) and saves the weights in Convas's
safetensors format (--out), so that the trained network opens in Convas again.
Needs torch and Pillow (PIL), nothing else.
"""
import argparse
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torch.utils.data import Dataset

from model import CLASSES, NUM_OUTPUTS, WEIGHTS_FILE, ConvasNet, load_convas_weights, preprocess, save_convas_weights

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="training image folder, one sub-folder per class")
    ap.add_argument("--val", help="validation image folder with the same classes (accuracy printed each epoch)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64, help="per process; the global batch is this times the processes")
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    ap.add_argument("--weights", default=WEIGHTS_FILE, help="Convas safetensors weights to start from")
    ap.add_argument("--from-scratch", action="store_true", help="ignore --weights")
    ap.add_argument("--out", default="trained.safetensors", help="where to save the trained weights")
    ap.add_argument("--workers", type=int, default=4, help="data-loading processes per training process")
    ap.add_argument("--cpu", action="store_true", help="train on CPU (the gloo backend) even if CUDA is available")
    return ap.parse_args()


class ImageFolder(Dataset):
    """One sub-folder of images per class, sorted by name (label i is the i-th folder), through model.preprocess."""

    def __init__(self, root):
        self.classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        self.samples = [
            (os.path.join(root, name, f), label)
            for label, name in enumerate(self.classes)
            for f in sorted(os.listdir(os.path.join(root, name)))
            if f.lower().endswith(IMAGE_EXTENSIONS)
        ]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        from PIL import Image

        with Image.open(path) as image:
            return preprocess(image), label


def load_folder(path):
    data = ImageFolder(path)
    if len(data.classes) != NUM_OUTPUTS:
        raise SystemExit(f"{path} has {len(data.classes)} classes ({', '.join(data.classes)}); the network has {NUM_OUTPUTS} outputs")
    if data.classes != CLASSES and not all(c.startswith("class ") for c in CLASSES):
        print(f"note: {path}'s folders {data.classes} are not the model's CLASSES {CLASSES}; labels follow the folders", flush=True)
    return data


@torch.no_grad()
def accuracy(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        correct += (model(x, logits=True).argmax(1) == y).sum().item()
        total += len(y)
    return correct / max(total, 1)


def main():
    args = parse_args()
    distributed = "RANK" in os.environ  # set by torchrun
    use_cuda = torch.cuda.is_available() and not args.cpu
    if distributed:
        dist.init_process_group("nccl" if use_cuda else "gloo")
        rank, world, local_rank = dist.get_rank(), dist.get_world_size(), int(os.environ["LOCAL_RANK"])
    else:
        rank, world, local_rank = 0, 1, 0
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(0)  # the same initialisation on every process (DDP also broadcasts rank 0's weights)

    model = ConvasNet()
    if not args.from_scratch:
        load_convas_weights(model, args.weights)
    model.to(device)
    net = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None) if distributed else model

    train_set = load_folder(args.data)
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True) if distributed else None
    loader = DataLoader(
        train_set,
        batch_size=args.batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        num_workers=args.workers,
        pin_memory=use_cuda,
        drop_last=distributed,
    )
    val_loader = DataLoader(load_folder(args.val), batch_size=256, num_workers=args.workers) if args.val and rank == 0 else None
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)  # a different shuffle each epoch, the same on every process
        net.train()
        total = torch.zeros((), device=device)
        count = torch.zeros((), device=device)
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(x, logits=True), y)
            loss.backward()  # DDP averages the gradients across processes here
            optimizer.step()
            total += loss.detach() * len(y)
            count += len(y)
        if distributed:
            dist.all_reduce(total)
            dist.all_reduce(count)
        if rank == 0:
            line = f"epoch {epoch + 1}/{args.epochs}: loss {(total / count).item():.4f}"
            if val_loader is not None:
                line += f", validation accuracy {accuracy(model, val_loader, device):.4f}"
            print(line, flush=True)

    if rank == 0:
        save_convas_weights(model, args.out)
        print(f"saved {args.out}; open it in Convas or load it with model.load_convas_weights", flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
