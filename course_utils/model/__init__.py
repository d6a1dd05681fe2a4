"""The model layer: profiles, presets, the one loader, and the embedded tiny model."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "load_model": "load",
    "choose_profile": "profiles",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
