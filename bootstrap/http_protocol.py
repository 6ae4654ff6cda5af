"""uvicorn's HTTP protocol (httptools), refusing what it cannot parse with problem+json.

A request the parser refuses (a 100 KB query string, a malformed request line) never reaches
the application, so uvicorn answers it itself; this subclass makes that answer an RFC 9457
problem like every other refusal of hotich's.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps(
            {
                "type": "https://hotich.example/problems/bad-request",
                "title": "Bad request",
                "status": 400,
                "detail": f"the request could not be read as HTTP ({msg})",
            }
        ).encode()
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/problem+json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
