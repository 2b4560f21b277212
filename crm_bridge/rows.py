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
        self.counts: dict = {}  # (model, key) -> (deltas, maxima): see count()
        self.afterwards: dict = {}  # (function, args) -> None: see later()

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

    def preload(self, model, field: str, values, related=(), **same) -> None:
        """One query for the rows a batch will ask for by `field` (and the `same` values),
        with the `related` rows they point to."""
        values = {v for v in values if v}
        if values:
            found = model.objects.filter(**{f"{field}__in": values}, **same)
            for instance in found.select_related(*related):
                key = {field: getattr(instance, field), **same}
                self.found[_key(model, key)] = instance
            self.searched[(model, field, tuple(sorted(same.items())))] = values

    def count(self, model, key: dict, deltas: dict, maxima: dict) -> None:
        added, highest = self.counts.setdefault(_key(model, key), ({}, {}))
        for name, value in deltas.items():
            added[name] = added.get(name, 0) + value
        for name, value in maxima.items():
            if value is not None and (highest.get(name) is None or value > highest[name]):
                highest[name] = value

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
        _write_counts(self.counts)
        for function, args in self.afterwards:
            function(*args)
        self.new.clear()
        self.dirty.clear()
        self.counts.clear()
        self.afterwards.clear()


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


def _write_counts(counts: dict) -> None:
    """Add to counter columns and raise maximum columns, one UPDATE per row run at once
    (executemany) after making the rows that are missing: atomic increments, so that two
    processes counting into the same row add up (the poll closes lost calls too)."""
    groups: dict = {}
    for (model, key_items), (deltas, maxima) in counts.items():
        deltas = {name: value for name, value in deltas.items() if value}
        maxima = {name: value for name, value in maxima.items() if value is not None}
        if deltas or maxima:
            shape = (
                model,
                tuple(k for k, _ in key_items),
                tuple(sorted(deltas)),
                tuple(sorted(maxima)),
            )
            groups.setdefault(shape, []).append((dict(key_items), deltas, maxima))
    quote = connection.ops.quote_name
    for (model, keys, added, highest), found in groups.items():
        model.objects.bulk_create([model(**key) for key, _, _ in found], ignore_conflicts=True)
        column = {
            name: quote(model._meta.get_field(name).column) for name in (*keys, *added, *highest)
        }
        sets = [f"{column[n]} = {column[n]} + %s" for n in added] + [
            f"{column[n]} = CASE WHEN {column[n]} IS NULL OR {column[n]} < %s THEN %s "
            f"ELSE {column[n]} END"
            for n in highest
        ]
        where = " AND ".join(f"{column[n]} = %s" for n in keys)
        sql = f"UPDATE {quote(model._meta.db_table)} SET {', '.join(sets)} WHERE {where}"
        params = [
            [deltas.get(n, 0) for n in added]
            + [value for n in highest for value in (maxima.get(n), maxima.get(n))]
            + [model._meta.get_field(n).get_db_prep_value(key[n], connection) for n in keys]
            for key, deltas, maxima in found
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


def count(model, key: dict, deltas: dict, maxima: dict | None = None) -> None:
    """Add `deltas` to the counters of the row `key` (made if missing) and raise its `maxima`
    columns to at least these values: once per row at the end of a batch; else at once."""
    if (current := _current()) is not None:
        current.count(model, key, deltas, maxima or {})
    else:
        _write_counts({_key(model, key): (deltas, maxima or {})})


def later(function, *args) -> None:
    """Call function(*args) once the batch's rows are written (once for the same arguments);
    outside a batch, now."""
    if (current := _current()) is not None:
        current.afterwards[(function, args)] = None
    else:
        function(*args)


def drop_counts() -> None:
    """Forget the counts of this batch (they are being made again from scratch)."""
    if (current := _current()) is not None:
        current.counts.clear()
        current.afterwards.clear()


def save(instance) -> None:
    if (current := _current()) is not None:
        current.dirty.setdefault(id(instance), instance)
    else:
        instance.save()
