"""An open websocket follows its user's access: it stops receiving once the user logs out (the
sockets of that session), is deactivated, deleted, changes password or loses a group or a
permission (the sockets of that user check again, consumers.LiveConsumer.auth_check).

Each board or campaign socket joins its user's group (`group(pk)`); these receivers send that
group an "auth.check" after the database commit. Redis down: logged; nothing else waits.
"""

import logging

from django.contrib.auth import get_user_model, user_logged_out
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .live import group_send, teams_changed
from .models import Profile

log = logging.getLogger(__name__)
User = get_user_model()


def group(user_pk) -> str:
    return f"user.{user_pk}"


def check(user_pks, session_key: str | None = None) -> None:
    """Ask these users' open sockets to check their access (only `session_key`'s: close)."""
    message = {"type": "auth.check", "session": session_key}

    def send():
        for pk in set(user_pks):
            try:
                group_send(group(pk), message)
            except Exception as exc:  # Redis down: the sockets are cut off from pushes anyway
                log.warning("Could not tell user %s's websockets to check access: %s", pk, exc)

    transaction.on_commit(send)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None and request is not None and request.session.session_key:
        check([user.pk], request.session.session_key)


@receiver(post_save, sender=User)
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields and set(update_fields) <= {"last_login"}):
        return  # a login: nothing taken away
    check([instance.pk])


@receiver(post_delete, sender=User)
def _user_deleted(sender, instance, **kwargs):
    check([instance.pk])


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def _user_lost_something(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "post_remove":
        check(pk_set if reverse else [instance.pk])
    elif action == "post_clear" and not reverse:
        check([instance.pk])


@receiver(m2m_changed, sender=Group.permissions.through)
def _group_lost_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    if action in ("post_remove", "post_clear") and not reverse:
        check(instance.user_set.values_list("pk", flat=True))


@receiver(m2m_changed, sender=Profile.agent_groups.through)
def _teams_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A user's teams changed: their boards reload for the new team, and the pushes go to
    the teams as they are now."""
    if action.startswith("post_"):
        transaction.on_commit(teams_changed)
        if reverse:  # from the group's side: every profile named
            check(Profile.objects.filter(pk__in=pk_set or ()).values_list("user_id", flat=True))
        else:
            check([instance.user_id])
