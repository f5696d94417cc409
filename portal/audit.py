"""Access log for personal data and evidence: who read what, when, from where."""

from .models import AccessLog


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_access(request, *, action: str, obj, detail: str = "") -> AccessLog:
    user = getattr(request, "user", None)
    return AccessLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        actor_label=str(getattr(user, "username", "") or "anonymous"),
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        detail=detail[:255],
        ip_address=client_ip(request),
    )
