"""The rows one pipeline batch reads and writes: each read once and written once per batch,
however many of its events touch it (an agent's ring, answer and hang-up; a call's five
events). Outside a batch (queue_rebuild, tests calling a fold) reads and writes go straight
to the database, as usual.

A fold writes `rows.get_or_create(Model, key=...)` and `rows.save(obj)` where it would write
`Model.objects.get_or_create(...)` and `obj.save()`. The pipeline opens a batch only when it
applies a whole batch in one go: if a fold fails, the batch and these rows are thrown away
and the events are applied again one by one, straight to the database (crm_bridge/pipeline.py).

Within a batch a row that a preload looked for and did not find is new: it is made in memory
(no query) and inserted with the others at the end; changed rows are written with one UPDATE
run once per row (executemany), not a save() each.
"""

import threading
from contextlib import contextmanager

from django.db import connection

_local = threading.local()


def _key(model, key: dict) -> tuple:
    return (model, tuple(sorted(key.items())))


class _Batch:
    def __init__(self):
        self.found: dict = {}  # (model, key) -> instance
        self.searched: dict = {}  # (model, field, same) -> the values a preload looked for
        self.new: dict = {}  # id(instance) -> instance, to insert
        self.dirty: dict = {}  # id(instance) -> instance, in the order first saved

    def get_or_create(self, model, **key):
        return self.fetch(model, **key)[0]

    def fetch(self, model, **key) -> tuple:
        cache_key = _key(model, key)
        instance = self.found.get(cache_key)
        if instance is not None:
            return instance, id(instance) in self.new
        if self._known_absent(model, key):
            instance = model(**key)
            self.new[id(instance)] = instance
            created = True
        else:
            instance, created = model.objects.get_or_create(**key)
        self.found[cache_key] = instance
        return instance, created

    def _known_absent(self, model, key: dict) -> bool:
        for (searched_model, field, same), values in self.searched.items():
            if (
                searched_model is model
                and field in key
                and key.keys() == {field, *dict(same)}
                and all(key[name] == value for name, value in same)
                and key[field] in values
            ):
                return True
        return False

    def preload(self, model, field: str, values, **same) -> None:
        """One query for the rows a batch will ask for by `field` (and the `same` values)."""
        values = {v for v in values if v}
        if values:
            for instance in model.objects.filter(**{f"{field}__in": values}, **same):
                key = {field: getattr(instance, field), **same}
                self.found[_key(model, key)] = instance
            self.searched[(model, field, tuple(sorted(same.items())))] = values

    def flush(self) -> None:
        by_model: dict = {}
        for instance in self.new.values():
            by_model.setdefault(type(instance), []).append(instance)
        for model, instances in by_model.items():
            model.objects.bulk_create(instances)
        changed: dict = {}
        for key, instance in self.dirty.items():
            if key not in self.new:
                changed.setdefault(type(instance), []).append(instance)
        for model, instances in changed.items():
            write(model, instances)
        self.new.clear()
        self.dirty.clear()


def write(model, instances: list, names=None) -> None:
    """Save these fields (default: all) of these rows: one UPDATE run once per row
    (executemany). Django's bulk_update builds a CASE per field per row, and a save() per row
    costs a query's worth of Python each."""
    if not instances:
        return
    if names:
        fields = [model._meta.get_field(name) for name in names]
    else:
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    pk = model._meta.pk
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(pk.column)} = %s"
    params = [
        [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in fields]
        + [obj.pk]
        for obj in instances
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


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


def fetch(model, **key) -> tuple:
    """(row, created): get_or_create, through the batch's cache when there is one."""
    if (current := _current()) is not None:
        return current.fetch(model, **key)
    return model.objects.get_or_create(**key)


def save(instance) -> None:
    if (current := _current()) is not None:
        current.dirty.setdefault(id(instance), instance)
    else:
        instance.save()
