"""What the scanner needs to know about Chainer (`kernelc.scan.plugins`): its kernel
helpers `cuda.elementwise` / `cuda.reduce` / `cuda.raw`, `chainer.backends.cuda` as its
kernel generators see it, and the dtypes Chainer binds to the placeholders that do not
hold floating-point data (README.md, "Type bindings").

Importing this module registers the plugin: `kernelc cache build --plugin
kernels_chainer.scan_plugin ...` (regenerate.sh) or `import kernels_chainer.scan_plugin`.
"""

from kernelc.scan.plugins import Constructor, ScanPlugin, register

INT32 = ["int32"]
# kernel name -> placeholder -> the dtypes Chainer really binds it to (from the call sites)
CHAINER_DTYPES: dict[str, dict[str, list[str]]] = {
    "pad_sequence_fwd": {"P": ["uint64"]},  # pointers to the sequences, reinterpret_cast
    "inverse_indices": {"S": INT32},  # permutation indices
    "resize_images_interpolate_bilinear": {"S": ["int64"]},  # v, u: astype(numpy.intp)
    "resize_images_interpolate_grad_bilinear": {"S": ["int64"]},
    "getitem_fwd": {"S": INT32},  # labels t
    "getitem_bwd": {"S": INT32},
    "embed_id_bwd": {"S": INT32},  # ids x
    "embed_id_bwd_ignore_label": {"S": INT32},
    "ctc_label_prob_sum": {"I": INT32},  # label paths
    "ctc_transition": {"I": INT32},
    "hinge_fwd": {"S": INT32},  # labels t
    "negative_sampling_wx": {"S": INT32},  # samples k
    "negative_sampling_calculate_gx": {"S": INT32},
    "negative_sampling_calculate_gw": {"S": INT32},
    "crossent_fwd": {"S": INT32},  # labels t
    "softmax_crossent_no_reduce_fwd": {"S": INT32},
    "softmax_crossent_bwd": {"S": INT32},
    "softmax_crossent_weight_bwd": {"S": INT32},
    "maximum_bwd1": {"S": ["bool"]},  # cond = x1 >= x2
    "coo_matmul": {"T": INT32},  # COO row / column indices
    "coo_matmul_gradsp": {"T": INT32},
    "walker_alias_sample": {"S": INT32},  # alias table values
    "binary_hierarchical_softmax_max_length": {"T": INT32},  # labels t, offsets begins
    "_memcpy_gather": {"T": ["uint64"], "X": ["int8"], "Y": INT32},  # pointers, dtype codes
    "_memcpy_scatter": {"T": ["uint64"], "X": ["int8"], "Y": INT32},
    **{f"max_pool_{n}d_fwd": {"S": INT32} for n in (1, 2, 3)},  # argmax indexes
    **{f"max_pool_{n}d_bwd": {"S": INT32} for n in (1, 2, 3)},
    **{f"max_index_pool_{n}d_fwd": {"S": INT32} for n in (1, 2, 3)},
}
# chainer.backends.cuda as a kernel generator sees it: `memoize` caches, nothing else
CHAINER_CUDA_STUB = """
available = False
def memoize(for_each_device=False):
    return lambda f: f
"""

PLUGIN = register(
    ScanPlugin(
        "chainer",
        # Positional parameters of each helper (they take **kwargs after these).
        constructors={
            "cuda.elementwise": Constructor(
                "elementwise", ("in_params", "out_params", "operation", "name")
            ),
            "cuda.reduce": Constructor(
                "reduction",
                (
                    "in_params",
                    "out_params",
                    "map_expr",
                    "reduce_expr",
                    "post_map_expr",
                    "identity",
                    "name",
                ),
            ),
            "cuda.raw": Constructor("raw", ("code", "name")),
        },
        stubs={"chainer.backends.cuda": CHAINER_CUDA_STUB, "chainer.cuda": CHAINER_CUDA_STUB},
        dtypes=CHAINER_DTYPES,
    )
)
