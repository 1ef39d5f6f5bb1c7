"""nn.Module: the base class of every layer and model, as in torch.nn.Module.

A Module owns three name -> value tables, filled by plain attribute assignment: parameters
(trained), buffers (state that is saved but not trained, e.g. BatchNorm's running mean) and
submodules. Everything else (parameters(), state_dict(), train(), to(), repr) walks that tree.
Left out: hooks, and the device/dtype dispatch of `_apply` beyond what `to()` needs.
"""

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator

from ch2_lego.dtype import DType, bfloat16, float16, float32, float64
from ch2_lego.grad_mode import no_grad
from ch2_lego.nn.errors import LayerArgumentError, ModuleError, StateDictError
from ch2_lego.nn.parameter import Parameter
from ch2_lego.tensor import Tensor

# What load_state_dict returns (PyTorch's name and fields).
_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of all layers: subclasses set attributes in __init__ and define forward()."""

    training: bool

    # *** 1. registration: attribute assignment sorts values into three tables ***

    # --8<-- [start:module_init]
    def __init__(self):
        # object.__setattr__ skips our own __setattr__, which needs these tables to exist.
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
    # --8<-- [end:module_init]

    # --8<-- [start:module_setattr]
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign before Module.__init__() call")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in params:  # a registered parameter may only become another or None
            if value is not None:
                raise ModuleError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(torch.nn.Parameter or None expected)"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise ModuleError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(torch.nn.Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise ModuleError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(torch.Tensor or None expected)"
                )
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: the name may live in one of the tables.
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
    # --8<-- [end:module_setattr]

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _forget(self, name: str) -> None:
        """Remove `name` from every table and from the instance dict before re-registering it."""
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        self._non_persistent_buffers.discard(name)
        self.__dict__.pop(name, None)

    def _check_name(self, name: str, kind: str) -> None:
        if not isinstance(name, str):
            raise ModuleError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f'{kind} name can\'t contain "." and can\'t be empty, got "{name}"')
        if name in self.__dict__ or (hasattr(type(self), name)):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, as Linear(bias=False) does)."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise ModuleError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: saved in state_dict (unless not persistent), moved by to(), not trained."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ModuleError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a submodule under `name` (what Sequential and ModuleList use for '0', '1', ...)."""
        if module is not None and not isinstance(module, Module):
            raise ModuleError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # *** 2. calling: forward ***

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # *** 3. walking the tree ***

    # --8<-- [start:module_named_parameters]
    def named_modules(self, memo: set | None = None, prefix: str = "") -> Iterator:
        """(qualified name, module) for self and every descendant, each module once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def _named_members(self, table: str, prefix: str, recurse: bool) -> Iterator:
        # A tensor shared by two modules (tied weights) is reported once, under its first name.
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator:
        """(qualified name, parameter) pairs, e.g. ('0.weight', ...), in registration order."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param
    # --8<-- [end:module_named_parameters]

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_children(self) -> Iterator:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def get_submodule(self, target: str) -> "Module":
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call fn on every submodule (children first), then on self: how models re-initialise."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # *** 4. state: state_dict and load_state_dict ***

    # --8<-- [start:module_state_dict]
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter and persistent buffer by qualified name, detached unless keep_vars."""
        out = OrderedDict() if destination is None else destination
        for name, param in self._parameters.items():
            if param is not None:
                out[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers:
                out[prefix + name] = buf if keep_vars else buf.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(out, prefix + name + ".", keep_vars)
        return out
    # --8<-- [end:module_state_dict]

    # --8<-- [start:module_load_state_dict]
    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy tensors from `state_dict` into this module's parameters and buffers, in place.

        Shapes must match exactly. With strict=True a missing or unexpected key is an error;
        every problem is collected first and reported in one RuntimeError, as PyTorch does.
        With assign=True the module takes the given tensors themselves instead of copies (a
        parameter is re-wrapped as a Parameter that keeps its requires_grad).
        """
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            source = state_dict[key]
            if not isinstance(source, Tensor):
                errors.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(source)}"
                )
            elif tuple(source.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{_size(source.shape)} from checkpoint, the shape in current model is "
                    f"{_size(target.shape)}."
                )
        if strict:
            if unexpected:
                keys = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {keys}. ")
            if missing:
                keys = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {keys}. ")
        if errors:
            details = "\n\t".join(errors)
            raise StateDictError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t{details}"
            )
        with no_grad():
            for key, target in own.items():
                if key not in state_dict:
                    continue
                if assign:
                    self._assign(key, target, state_dict[key])
                else:
                    target.copy_(state_dict[key])
        return _IncompatibleKeys(missing, unexpected)

    def _assign(self, key: str, target: Tensor, source: Tensor) -> None:
        """Make `source` itself the parameter or buffer named by the qualified `key`."""
        path, _, name = key.rpartition(".")
        module = self.get_submodule(path)
        if isinstance(target, Parameter):
            module._parameters[name] = Parameter(source, target.requires_grad)
        else:
            module._buffers[name] = source
    # --8<-- [end:module_load_state_dict]

    # *** 5. modes, gradients, devices and dtypes ***

    def train(self, mode: bool = True) -> "Module":
        """Set training mode here and below: Dropout drops, BatchNorm uses batch statistics."""
        if not isinstance(mode, bool):
            raise LayerArgumentError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients (set_to_none frees them, as PyTorch's default does)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.zero_()

    def to(self, *args, **kwargs) -> "Module":
        """Move or cast every parameter and buffer in place: `to("cpu")`, `to(torch.float64)`.

        Floating-point tensors take a new dtype; integer buffers keep theirs, as in PyTorch.
        Parameters keep their identity (only their data is replaced), so an optimizer built
        before the call still holds the right objects.
        """
        dtypes = [a for a in (*args, kwargs.get("dtype")) if isinstance(a, DType)]
        if any(not d.is_floating_point for d in dtypes):
            raise ModuleError(
                "nn.Module.to only accepts floating point or complex dtypes, but got desired "
                f"dtype={dtypes[0]}"
            )
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    with no_grad():
                        param.data = _convert(param.data, args, kwargs)
                    if param.grad is not None:
                        param.grad = _convert(param.grad, args, kwargs)
            for name, buf in module._buffers.items():
                if buf is not None:
                    module._buffers[name] = _convert(buf, args, kwargs)
        return self

    def double(self) -> "Module":
        return self.to(float64)

    def float(self) -> "Module":
        return self.to(float32)

    def half(self) -> "Module":
        return self.to(float16)

    def bfloat16(self) -> "Module":
        return self.to(bfloat16)

    # *** 6. printing ***

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr line; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, child in self._modules.items():
            child_lines = repr(child).split("\n")
            child_lines[1:] = ["  " + line for line in child_lines[1:]]
            lines.append(f"({name}): " + "\n".join(child_lines))
        if not self._modules and len(lines) <= 1:
            return f"{type(self).__name__}({''.join(lines)})"
        body = "\n".join("  " + line for line in lines)
        return f"{type(self).__name__}(\n{body}\n)"


def _size(shape) -> str:
    return f"torch.Size([{', '.join(str(int(d)) for d in shape)}])"


def _convert(tensor: Tensor, args, kwargs) -> Tensor:
    """tensor.to(...), except that a dtype applies to floating-point tensors only."""
    if tensor.is_floating_point():
        return tensor.to(*args, **kwargs)
    args = tuple(a for a in args if isinstance(a, str))  # keep only a device
    kwargs = {k: v for k, v in kwargs.items() if k == "device"}
    return tensor.to(*args, **kwargs) if args or kwargs else tensor
