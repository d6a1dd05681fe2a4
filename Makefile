# The course's entry points. Each target creates .venv/ first when it is missing.
#   make course   run every notebook in order on this machine's profile; executed copies + HTML in build/
#   make test       every test + every notebook under nbmake on the tiny profile, and the real-model
#                   (smol) test (what CI runs)
#   make test-fast  the fast tier while you work: no test marked slow, no notebook (under 2 minutes)
#   make test-browser  only the browser tests of the calculators (installs Chromium if missing)
#   make site       the course as static HTML in build/site/ (from build/executed/ when present)
#   make lab        open JupyterLab on the course
.PHONY: course test test-fast test-browser site lab setup lock strip clean tiny-model

PY := .venv/bin/python

setup:
	@bash scripts/setup_env.sh

course: setup
	@$(PY) -m course_utils.tools.course_runner $(if $(ONLY),--only $(ONLY),)

test: setup
	@COURSE_PROFILE=tiny $(PY) -m pytest tests --nbmake --nbmake-kernel=python3 --nbmake-timeout=900 notebooks $(PYTEST_ARGS)

test-fast: setup
	@COURSE_PROFILE=tiny $(PY) -m pytest tests -m "not slow and not gpu" $(PYTEST_ARGS)

test-browser: setup
	@bash scripts/setup_browser.sh
	@$(PY) -m pytest tests/browser -m browser $(PYTEST_ARGS)

site: setup
	@$(PY) -m course_utils.tools.site

lab: setup
	@$(PY) -m jupyter lab --notebook-dir=. notebooks/00_setup.ipynb

# Rebuild the embedded tiny model (~12 minutes on 2 idle CPU cores).
tiny-model: setup
	@$(PY) -m course_utils.model.tiny.build --out data/tiny_model

# Re-freeze requirements-lock.txt from .venv after changing a pin in requirements.txt.
lock: setup
	@{ echo "# Every package of the CPU course environment, pinned exactly (pip freeze of .venv on Python 3.11)."; \
	   echo "# Used as a constraints file by scripts/setup_env.sh. Regenerate with: make lock"; \
	   $(PY) -m pip freeze --exclude-editable | sed 's/^torch==\([0-9.]*\)+cpu/torch==\1/'; } > requirements-lock.txt

# Remove outputs and execution counts from every notebook (they are committed clean).
strip: setup
	@$(PY) -m course_utils.tools.nbtools strip notebooks

clean:
	rm -rf build .pytest_cache
