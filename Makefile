PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf out && mkdir -p out
	$(VENV)/bin/bulk-invite send sample_data/patients.xlsx --sandbox --exams 1822 -o out/patients.results.xlsx --journal out/demo-journal.sqlite --no-progress; \
	  code=$$?; echo "exit code: $$code (0 = every row sent)"; \
	  $(VENV)/bin/bulk-invite send sample_data/messy_patients.xlsx --sandbox --exams 1822 -o out/messy_patients.results.xlsx --journal out/demo-journal.sqlite --no-progress; \
	  code=$$?; echo "exit code: $$code (1 = some rows need fixing: see the 'To fix' sheet)"

test: $(STAMP)
	$(PY) -m ruff check bulk_invite tests
	$(PY) -m mypy
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
