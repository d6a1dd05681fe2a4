"""The ipywidgets calculators of lessons 01-03: thin layers over the plan functions."""


from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {

}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
