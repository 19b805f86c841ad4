"""The scripted model server, scripted from Python: each model name gets its own FIFO of replies.

Environment: SCRIPTED_LLM_URL (its /v1 URL) and MODEL_PREFIX (unique per run, so concurrent
tests never take each other's replies). See test/support/scripted-llm.ts for the reply shapes.
"""

import itertools
import json
import os
import urllib.request

LLM_ROOT = os.environ["SCRIPTED_LLM_URL"].rstrip("/").removesuffix("/v1")
_models = (f"{os.environ['MODEL_PREFIX']}-{i}" for i in itertools.count())


def new_model():
    """A model name of this run's own, never scripted."""
    return next(_models)


def scripted(*replies):
    """A new model name whose next calls answer with `replies`, in order."""
    model = new_model()
    request = urllib.request.Request(
        f"{LLM_ROOT}/_scripted/script",
        data=json.dumps({"model": model, "replies": list(replies)}).encode(),
        headers={"content-type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()
    return model
