"""Who sees and acts on which agents: teams and roles, enforced on the server.

A user's **team** is the set of agent groups on their profile (Profile.agent_groups); their
**scope** is the agents of those groups and the queues those groups serve. A user with the
permission `dashboard.see_all_agents` (and a superuser) has every agent in scope; a user with
neither a team nor that permission sees nothing but a message saying so.

Roles are Django groups, each a set of permissions (ROLES): a **viewer** only watches, a
**supervisor** acts on the agents in scope (`dashboard.act_on_agents`), a **campaign admin**
also edits campaigns, an **admin** has everything and Django admin. `manage.py team_user`
gives a user a role and teams.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission

SEE_ALL = "dashboard.see_all_agents"
ACT = "dashboard.act_on_agents"
MANAGE_CAMPAIGNS = "crm_bridge.manage_campaigns"

ROLES = {
    "viewer": (),
    "supervisor": (ACT,),
    "campaign-admin": (ACT, MANAGE_CAMPAIGNS),
    "admin": (SEE_ALL, ACT, MANAGE_CAMPAIGNS),
}


@dataclass(frozen=True)
class Scope:
    """The agents a user may see: those of `groups`, or every agent when groups is None."""

    groups: frozenset | None

    @property
    def key(self) -> str:
        """The scope in a channel-layer group's name: "all", or the group ids ("g3-7")."""
        if self.groups is None:
            return "all"
        return "g" + "-".join(str(g) for g in sorted(self.groups))

    @property
    def everyone(self) -> bool:
        return self.groups is None

    def has(self, group_id) -> bool:
        return self.groups is None or group_id in self.groups

    def agents(self, queryset):
        return queryset if self.groups is None else queryset.filter(group_id__in=self.groups)

    def queues(self, stats: list) -> list:
        """The queue tiles of the queues this team serves (QueueStats.groups: set in admin,
        or learned from who took its calls today); a queue nobody is known to serve yet is
        shown only to those who see everything."""
        if self.groups is None:
            return stats
        return [s for s in stats if s.groups & self.groups]


EVERYONE = Scope(None)


def scope_of(user) -> Scope | None:
    """The user's scope; None when they have no team and may not see all."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or user.has_perm(SEE_ALL):
        return EVERYONE
    from .models import Profile

    groups = frozenset(
        Profile.agent_groups.through.objects.filter(profile__user=user).values_list(
            "agentgroup_id", flat=True
        )
    )
    return Scope(groups) if groups else None


def may_act_on(user, agent) -> bool:
    """Whether the user may act on this agent: the permission, and the agent in scope."""
    scope = scope_of(user)
    return scope is not None and user.has_perm(ACT) and scope.has(agent.group_id)


def ensure_roles() -> dict[str, Group]:
    """The role groups with their permissions (made or corrected)."""
    made = {}
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=_group_name(name))
        group.permissions.set([_permission(perm) for perm in perms])
        made[name] = group
    return made


def _group_name(role: str) -> str:
    return role.replace("-", " ")  # "campaign admin", as the group was called before roles


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def give_role(user, role: str) -> None:
    """The user has this role and no other."""
    groups = ensure_roles()
    user.groups.remove(*[g for name, g in groups.items() if name != role])
    user.groups.add(groups[role])


def set_teams(user, group_ids) -> None:
    """The user's teams are these agent groups (a group not seen yet in Thulium is made, to
    be named by the next directory poll)."""
    from crm_bridge.models import AgentGroup

    from .models import Profile

    groups = []
    for group_id in group_ids:
        group, _ = AgentGroup.objects.get_or_create(
            group_id=group_id, defaults={"name": f"#{group_id}"}
        )
        groups.append(group)
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.agent_groups.set(groups)
