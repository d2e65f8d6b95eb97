"""The API's JSON parser: DRF's, with a bound on nesting (issue 13).

JSON nested 100,000 deep made json.loads raise RecursionError (a 500). The body is scanned
once for its depth before it is parsed; no request body the API documents is nested more than
a few levels, so more than MAX_DEPTH is refused with 400 (ParseError).
"""

import io
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32

# Strings first, so brackets inside them are not counted.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(body: bytes) -> int:
    depth = deepest = 0
    for match in _TOKENS.finditer(body):
        token = match[0]
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if json_depth(body) > MAX_DEPTH:
            raise ParseError(f"JSON parse error - the body is nested more than {MAX_DEPTH} levels deep.")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
