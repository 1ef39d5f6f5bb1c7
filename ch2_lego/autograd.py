"""Reverse-mode autograd on tensors: graph nodes, the backward pass, and autograd.grad.

Every differentiable op is a `Function` node that remembers the nodes of its inputs
(`next_functions`); a leaf that requires grad ends in an `AccumulateGrad` node that adds into
`.grad`. `backward` orders the nodes reachable from the output topologically, then runs each
node's backward once all gradient for it has arrived. Grads of a broadcast input are reduced by
the op's backward (see `unbroadcast`), so they always have the input's shape.

This module sits below tensor.py: it knows a tensor as `TensorBase` (a Buffer and its autograd
state) and calls only Tensor methods on the gradients it moves (duck-typed).
"""

from __future__ import annotations

import sys

from ch2_lego import grad_mode
from ch2_lego.buffer import Buffer
from ch2_lego.errors import AutogradError
from ch2_lego.grad_mode import (  # noqa: F401 (torch.autograd exports these too)
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

# *** 1. the graph node ***


class TensorBase:
    """What autograd keeps of a tensor: its Buffer and its place in the graph. Tensor
    (tensor.py) subclasses this and adds the front end; `_wrap(buffer)` makes a new Tensor."""

    __slots__ = ("_buf", "dtype", "requires_grad", "_grad", "grad_fn", "_base", "_node",
                 "_retains_grad")

    @property
    def _version(self) -> int:
        return self._buf.storage.version

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, g) -> None:
        """x.grad = g, checked as PyTorch checks it: a gradient of another shape, dtype or device
        would be added into or stepped with silently wrong results later."""
        if g is not None:
            _check_assigned_grad(self, g)
        self._grad = g

    def _grad_node(self):
        """The graph node gradient for this tensor flows into: grad_fn, or a leaf's
        AccumulateGrad."""
        if self.grad_fn is not None:
            return self.grad_fn
        if self._node is None:
            self._node = AccumulateGrad(self)
        return self._node


class Function:
    """An op with a forward and a backward; an instance is both the `ctx` and the graph node.

    Subclasses define `forward(ctx, *args)`, which receives each tensor argument as its Buffer
    and returns one Buffer (buffer.py), and `backward(ctx, grad_out)`, which returns one
    gradient per forward argument (None where there is none), written with Tensor ops so that
    the backward itself can be differentiated. Buffers given to `save_for_backward` come back
    from `saved_tensors` as Tensors: the input or output tensor they belong to, with its graph.
    A subclass written as PyTorch's are, with a @staticmethod forward, gets Tensors instead.
    """

    __slots__ = ("next_functions", "needs_input_grad", "_saved", "_versions", "_freed",
                 "pre_hooks", "retained", "__dict__", "__weakref__")

    _on_tensors = False  # forward receives Tensors (PyTorch-style), not Buffers

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            cls._on_tensors = True

    def __init__(self):
        self.next_functions, self._saved, self._freed = (), (), False
        self.pre_hooks, self.retained = [], []

    # --8<-- [start:apply]
    @classmethod
    def apply(cls, *args, **kwargs) -> TensorBase:
        """Run forward on the Buffers, wrap the result in a Tensor, and link it into the graph
        if any input requires grad."""
        ctx = cls()
        first, bufs, needs = None, [], []
        for a in args:  # one pass: this runs for every op
            if isinstance(a, TensorBase):
                if first is None:
                    first = a
                bufs.append(a._buf)
                needs.append(a.requires_grad)
            else:
                bufs.append(a)
                needs.append(False)
        ctx.needs_input_grad = tuple(needs)
        if cls._on_tensors:
            bufs = args
        # cls.forward(ctx, ...): also right for PyTorch-style @staticmethods
        if not is_grad_enabled():  # a fast path: backward and optimizer ops run with grad off
            return _output(first, cls.forward(ctx, *bufs, **kwargs))
        # forward with grad off: what `with no_grad()` does, minus a context object per op
        grad_mode._enabled[0] = False
        try:
            out = _output(first, cls.forward(ctx, *bufs, **kwargs))
        finally:
            grad_mode._enabled[0] = True
        if any(ctx.needs_input_grad) and out.dtype.is_floating_point:
            # integer and bool results (casts, comparisons, argmax) carry no gradient
            if cls._on_tensors:  # a user's Function: remember the inputs to check its backward
                ctx._inputs = [(tuple(a.shape), a.dtype) if isinstance(a, TensorBase) else None
                               for a in args]
            ctx.next_functions = tuple([a._grad_node() if needs else None
                                        for a, needs in zip(args, ctx.needs_input_grad)])
            out.requires_grad, out.grad_fn = True, ctx
            if ctx._saved:
                ctx._saved = tuple([_saved_tensor(b, args, out) for b in ctx._saved])
        return out
    # --8<-- [end:apply]

    def name(self) -> str:
        return f"{type(self).__name__}Backward0"

    # --8<-- [start:save_for_backward]
    def save_for_backward(self, *buffers: Buffer | None) -> None:
        """Keep inputs for backward, with their version so that later in-place writes show."""
        self._saved = buffers
        self._versions = tuple([b.storage.version if isinstance(b, Buffer) else
                                b._version if isinstance(b, TensorBase) else 0 for b in buffers])

    @property
    def saved_tensors(self) -> tuple[TensorBase | None, ...]:
        if self._freed:
            raise AutogradError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        # EXERCISE 2.10: refuse a saved tensor whose version moved since save_for_backward
        for t, version in zip(self._saved, self._versions):
            if isinstance(t, TensorBase) and t._version != version:
                raise AutogradError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} {list(t.shape)}], which is output 0 of "
                    f"{self.name()}, is at version {t._version}; expected version {version} "
                    "instead.")
        return self._saved
        # END EXERCISE
    # --8<-- [end:save_for_backward]

    def release(self) -> None:
        """Drop saved tensors after backward (unless retain_graph), as PyTorch does."""
        if self._saved:
            self._saved, self._freed = (), True

    def __repr__(self) -> str:
        return f"<{self.name()}>"


def _output(like: TensorBase, buf: Buffer) -> TensorBase:
    """The forward's Buffer as a Tensor; a view of the first input's storage records that
    input (or its base) as its base, as PyTorch's views do."""
    if isinstance(buf, TensorBase):  # a PyTorch-style forward returned a Tensor
        return buf.detach()
    out = like._wrap(buf)
    if buf.storage is like._buf.storage:
        out._base = like._base if like._base is not None else like
    return out


def _saved_tensor(b, inputs: tuple, out: TensorBase):
    """A saved Buffer as the tensor it belongs to (an input or the output, with its graph), or a
    fresh Tensor for an intermediate; anything else (None, numbers) as it is."""
    if not isinstance(b, Buffer):
        return b
    if b is out._buf:
        return out
    for t in inputs:
        if isinstance(t, TensorBase) and t._buf is b:
            return t
    return out._wrap(b)


class AccumulateGrad(Function):
    """The node of a leaf: adds the incoming gradient into `leaf.grad`."""

    def __init__(self, leaf: TensorBase):
        super().__init__()
        self.leaf = leaf

    def name(self) -> str:
        return "AccumulateGrad"

    def backward(self, grad: TensorBase) -> tuple:
        leaf = self.leaf
        if is_grad_enabled():  # create_graph: the grad keeps its graph
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
        elif leaf.grad is None:
            # NOTE: steal the gradient if no other tensor shares its memory (PyTorch checks
            # use_count the same way); otherwise copy, since it may alias another grad or be a
            # broadcast (stride 0) view that an optimizer must not write through
            alone = _owns_storage(grad) and grad.is_contiguous()
            leaf.grad = grad.detach() if alone else grad.detach().clone()
        else:
            leaf.grad.add_(grad.detach())
        return ()


def _owns_storage(t: TensorBase) -> bool:
    """No tensor but `t`, and the base it is a view of, holds t's storage (PyTorch's use_count
    check). A view whose base only it holds counts: a weight's gradient often arrives as the
    transposed view of a fresh matmul result. (getrefcount counts its own argument too; the
    storage is held by t's Buffer, and by its base's.)"""
    if sys.getrefcount(t._buf) > 2:
        return False
    if t._base is None:
        return sys.getrefcount(t._buf.storage) <= 2
    return (sys.getrefcount(t._base) <= 2 and sys.getrefcount(t._base._buf) <= 2
            and sys.getrefcount(t._buf.storage) <= 3)


# *** 2. the backward pass ***


# --8<-- [start:toposort]
def toposort(roots: list[Function]) -> list[Function]:
    """Every node reachable from `roots`, each after all nodes that feed it gradient.

    Iterative depth-first search, so that a graph a million ops deep does not overflow Python's
    stack: a node is emitted once all its next_functions are; the reverse is backward's order.
    """
    # EXERCISE 2.9: post-order DFS over next_functions with an explicit stack
    order, visited = [], set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child is not None and child not in visited:
                    visited.add(child)
                    stack.append((child, iter(child.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order
    # END EXERCISE
# --8<-- [end:toposort]


# --8<-- [start:run_backward]
def run_backward(roots: list[tuple[Function, TensorBase]], retain_graph: bool, create_graph: bool,
                 capture: list[Function] | None = None) -> dict[Function, TensorBase]:
    """Propagate gradients from `roots` (node, gradient) to every node reachable from them.

    With `capture` (autograd.grad), the gradients arriving at those nodes are returned instead
    of being accumulated into leaves.
    """
    grads: dict[Function, TensorBase] = {}
    for node, grad in roots:
        grads[node] = grads[node] + grad if node in grads else grad
    captured = {}
    with set_grad_enabled(create_graph):
        for node in reversed(toposort([node for node, _ in roots])):
            grad = grads.pop(node, None)
            if grad is None:
                continue  # no gradient flows here (e.g. only through a non-differentiable input)
            for hook in node.pre_hooks:
                new = hook(grad)
                if new is not None:
                    _check_hook_result(hook, grad, new)
                    grad = new
            for t in node.retained:
                g = grad if create_graph else grad.detach()
                t.grad = g if t.grad is None else t.grad + g
            if capture is not None:
                if node in capture:
                    captured[node] = grad
                if isinstance(node, AccumulateGrad):
                    continue
            input_grads = type(node).backward(node, grad)
            if not isinstance(input_grads, tuple):  # one input: PyTorch allows a bare tensor
                input_grads = (input_grads,)
            if type(node)._on_tensors:
                input_grads = _checked_user_grads(node, input_grads)
            if not retain_graph:
                node.release()
            for next_node, g in zip(node.next_functions, input_grads):
                if next_node is not None and g is not None:
                    grads[next_node] = grads[next_node] + g if next_node in grads else g
    return captured
# --8<-- [end:run_backward]


# *** 3. checks on gradients that user code supplies (hooks, custom Functions, x.grad = g) ***


def _check_assigned_grad(t: TensorBase, g) -> None:
    if not isinstance(g, TensorBase):
        raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type(g).__name__}")
    if tuple(g.shape) != tuple(t.shape):
        raise AutogradError(f"attempting to assign a gradient of size '{list(g.shape)}' to a "
                            f"tensor of size '{list(t.shape)}'. Please ensure that the gradient "
                            "and the tensor are the same size")
    if g.dtype is not t.dtype:
        raise AutogradError(f"attempting to assign a gradient with dtype '{g.dtype.name}' to a "
                            f"tensor with dtype '{t.dtype.name}'. The gradient must match the "
                            "tensor's dtype")
    if g._buf.device != t._buf.device:
        raise AutogradError(f"attempting to assign a gradient located on device "
                            f"'{g._buf.device}' to a tensor located on device "
                            f"'{t._buf.device}'. Please ensure that the gradient and the tensor "
                            "are on the same device")


def _check_hook_result(hook, grad: TensorBase, new) -> None:
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, TensorBase):
        raise TypeError(f"hook '{name}' returned a {type(new).__name__}, expected a Tensor or "
                        "None")
    if tuple(new.shape) != tuple(grad.shape):
        raise AutogradError(f"hook '{name}' has changed the size of value")
    if new.dtype is not grad.dtype or new._buf.device != grad._buf.device:
        raise AutogradError(f"hook '{name}' has changed the type of value (was {grad.type()} "
                            f"got {new.type()})")


def _checked_user_grads(node: Function, grads: tuple) -> tuple:
    """A user's backward must return one gradient per forward input (extra Nones allowed), each
    None or shaped like its input (or summable to it, as a broadcast input's)."""
    inputs = node._inputs
    name = type(node).__name__ + "Backward"
    if len(grads) < len(inputs) or any(g is not None for g in grads[len(inputs):]):
        raise AutogradError(f"function {name} returned an incorrect number of gradients "
                            f"(expected {len(inputs)}, got {len(grads)})")
    out = []
    for i, (g, meta) in enumerate(zip(grads, inputs)):
        if g is not None and meta is not None and tuple(g.shape) != meta[0]:
            shape = meta[0]
            extra = g.ndim - len(shape)
            if extra < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[extra:])):
                raise AutogradError(f"Function {name} returned an invalid gradient at index {i}"
                                    f" - got {list(g.shape)} but expected shape compatible "
                                    f"with {list(shape)}")
            dims = tuple(range(extra)) + tuple(extra + d for d, n in enumerate(shape)
                                               if n == 1 and g.shape[extra + d] != 1)
            g = g.sum(dims, keepdim=True).reshape(shape) if dims else g.reshape(shape)
        out.append(g)
    return tuple(out)


# *** 4. the entry points ***


def _root_grads(tensors, grad_tensors) -> list[tuple[Function, TensorBase]]:
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise AutogradError(f"element {i} of tensors does not require grad and does not "
                                "have a grad_fn")
        if g is None:
            if t.numel() != 1:
                raise AutogradError("grad can be implicitly created only for scalar outputs")
            g = t._full_like(t, 1)
        elif not isinstance(g, TensorBase):
            g = t._full_like(t, g)
        elif tuple(g.shape) != tuple(t.shape):
            raise AutogradError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                f"{g.shape} and output[{i}] has a shape of {t.shape}.")
        # NOTE: a new Tensor object over the caller's storage, so AccumulateGrad sees that the
        # memory is shared and copies it instead of stealing it
        g = g.reshape(g.shape) if g.dtype is t.dtype else g.to(t.dtype)
        roots.append((t._grad_node(), g))
    return roots


def _as_list(x):
    return list(x) if isinstance(x, list | tuple) else [x]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's `.grad` (torch.autograd.backward); with
    `inputs`, into the `.grad` of those tensors only (leaves or not)."""
    tensors = _as_list(tensors)
    if inputs is not None and not _as_list(inputs):
        raise AutogradError("`inputs` argument to `backward()` cannot be empty.")
    grad_tensors = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
    retain = create_graph if retain_graph is None else retain_graph
    roots = _root_grads(tensors, grad_tensors)
    if inputs is None:
        run_backward(roots, retain, create_graph)
        return
    inputs = _as_list(inputs)
    nodes = [t._grad_node() for t in inputs]
    captured = run_backward(roots, retain, create_graph, nodes)
    with set_grad_enabled(create_graph):
        for t, node in zip(inputs, nodes):
            if node in captured:  # accumulate as a leaf would, whatever t is
                AccumulateGrad(t).backward(captured[node])


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False) -> tuple[TensorBase | None, ...]:
    """d(outputs)/d(inputs) returned, not accumulated (torch.autograd.grad).

    With create_graph=True the returned gradients carry a graph of their own, so they can be
    differentiated again (double backward).
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    grad_outputs = (_as_list(grad_outputs) if grad_outputs is not None
                    else [None] * len(outputs))
    retain = create_graph if retain_graph is None else retain_graph
    for t in inputs:
        if not t.requires_grad:
            raise AutogradError("One of the differentiated Tensors does not require grad")
    nodes = [t._grad_node() for t in inputs]
    captured = run_backward(_root_grads(outputs, grad_outputs), retain, create_graph, nodes)
    result = []
    for t, node in zip(inputs, nodes):
        g = captured.get(node)
        if g is None and not (allow_unused or materialize_grads):
            raise AutogradError("One of the differentiated Tensors appears to not have been "
                                "used in the graph. Set allow_unused=True if this is the "
                                "desired behavior.")
        if g is None and materialize_grads:
            g = t._full_like(t, 0)
        result.append(g)
    return tuple(result)

