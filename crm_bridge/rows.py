"""The rows one pipeline batch reads and writes: each read once and written once per batch,
however many of its events touch it (an agent's ring, answer and hang-up; a call's five
events). Outside a batch (queue_rebuild, tests calling a fold) reads and writes go straight
to the database, as usual.

A fold writes `rows.get_or_create(Model, key=...)` and `rows.save(obj)` where it would write
`Model.objects.get_or_create(...)` and `obj.save()`. The pipeline opens a batch only when it
applies a whole batch in one go: if a fold fails, the batch and these rows are thrown away
and the events are applied again one by one, straight to the database (crm_bridge/pipeline.py).
"""

import threading
from contextlib import contextmanager

_local = threading.local()


class _Batch:
    def __init__(self):
        self.found: dict = {}  # (model, key) -> instance
        self.dirty: dict = {}  # id(instance) -> instance, in the order first saved

    def get_or_create(self, model, **key):
        cache_key = (model, tuple(sorted(key.items())))
        instance = self.found.get(cache_key)
        if instance is None:
            instance, _ = model.objects.get_or_create(**key)
            self.found[cache_key] = instance
        return instance

    def preload(self, model, field: str, values, **same) -> None:
        """One query for the rows a batch will ask for by `field` (and the `same` values)."""
        values = {v for v in values if v}
        if values:
            for instance in model.objects.filter(**{f"{field}__in": values}, **same):
                key = {field: getattr(instance, field), **same}
                self.found[(model, tuple(sorted(key.items())))] = instance

    def flush(self) -> None:
        for instance in self.dirty.values():
            instance.save()
        self.dirty.clear()


@contextmanager
def batch():
    """Within: get_or_create and save go through one cache; written when the block ends."""
    current = _local.batch = _Batch()
    try:
        yield current
        current.flush()
    finally:
        _local.batch = None


def _current() -> _Batch | None:
    return getattr(_local, "batch", None)


def get_or_create(model, **key):
    if (current := _current()) is not None:
        return current.get_or_create(model, **key)
    return model.objects.get_or_create(**key)[0]


def save(instance) -> None:
    if (current := _current()) is not None:
        current.dirty.setdefault(id(instance), instance)
    else:
        instance.save()
