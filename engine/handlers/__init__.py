"""Work handlers: each module here registers itself in engine.worker.HANDLERS
under the work-queue subject prefix it serves (e.g. "penumbra.work.build.")."""
import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
