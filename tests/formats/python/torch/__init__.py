"""A stand-in for PyTorch, written with numpy, for testing the generated model.py where torch cannot be installed.

It implements only what model.py uses, with PyTorch's constructor signatures, weight shapes, state_dict
names and inference semantics, so that running the generated ConvasNet on it checks the generated code:
the layer arguments (through the weight shapes), the weight names, and the wiring of forward().
"""
import numpy as np

from . import nn  # noqa: F401  (torch.nn, as `from torch import nn` expects)
from ._tensor import Tensor, tensor_of  # noqa: F401

float32 = np.float32


def frombuffer(buffer, dtype):
    assert dtype is float32, "model.py reads float32 only"
    return tensor_of(np.frombuffer(bytes(buffer), dtype="<f4").astype(np.float32))


def cat(tensors, dim):
    return tensor_of(np.concatenate(tensors, axis=dim))


def zeros(*shape):
    return tensor_of(np.zeros(shape, dtype=np.float32))


class no_grad:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn
