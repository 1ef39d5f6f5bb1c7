# Singularity Systems: Zero to Hero. Two commands set everything up on a fresh machine:
#   make demo    create .venv, install what the tour needs, run the tour of the whole stack
#   make test    also install the test and docs tooling, then lint, test, run notebooks, build book
# Both are quick to re-run: installs happen again only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export MPLBACKEND := Agg

# The tests run one pytest worker per core; BLAS and OpenMP threads on top of that oversubscribe
# a small machine badly (a small matmul can get 10x slower), so the test run uses one each.
TEST_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: demo test lint book serve system-deps mathjax fetch-mathjax figures clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"Python 3.11 or newer is needed; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	@touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/singsys demo

# MathJax, pinned, from the npm registry, copied into the book's assets so that the built site
# typesets math with no network (book/assets/vendor/ is ignored by git). Only the pieces the
# tex-mml-chtml component loads are kept: about 4 MB of the package's 24 MB.
MATHJAX_VERSION := 3.2.2
MATHJAX := book/assets/vendor/mathjax
# Without npm the book still builds and every test but the browser's runs (it skips, saying why).
$(MATHJAX)/.version-$(MATHJAX_VERSION):
	@if ! command -v npm >/dev/null; then echo "note: npm not found, so MathJax is not fetched:" \
		"the book's math will not render offline and the browser test skips (make system-deps)"; \
	else $(MAKE) --no-print-directory fetch-mathjax; fi

fetch-mathjax:
	rm -rf build/mathjax $(MATHJAX) && mkdir -p build/mathjax $(MATHJAX)/output/chtml/fonts
	cd build/mathjax && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null \
		&& tar xzf mathjax-$(MATHJAX_VERSION).tgz
	cp build/mathjax/package/LICENSE build/mathjax/package/es5/tex-mml-chtml.js $(MATHJAX)/
	cp -r build/mathjax/package/es5/input build/mathjax/package/es5/a11y \
		build/mathjax/package/es5/ui $(MATHJAX)/
	cp -r build/mathjax/package/es5/output/chtml/fonts/woff-v2 $(MATHJAX)/output/chtml/fonts/
	@touch $(MATHJAX)/.version-$(MATHJAX_VERSION)

mathjax: $(MATHJAX)/.version-$(MATHJAX_VERSION)

test: $(VENV)/.installed-dev mathjax
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python -m pytest -n auto --dist loadfile --nbmake tests book/notebooks

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

book: $(VENV)/.installed-dev mathjax
	$(BIN)/singsys book --build

serve: $(VENV)/.installed-dev mathjax
	$(BIN)/singsys book

# Redraw the book's figures from the code they show (outputs are committed under book/assets/).
figures: $(VENV)/.installed-dev
	$(BIN)/python book/figures/build.py

# Optional programs that pip cannot install; the tests that need them skip when they are absent.
#   graphviz: `dot`, to draw ch1 expression graphs
#   mesa-vulkan-drivers: a software Vulkan driver, to run WGSL kernels on the CPU (ch3)
#   binutils-riscv64-unknown-elf, qemu-user: cross-check the appendix with GNU as and qemu
#   gcc-riscv64-unknown-elf: gcc's columns of the appendix's code-quality benchmark
#   chromium: open every page of the built book in a headless browser (tests/foundation)
#   npm: fetch MathJax, so that the book typesets math with no network (make mathjax); skipped
#     where npm is already there (a nodesource nodejs bundles it and conflicts with the package)
system-deps:
ifeq ($(shell uname),Darwin)
	brew install graphviz node
else
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq graphviz mesa-vulkan-drivers \
		binutils-riscv64-unknown-elf gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf \
		qemu-user chromium \
		$$(command -v npm >/dev/null || echo npm)
endif

clean:
	rm -rf $(VENV) build demo_out .pytest_cache .hypothesis .ruff_cache
