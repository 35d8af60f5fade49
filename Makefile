# Shortcuts; the scripts are the source of truth (README names them).
.PHONY: demo test setup lint
setup:
	bash scripts/setup.sh --dev
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
lint:
	.venv/bin/ruff check rescity tests bench && .venv/bin/mypy
