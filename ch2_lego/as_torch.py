"""Run a PyTorch script unchanged on ch2_lego: `python -m ch2_lego.as_torch script.py args...`.

`import ch2_lego as torch` is not enough for real scripts: they write `from torch.nn import
functional as F` or `from torch.utils.data.dataloader import DataLoader`, which name modules.
An import hook answers every `torch` and `torch.<x>.<y>` import with the module
`ch2_lego.<x>.<y>` (the same module object, so classes are never loaded twice); then the script
runs with runpy as `__main__`, with its own sys.argv and its folder first on sys.path, as
`python script.py` would run it. A script that imports a part of torch ch2_lego lacks stops
at that import with a ModuleNotFoundError that names the module.
Left out: the torch C extension (`torch._C`), and any module ch2_lego does not define.
"""

import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

PACKAGE = "ch2_lego"


# --8<-- [start:torch_alias]
class TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook that loads `torch.<name>` as `ch2_lego.<name>`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None  # not ours: the other finders look for it
        ours = PACKAGE + fullname[len("torch"):]
        if importlib.util.find_spec(ours) is None:
            raise ModuleNotFoundError(
                f"No module named '{fullname}': ch2_lego stands in for torch here, and it has "
                f"no {ours} (this script needs a part of PyTorch that ch2_lego does not build)",
                name=fullname)
        return importlib.util.spec_from_loader(fullname, self, origin=ours)

    def create_module(self, spec):
        # The module is ch2_lego's own: `torch.nn is ch2_lego.nn` holds.
        module = importlib.import_module(spec.origin)
        self._own_spec = module.__spec__  # the import system overwrites it; put it back below
        return module

    def exec_module(self, module):
        module.__spec__ = self._own_spec  # already executed, as ch2_lego.<name>
# --8<-- [end:torch_alias]


# --8<-- [start:torch_is_ch2_lego]
@contextlib.contextmanager
def torch_is_ch2_lego():
    """Inside the block, `import torch` (and every `torch.x`) gives ch2_lego's modules.

    A real torch already imported is set aside and restored on exit, so tests and notebooks can
    run the same script under both.
    """
    real = {name: sys.modules.pop(name) for name in list(sys.modules)
            if name == "torch" or name.startswith("torch.")}
    hook = TorchAlias()
    sys.meta_path.insert(0, hook)  # first, so no other finder loads ch2_lego's files twice
    try:
        yield
    finally:
        sys.meta_path.remove(hook)
        for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
            del sys.modules[name]
        sys.modules.update(real)
# --8<-- [end:torch_is_ch2_lego]


# --8<-- [start:run_script]
def run_script(path: str, args=(), torch_module: str = PACKAGE) -> dict:
    """Run the script at `path` as `python path *args` would, with torch = ch2_lego.

    torch_module="torch" runs it under the real PyTorch instead (the same set-up otherwise),
    so a test can compare the two. Returns the script's globals.
    """
    if isinstance(args, str):  # list("--a 1") would pass the script one character each
        raise TypeError(f"run_script: args must be a list of strings, as sys.argv holds, not "
                        f"the string {args!r} (shlex.split({args!r}) makes the list)")
    path = os.path.abspath(path)
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(path))  # the script's own modules (model.py, ...)
    before = set(sys.modules)
    alias = torch_is_ch2_lego() if torch_module == PACKAGE else contextlib.nullcontext()
    try:
        with alias:
            return runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        # The script's own modules were imported against this torch: forget them.
        folder = os.path.dirname(path) + os.sep
        for name in set(sys.modules) - before:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(folder):
                del sys.modules[name]
# --8<-- [end:run_script]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m ch2_lego.as_torch script.py [args...]\n"
              "Runs a PyTorch script unchanged, with ch2_lego in the place of torch.")
        return 0 if argv else 2
    if not os.path.exists(argv[0]):  # Python's own words for `python missing.py`
        print(f"python -m ch2_lego.as_torch: can't open file '{os.path.abspath(argv[0])}': "
              "[Errno 2] No such file or directory", file=sys.stderr)
        return 2
    run_script(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
