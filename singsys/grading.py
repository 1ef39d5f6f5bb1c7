"""Which tests grade which exercise, and running them on a reader's copy.

`GRADING` is the one table: exercise number -> pytest node ids inside the chapter's test folder
(a test function selects all of its parametrizations; `file::test[id]` selects one). Each listed
test (at least one of its parametrizations) fails when that exercise alone is stubbed, and
passes on the reference;
tests/foundation/test_grading.py checks both, so the table cannot silently drift from the
suites. `run_grading` runs the tests of several exercises in one pytest process and returns each
exercise's passed and failed counts.
"""

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from singsys.chapters import CHAPTERS, REPO_ROOT
from singsys.exercise import ExerciseError, exercise_name

GRADING: dict[str, list[str]] = {
    # ch1_dfdx
    "1.1": ["test_engine.py::test_product_rule_by_hand",
            "test_engine.py::test_binary_value_and_grads_match_torch[mul]"],
    "1.2": ["test_engine.py::test_unary_value_and_grad_match_torch[tanh]"],
    "1.3": ["test_engine.py::test_every_node_comes_before_its_inputs",
            "test_engine.py::test_million_node_chain_needs_no_recursion"],
    "1.4": ["test_engine.py::test_diamond_adds_the_two_paths",
            "test_engine.py::test_a_value_used_many_times",
            "test_engine.py::test_second_backward_adds_and_zero_grad_clears"],
    "1.5": ["test_forward.py::test_dual_product_by_hand",
            "test_forward.py::test_forward_mode_matches_reverse_mode"],
    "1.6": ["test_functional.py::test_hvp_by_hand",
            "test_functional.py::test_hvp_matches_torch"],
    "1.7": ["test_gradcheck.py::test_central_difference_error_is_exactly_h_squared_for_a_cube",
            "test_gradcheck.py::test_central_difference_picks_the_argument"],
    "1.8": ["test_nn.py::test_neuron_by_hand",
            "test_nn.py::test_mlp_outputs_and_grads_match_torch"],
    "1.9": ["test_nn.py::test_sgd_matches_torch_optim_sgd"],
    # ch2_lego
    "2.1": ["test_internal_storage.py::test_contiguous_strides_match_torch",
            "test_views.py::test_contiguous_strides"],
    "2.2": ["test_internal_storage.py::test_view_reshape_is_torchs_compute_stride"],
    "2.3": ["test_internal_storage.py::test_expand_gives_stride_zero_and_slice_moves_the_offset",
            "test_elementwise.py::test_broadcast_to_and_expand_as"],
    "2.4": ["test_internal_storage.py::test_broadcast_shape_agrees_with_numpy",
            "test_internal_storage.py::test_broadcast_error_message_is_torchs"],
    "2.5": ["test_dtypes.py::test_promotion_table"],
    "2.6": ["test_autograd.py::test_broadcast_grads_are_reduced_to_input_shapes"],
    "2.7": ["test_reductions.py::test_matmul",
            "test_reductions.py::test_matmul_non_contiguous"],
    "2.8": ["test_losses.py::test_softmax_is_stable_for_large_logits",
            "test_losses.py::test_softmax_float32_large_logits_stay_finite"],
    "2.9": ["test_internal_versions.py::test_toposort_is_iterative_on_a_deep_chain",
            "test_autograd.py::test_diamond_and_reuse_accumulate_within_one_graph"],
    "2.10": ["test_internal_versions.py::test_saved_tensor_modified_in_place_is_refused"],
    "2.21": ["test_nn_layers.py::test_linear"],
    "2.22": ["test_optim.py::test_optimizer_matches_torch_step_by_step[sgd_momentum]"],
    "2.23": ["test_optim.py::test_optimizer_matches_torch_step_by_step[adam]"],
    "2.24": ["test_conv.py::test_windows_are_a_view_of_the_input",
             "test_conv.py::test_unfold_im2col"],
    "2.25": ["test_core_fused.py::test_layer_norm_values_and_grads"],
    "2.26": ["test_nn_layers.py::test_scaled_dot_product_attention"],
    "2.27": ["test_optim.py::test_clip_grad_norm_matches_torch"],
    # ch3_brrr
    "3.1": ["test_c_matmul.py::test_rung_matches_float64"],
    "3.2": ["test_c_kernels.py::test_binary_exact_on_strided_operands"],
    "3.3": ["test_c_reduce.py::test_sum_within_the_summation_bound"],
    "3.5": ["test_wgsl_matmul.py::test_rung_matches_float64"],
    "3.6": ["test_wgsl_kernels.py::test_binary_float_broadcasts_through_stride_zero"],
    "3.7": ["test_cuda_compile.py::test_kernel_file_compiles_to_ptx",
            "test_cuda_kernels.py::test_sgemm_ladder"],
    "3.8": ["test_cuda_compile.py::test_kernel_file_compiles_to_ptx",
            "test_cuda_kernels.py::test_sgemm_ladder"],
    "3.9": ["test_cuda_compile.py::test_kernel_file_compiles_to_ptx",
            "test_cuda_kernels.py::test_row_kernels"],
    # ch4_pt2
    "4.1": ["test_rules_symbolic.py::test_division_of_a_sum_by_hand"],
    "4.2": ["test_schedule.py::test_trailing_expands"],
    "4.3": ["test_codegen.py::test_integer_reductions_start_from_the_right_identity",
            "test_codegen.py::test_reductions"],
    # appendix_ctoriscv
    "A.1": ["test_lex.py::test_integer_constant_values_and_types"],
    "A.2": ["test_preprocess.py::test_expansion"],
    "A.3": ["test_parse.py::test_precedence_and_associativity"],
    "A.4": ["test_parse.py::test_usual_arithmetic_conversions"],
    "A.5": ["test_programs.py::test_exit_codes"],
    "A.6": ["test_programs.py::test_exit_codes"],
    "A.7": ["test_asm.py::test_encoding_matches_the_spec",
            "test_asm.py::test_b_and_j_immediates_are_scrambled_as_the_spec_draws_them"],
    "A.8": ["test_asm.py::test_decode_inverts_encode"],
    "A.9": ["test_asm.py::test_decode_inverts_encode",
            "test_asm.py::test_decode_rejects_non_instructions"],
    "A.10": ["test_emu.py::test_r_type", "test_emu.py::test_i_type_alu_and_shifts"],
    "A.11": ["test_emu.py::test_write_goes_to_stdout_or_a_given_stream"],
    "A.12": ["test_optimize.py::test_dead_code_goes_and_side_effects_stay",
             "test_optimize.py::test_fold_computes_and_propagates"],
    "A.13": ["test_regalloc.py::test_liveness_of_a_loop_by_hand",
             "test_regalloc.py::test_no_two_live_temporaries_share_a_register"],
    "A.14": ["test_libc.py::test_freed_neighbours_merge_and_impossible_requests_are_null",
             "test_libc.py::test_program_matches_glibc"],
}


def grading_tests(number: str) -> list[str]:
    """The node ids, from the repository root, that grade exercise `number`."""
    if number not in GRADING:
        raise ExerciseError(f"exercise {exercise_name(number)} has no grading tests listed "
                            "in singsys/grading.py")
    prefix = number.split(".")[0]
    alias = "appendix" if prefix == "A" else f"ch{prefix}"
    package = next(c.package for c in CHAPTERS if c.alias == alias)
    return [f"tests/{package}/{node}" for node in GRADING[number]]


# *** running them ***


@dataclass
class Outcome:
    passed: int = 0
    failed: int = 0  # failures and errors
    skipped: int = 0
    failing_node_ids: set[str] = field(default_factory=set)  # table entries with a failure
    ran_node_ids: set[str] = field(default_factory=set)  # table entries with a case that ran

    @property
    def verdict(self) -> str:
        if self.failed:
            return f"fails ({self.failed} of {self.passed + self.failed} tests)"
        if self.passed:
            return f"passes ({self.passed} tests)"
        return "no test ran"


def matches(node_id: str, classname: str, name: str) -> bool:
    """Does a junit test case (classname, name) belong to the node id `path::function[id]`?"""
    path, _, function = node_id.partition("::")
    module = path.removesuffix(".py").replace("/", ".")
    if classname != module:
        return False
    return not function or name == function or (
        "[" not in function and name.startswith(function + "["))


def pytest_command(node_ids: list[str], extra: list[str]) -> tuple[list[str], dict[str, str]]:
    """The pytest command line and environment that run exactly `node_ids`.

    The files are named on the command line and the plugin singsys.pytest_select keeps the
    listed tests, so that a file skipping itself at import counts as skipped, not as an error.
    """
    files = list(dict.fromkeys(n.partition("::")[0] for n in node_ids))
    command = [sys.executable, "-m", "pytest", *files, "-p", "singsys.pytest_select", *extra]
    return command, {"SINGSYS_SELECT": "\n".join(dict.fromkeys(node_ids))}


def module_of(node_id: str) -> str:
    return node_id.partition("::")[0].removesuffix(".py").replace("/", ".")


def run_grading(numbers: list[str], impl_root: Path | None,
                extra: list[str] = ()) -> dict[str, Outcome]:
    """Run the grading tests of `numbers` once (on the copy under impl_root, if given)."""
    env = dict(os.environ)
    env.pop("SINGSYS_IMPL", None)
    if impl_root is not None:
        env["SINGSYS_IMPL"] = str(Path(impl_root).resolve())
    node_ids = [n for number in numbers for n in grading_tests(number)]
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "results.xml"
        command, select = pytest_command(node_ids, ["-q", "-p", "no:cacheprovider",
                                                    f"--junitxml={junit}", *extra])
        subprocess.run(command, cwd=REPO_ROOT, env=env | select,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cases = list(ET.parse(junit).iter("testcase")) if junit.exists() else []
    outcomes = {}
    for number in numbers:
        outcome = Outcome()
        for case in cases:
            classname, name = case.get("classname", ""), case.get("name", "")
            owners = [n for n in grading_tests(number) if matches(n, classname, name)
                      or (not classname and name == module_of(n))]  # a module that skipped
            if owners:
                if case.find("failure") is not None or case.find("error") is not None:
                    outcome.failed += 1
                    outcome.failing_node_ids.update(owners)
                elif case.find("skipped") is not None:
                    outcome.skipped += 1
                else:
                    outcome.passed += 1
                if case.find("skipped") is None:
                    outcome.ran_node_ids.update(owners)
        outcomes[number] = outcome
    return outcomes
