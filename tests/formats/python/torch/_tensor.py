"""The stand-in's tensor type: a numpy array with the torch.Tensor methods model.py calls."""
import numpy as np


class Tensor(np.ndarray):
    """A numpy array with the few torch.Tensor methods model.py calls."""

    def detach(self):
        return self

    def to(self, *args, **kwargs):
        return self.astype(np.float32)

    def contiguous(self):
        return np.ascontiguousarray(self).view(Tensor)

    def cpu(self):
        return self

    def numel(self):
        return int(self.size)


def tensor_of(array):
    return np.asarray(array).view(Tensor)
