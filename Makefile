# Suqiu — `make run` (local stack), `make test` (every test), `make train` (category model), and the AWS side:
#   make package STAGE=dev            dist/sam.json + dist/deployment.zip, no AWS calls
#   make deploy STAGE=prod            package, upload, create or update the stack, print the API URL
#   make destroy STAGE=dev            delete a stack (prod only with CONFIRM=prod)
#   make rotate-key STAGE=prod        a new field-encryption key: every stored contact re-sealed under it
# Template parameters for deploy: PARAMS="AllowedOrigins=https://12345.example.gov.cn OperatorEmail=ops@example.gov.cn"
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= dev
PARAMS ?=
CONFIRM ?=

.PHONY: run test bench train package deploy destroy rotate-key clean

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m infra.local

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.run

# Retrain the category suggestion model from data/corpus.tsv: prints the held-out
# accuracy, then writes chalicelib/models/category_model.json (trained on all of it).
train: $(STAMP)
	$(BIN)/python -m infra.train

package: $(STAMP)
	$(BIN)/python -m infra.build --stage $(STAGE) --out dist

deploy: $(STAMP)
	$(BIN)/python -m infra.deploy deploy --stage $(STAGE) $(foreach p,$(PARAMS),--parameter $(p))

destroy: $(STAMP)
	$(BIN)/python -m infra.deploy destroy --stage $(STAGE) $(if $(CONFIRM),--confirm $(CONFIRM))

rotate-key: $(STAMP)
	$(BIN)/python -m infra.rotate --stage $(STAGE)

clean:
	rm -rf $(VENV) .local .pytest_cache .hypothesis dist
