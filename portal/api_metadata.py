"""The API's answer to OPTIONS requests."""

from rest_framework.metadata import SimpleMetadata


class ActionsFromSerializersMetadata(SimpleMetadata):
    """DRF's OPTIONS answer, without the crash on an action that takes no body: ``SimpleMetadata`` describes
    POST/PUT through ``view.get_serializer()``, which raises (a 500) on a view without a serializer class,
    such as deactivating or testing a webhook. Such a view has no fields to describe."""

    def determine_actions(self, request, view):
        try:
            view.get_serializer_class()
        except AssertionError:
            return {}
        return super().determine_actions(request, view)
