"""A tiny web service that needs psycopg2's C extension: GET / answers with its version."""
import json
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg2
import psycopg2.extensions  # the compiled _psycopg module


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"psycopg2": psycopg2.__version__, "libpq": psycopg2.extensions.libpq_version()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
