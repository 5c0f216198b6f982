"""torch.nn for the numpy stand-in: modules with PyTorch's signatures, parameter shapes and eval-mode maths."""
from collections import OrderedDict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._tensor import tensor_of


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class Module:
    def __init__(self):
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_tensors", OrderedDict())
        self.training = True

    def __setattr__(self, name, value):
        if isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def _tensor(self, name, array):
        self._tensors[name] = np.asarray(array)

    def state_dict(self):
        out = OrderedDict((k, tensor_of(v)) for k, v in self._tensors.items())
        for name, m in self._modules.items():
            for k, v in m.state_dict().items():
                out[f"{name}.{k}"] = v
        return out

    def load_state_dict(self, state):
        mine = self.state_dict()
        missing = sorted(set(mine) - set(state))
        unexpected = sorted(set(state) - set(mine))
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in loading state_dict: missing {missing}, unexpected {unexpected}")
        for key, value in state.items():
            owner, name = self, key
            while "." in name:
                head, name = name.split(".", 1)
                owner = owner._modules[head]
            value = np.asarray(value)
            if value.shape != owner._tensors[name].shape:
                raise RuntimeError(f"size mismatch for {key}: {value.shape} vs {owner._tensors[name].shape}")
            owner._tensors[name] = value.astype(owner._tensors[name].dtype)

    def eval(self):
        self.training = False
        for m in self._modules.values():
            m.eval()
        return self

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def t(self, name):
        return self._tensors[name].astype(np.float64)


def _windows(x, kh, kw, stride):
    """[N, C, OH, OW, kh, kw] views of every window, stepping by stride (PyTorch's floor rule)."""
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


class Conv2d(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros"):
        super().__init__()
        assert dilation == 1 and groups == 1 and padding_mode == "zeros"
        self.kh, self.kw = _pair(kernel_size)
        assert isinstance(stride, int), "model.py passes one stride"
        self.stride = stride
        self.padding = _pair(padding)
        self._tensor("weight", np.zeros((out_channels, in_channels, self.kh, self.kw), np.float32))
        if bias:
            self._tensor("bias", np.zeros(out_channels, np.float32))

    def forward(self, x):
        ph, pw = self.padding
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        win = _windows(x, self.kh, self.kw, self.stride)
        n, c, oh, ow = win.shape[:4]
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * self.kh * self.kw)
        w = self.t("weight")
        y = cols @ w.reshape(w.shape[0], -1).T
        if "bias" in self._tensors:
            y = y + self.t("bias")
        return y.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)


class ZeroPad2d(Module):
    def __init__(self, padding):
        super().__init__()
        self.left, self.right, self.top, self.bottom = padding

    def forward(self, x):
        return np.pad(x, ((0, 0), (0, 0), (self.top, self.bottom), (self.left, self.right)))


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        assert isinstance(kernel_size, int) and isinstance(padding, int)
        if 2 * padding > kernel_size:
            raise RuntimeError("pad should be at most half of effective kernel size")  # as PyTorch refuses
        self.k, self.stride, self.padding = kernel_size, stride or kernel_size, padding

    def padded(self, x, value):
        p = self.padding
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=value)


class MaxPool2d(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding)
        assert dilation == 1 and not return_indices and not ceil_mode

    def forward(self, x):
        return _windows(self.padded(x, -np.inf), self.k, self.k, self.stride).max(axis=(4, 5))


class AvgPool2d(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding)
        assert not ceil_mode and divisor_override is None
        self.count_include_pad = count_include_pad

    def forward(self, x):
        sums = _windows(self.padded(x, 0.0), self.k, self.k, self.stride).sum(axis=(4, 5))
        if self.count_include_pad:
            return sums / (self.k * self.k)
        ones = np.ones((1, 1) + x.shape[2:])
        counts = _windows(self.padded(ones, 0.0), self.k, self.k, self.stride).sum(axis=(4, 5))
        return sums / counts


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        assert start_dim == 1 and end_dim == -1

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self._tensor("weight", np.zeros((out_features, in_features), np.float32))
        if bias:
            self._tensor("bias", np.zeros(out_features, np.float32))

    def forward(self, x):
        y = x @ self.t("weight").T
        return y + self.t("bias") if "bias" in self._tensors else y


class _BatchNorm(Module):
    rank = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        assert affine and track_running_stats
        self.eps = eps
        self._tensor("weight", np.ones(num_features, np.float32))
        self._tensor("bias", np.zeros(num_features, np.float32))
        self._tensor("running_mean", np.zeros(num_features, np.float32))
        self._tensor("running_var", np.ones(num_features, np.float32))
        self._tensor("num_batches_tracked", np.zeros((), np.int64))

    def forward(self, x):
        assert not self.training, "the stand-in computes inference only"
        assert x.ndim == self.rank, f"{type(self).__name__} got rank {x.ndim}"
        shape = (1, -1) + (1,) * (x.ndim - 2)
        scale = self.t("weight") / np.sqrt(self.t("running_var") + self.eps)
        return (x - self.t("running_mean").reshape(shape)) * scale.reshape(shape) + self.t("bias").reshape(shape)


class BatchNorm2d(_BatchNorm):
    rank = 4


class BatchNorm1d(_BatchNorm):
    rank = 2


class ReLU(Module):
    def forward(self, x):
        return np.maximum(x, 0)


class Sigmoid(Module):
    def forward(self, x):
        return 1 / (1 + np.exp(-x))


class Tanh(Module):
    def forward(self, x):
        return np.tanh(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.slope = negative_slope

    def forward(self, x):
        return np.where(x > 0, x, self.slope * x)


class Softmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.dim, keepdims=True))
        return e / e.sum(axis=self.dim, keepdims=True)


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        assert 0 <= p < 1

    def forward(self, x):
        assert not self.training, "the stand-in computes inference only"
        return x
