"""Load a chapter-2 model file with another torch-like library standing in for ch2_lego.

The model files (mlp_lm.py, gpt.py, cnn.py) import only `ch2_lego`, `ch2_lego.nn` and
`ch2_lego.nn.functional`. Executing such a file while those three names point at torch,
torch.nn and torch.nn.functional yields the very same model classes built on PyTorch: the
benchmark and the tests compare the two twins with no second copy of the model code;
copy_weights gives the twin the same weights, through numpy.
"""

import importlib
import importlib.util
import sys
from types import ModuleType

import numpy as np

_STAND_INS = ("ch2_lego", "ch2_lego.nn", "ch2_lego.nn.functional")


def load_with(module_name: str, lib: ModuleType) -> ModuleType:
    """A fresh copy of module `module_name` (e.g. "ch2_lego.models.gpt") executed on `lib`."""
    spec = importlib.util.find_spec(module_name)
    if lib.__name__ == "ch2_lego":
        return importlib.import_module(module_name)
    twin = importlib.util.module_from_spec(
        importlib.util.spec_from_file_location(f"{module_name}[{lib.__name__}]", spec.origin)
    )
    saved = {name: sys.modules.get(name) for name in _STAND_INS}
    sys.modules.update(
        {"ch2_lego": lib, "ch2_lego.nn": lib.nn, "ch2_lego.nn.functional": lib.nn.functional}
    )
    try:
        twin.__spec__.loader.exec_module(twin)
    finally:  # put the real packages back whatever happened
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return twin


def copy_weights(src, dst, dst_lib: ModuleType) -> None:
    """Load src's state_dict into its twin dst (of library dst_lib), through numpy copies."""
    state = {name: dst_lib.tensor(np.array(value.detach().numpy(), copy=True))
             for name, value in src.state_dict().items()}
    dst.load_state_dict(state)
