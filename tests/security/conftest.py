"""Shared by the security tests: a request whose query string records which parameters the view read."""

import pytest
from django.core.handlers.wsgi import WSGIRequest, get_bytes_from_wsgi
from django.http import QueryDict


class RecordingQueryDict(QueryDict):
    """request.GET that notes every parameter name a view asks for (get, [], getlist, in)."""

    read: set[str] | None = None  # set by the fixture; shared by copies

    def _note(self, key):
        if RecordingQueryDict.read is not None:
            RecordingQueryDict.read.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


def _recording_get(request):
    value = request.__dict__.get("_recording_get")
    if value is None:
        raw = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
        value = request.__dict__["_recording_get"] = RecordingQueryDict(raw, encoding=request._encoding)
    return value


def _set_get(request, value):
    request.__dict__["_recording_get"] = value


@pytest.fixture
def parameters_read(monkeypatch):
    """The set of query-parameter names the views read during the test (every request)."""
    read: set[str] = set()
    monkeypatch.setattr(WSGIRequest, "GET", property(_recording_get, _set_get))
    monkeypatch.setattr(RecordingQueryDict, "read", read)
    return read
