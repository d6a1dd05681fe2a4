"""The model layer: profiles, presets, the one loader, and the embedded tiny model."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "bnb_config": "load",
    "chat": "load",
    "linear_layer_summary": "load",
    "load_model": "load",
    "weight_bytes_by_part": "load",
    "choose_profile": "profiles",
    "run_sizes": "profiles",
    "check_adapter_base": "base_check",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
