"""A tiny web service: GET / answers with a greeting."""
import os

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return {"message": "hello from dopt's python example"}


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
