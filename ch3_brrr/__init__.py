"""Chapter 3, make it go brrr: device runtimes and hand-written kernels (book: ch3_brrr/*.md).

In the order the book tells it:
    runtime/device.py       Allocator, Compiler (with an on-disk cache), Program, Device
    runtime/ops_<dev>.py    one backend each: c (cc + OpenMP + ctypes), wgpu, cuda
    kernels/<lang>/         the kernels, one file per op, every rung of a ladder kept
    ladders/                check each rung against float64, time it beside the baseline
    kernels_<dev>.py        launchers: numpy/device views in, one kernel call out
    device_<dev>.py         importing it registers the device with ch2 (`x.to("c")`)
    bench.py, tour.py       `singsys bench` (tables, a roofline) and the demo's chapter 3 part
Imports ch2_lego (only in device_*.py and the tour); nothing imports this package but singsys.
"""
