"""torch.utils.tensorboard for ch2_lego: a SummaryWriter that logs scalars to a CSV file.

TensorBoard's event files are protocol buffers; ch2 writes the same scalars as plain text
instead, one `tag,step,value,wall_time` line each, to `<log_dir>/scalars.csv` (text to
`text.csv`), readable with any CSV reader or plotting tool. Histograms, images, graphs and
embeddings are left out: asking for one raises NotImplementedError naming the method.
"""

import csv
import os
import socket
import time
from datetime import datetime


class SummaryWriter:
    """Append (tag, step, value, wall_time) rows under log_dir."""

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step=None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = ""):
        if log_dir is None:  # PyTorch's default: runs/<date>_<host><comment>
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        os.makedirs(log_dir, exist_ok=True)
        self.log_dir = log_dir
        self._files: dict[str, object] = {}

    def _writer(self, name: str):
        if name not in self._files:
            self._files[name] = open(os.path.join(self.log_dir, name), "a", newline="")
        return csv.writer(self._files[name])

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """One scalar; a tensor is read with float() (so a 1-element tensor works)."""
        step = "" if global_step is None else int(global_step)
        self._writer("scalars.csv").writerow(
            [tag, step, float(scalar_value), walltime or time.time()])

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        for tag, value in tag_scalar_dict.items():
            self.add_scalar(f"{main_tag}/{tag}", value, global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        step = "" if global_step is None else int(global_step)
        self._writer("text.csv").writerow([tag, step, text_string, walltime or time.time()])

    def flush(self) -> None:
        for f in self._files.values():
            f.flush()

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getattr__(self, name: str):
        if name.startswith("add_"):
            raise NotImplementedError(f"SummaryWriter.{name}: ch2_lego's SummaryWriter logs "
                                      "scalars and text only (to CSV files in log_dir)")
        raise AttributeError(f"'SummaryWriter' object has no attribute '{name}'")
