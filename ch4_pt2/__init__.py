"""Chapter 4, graph mode: capture, IR, rewrites, scheduling, lowering and renderers (not built yet).

The plan (see book/ch4_pt2.md), in processing order: ops.py (Ops, GroupOp, UOp), rewrite.py
(UPat, PatternMatcher, graph_rewrite), capture.py (lazy tensors), rules_*.py, spec.py,
schedule.py, lower.py, renderer/ and backend.py (a torch.compile backend). Imports ch1-ch3 only.
"""
