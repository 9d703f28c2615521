# Penumbra entry points. `make run` and `make test` work from a fresh clone on a
# machine with Python 3.11, pip, make and gcc; everything else is installed here.
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROTOS := $(wildcard proto/penumbra/v1/*.proto)
GEN    := build/gen
API_PB := build/api.pb

.PHONY: setup run test bench proto clean

setup: $(STAMP) $(API_PB)

# System packages (bubblewrap, gfortran, g++) and the pinned Python environment.
$(STAMP): requirements.txt scripts/install-system-packages
	scripts/install-system-packages
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VPY) -c 'import site,os; open(os.path.join(site.getsitepackages()[0],"penumbra.pth"),"w").write(os.getcwd()+"\n"+os.path.join(os.getcwd(),"$(GEN)")+"\n")'
	touch $@

# gRPC stubs and the descriptor set Envoy transcodes with; generated, never committed.
proto: $(API_PB)
$(API_PB): $(PROTOS) $(STAMP) scripts/genproto.py
	$(VPY) scripts/genproto.py --out $(GEN) --descriptor $(API_PB)

run: setup
	$(VPY) -m services.run

test: setup
	$(VPY) -m pytest

bench: setup
	$(VPY) -m tests.benchmarks

clean:
	rm -rf build
