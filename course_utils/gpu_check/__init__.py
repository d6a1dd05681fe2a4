"""`python -m course_utils.gpu_check`: the ten-minute check of the 7B QLoRA path on a GPU.

Only the entry point lives here (nothing imports this package); the steps are in
`course_utils.tools.gpu_check`.
"""
